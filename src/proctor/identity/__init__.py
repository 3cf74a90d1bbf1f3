"""Who is calling: admin API keys, and agents' short-lived, task-scoped credentials."""

from proctor.identity._admin_keys import AdminKey, AdminKeys
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
    "DEFAULT_OVERLAP",
    "DEFAULT_TTL",
    "MAX_DELEGATION_DEPTH",
    "MAX_LEEWAY",
    "TTL_CEILING",
    "AdminKey",
    "AdminKeys",
    "AgentStatusLookup",
    "Credential",
    "DelegationLink",
    "IssuedToken",
    "Revocations",
    "SigningKey",
    "SigningKeys",
    "TokenService",
    "narrowing_refusal",
]
