"""Who is calling: admin API keys, and agents' short-lived, task-scoped credentials."""

from typing import TYPE_CHECKING

from proctor._lazy import lazy_exports

if TYPE_CHECKING:
    from proctor.identity._admin_keys import AdminKey, AdminKeys
    from proctor.identity._assertions import (
        CLIENT_ASSERTION_TYPE,
        MAX_ASSERTION_LIFETIME,
        AgentLookup,
        ClientAssertions,
        public_key_thumbprint,
        token_endpoint_audience,
    )
    from proctor.identity._ledger import (
        LAST_USED_RESOLUTION,
        AgentCredentials,
        Delegation,
        LedgerToken,
        TokenLedger,
        TokenState,
    )
    from proctor.identity._revocations import Revocations
    from proctor.identity._signing_keys import DEFAULT_OVERLAP, SigningKey, SigningKeys
    from proctor.identity._token_claims import (
        MAX_DELEGATION_DEPTH,
        Credential,
        DelegationLink,
        IssuedToken,
        narrowing_refusal,
    )
    from proctor.identity._tokens import (
        DEFAULT_TTL,
        MAX_LEEWAY,
        TTL_CEILING,
        AgentStatusLookup,
        TokenService,
    )

__all__ = [
    "CLIENT_ASSERTION_TYPE",
    "DEFAULT_OVERLAP",
    "DEFAULT_TTL",
    "LAST_USED_RESOLUTION",
    "MAX_ASSERTION_LIFETIME",
    "MAX_DELEGATION_DEPTH",
    "MAX_LEEWAY",
    "TTL_CEILING",
    "AdminKey",
    "AdminKeys",
    "AgentCredentials",
    "AgentLookup",
    "AgentStatusLookup",
    "ClientAssertions",
    "Credential",
    "Delegation",
    "DelegationLink",
    "IssuedToken",
    "LedgerToken",
    "Revocations",
    "SigningKey",
    "SigningKeys",
    "TokenLedger",
    "TokenService",
    "TokenState",
    "narrowing_refusal",
    "public_key_thumbprint",
    "token_endpoint_audience",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(
        __name__,
        {
            "_admin_keys": ("AdminKey", "AdminKeys"),
            "_assertions": (
                "CLIENT_ASSERTION_TYPE",
                "MAX_ASSERTION_LIFETIME",
                "AgentLookup",
                "ClientAssertions",
                "public_key_thumbprint",
                "token_endpoint_audience",
            ),
            "_ledger": (
                "LAST_USED_RESOLUTION",
                "AgentCredentials",
                "Delegation",
                "LedgerToken",
                "TokenLedger",
                "TokenState",
            ),
            "_revocations": ("Revocations",),
            "_signing_keys": ("DEFAULT_OVERLAP", "SigningKey", "SigningKeys"),
            "_token_claims": (
                "MAX_DELEGATION_DEPTH",
                "Credential",
                "DelegationLink",
                "IssuedToken",
                "narrowing_refusal",
            ),
            "_tokens": (
                "DEFAULT_TTL",
                "MAX_LEEWAY",
                "TTL_CEILING",
                "AgentStatusLookup",
                "TokenService",
            ),
        },
    )
