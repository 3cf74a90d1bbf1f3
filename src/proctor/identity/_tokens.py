"""Agent credentials: short-lived JWTs bound to one agent, task and requester.

Tokens are signed with the current key of :class:`SigningKeys` (EdDSA over
Ed25519) and verified with joserfc. Delegation follows RFC 8693 token exchange:
an agent trades its token for a narrower one held by another agent.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import ClaimError, ExpiredTokenError, InvalidKeyCurveError, JoseError
from joserfc.jwa import EdDSAAlgorithm
from joserfc.jwk import OKPKey
from joserfc.jws import JWSRegistry

from proctor.errors import Forbidden, InvalidInput, Unauthorized
from proctor.identity._revocations import Revocations
from proctor.identity._signing_keys import SigningKeys
from proctor.identity._token_claims import (
    MAX_DELEGATION_DEPTH,
    Credential,
    DelegationLink,
    IssuedToken,
    act_claim,
    ancestors_claim,
    capabilities_claim,
    credential_from_claims,
    narrowing_refusal,
)
from proctor.inventory import check_agent_id, check_tool_name
from proctor.model import AgentStatus, Capabilities
from proctor.store import Database, utcnow

DEFAULT_TTL = timedelta(minutes=15)
#: No credential lives longer than this, whatever the configuration says.
TTL_CEILING = timedelta(hours=24)
#: Clock skew tolerated on exp, nbf and iat; small, because tokens are short-lived.
MAX_LEEWAY = timedelta(seconds=30)
ALGORITHM = "EdDSA"
_MAX_TOKEN_CHARS = 16_384
_HEADER_MEMBERS = frozenset({"alg", "kid", "typ"})
_REQUIRED = ("iss", "sub", "aud", "iat", "nbf", "exp", "jti", "task", "requester", "caps")

AgentStatusLookup = Callable[[str], AgentStatus | None]


class _Ed25519Only(EdDSAAlgorithm):
    # RFC 9864 deprecates "EdDSA" because the name does not say which curve; joserfc
    # warns on every use. Pinning it to Ed25519 keys removes that ambiguity, so the
    # warning does not apply here.
    security_warning = None  # type: ignore[assignment]

    def check_key(self, key: Any) -> None:
        super().check_key(key)
        if key.curve_name != "Ed25519":
            raise InvalidKeyCurveError("EdDSA tokens are signed with Ed25519 keys only")


class _Registry(JWSRegistry):
    # Our own table, not the library's global one: only EdDSA exists here, so "none",
    # HS256 and the rest are refused before any key is touched.
    algorithms = {ALGORITHM: _Ed25519Only()}
    recommended = [ALGORITHM]


_REGISTRY = _Registry(algorithms=[ALGORITHM])


class TokenService:
    """Issues, verifies and exchanges agent credentials."""

    def __init__(
        self,
        database: Database,
        keys: SigningKeys,
        *,
        issuer: str,
        audience: str = "proctor",
        default_ttl: timedelta = DEFAULT_TTL,
        max_ttl: timedelta = TTL_CEILING,
        leeway: timedelta = MAX_LEEWAY,
        revocations: Revocations | None = None,
        agent_status: AgentStatusLookup | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if not issuer or not audience:
            raise InvalidInput("a token service needs an issuer and an audience")
        if not timedelta(0) < max_ttl <= TTL_CEILING:
            raise InvalidInput(f"max_ttl must be more than 0 and at most {TTL_CEILING}")
        if not timedelta(0) < default_ttl <= max_ttl:
            raise InvalidInput("default_ttl must be more than 0 and at most max_ttl")
        if not timedelta(0) <= leeway <= MAX_LEEWAY:
            raise InvalidInput(f"leeway must be between 0 and {MAX_LEEWAY}")
        self._keys = keys
        self.issuer = issuer
        self.audience = audience
        self.default_ttl = default_ttl
        self.max_ttl = max_ttl
        self._leeway = int(leeway.total_seconds())
        self.revocations = revocations or Revocations(database, clock=clock)
        self._agent_status = agent_status
        self._clock = clock

    def issue(
        self,
        *,
        agent_id: str,
        task_id: str,
        requester: str,
        capabilities: Capabilities,
        ttl: timedelta | None = None,
        expires_no_later_than: datetime | None = None,
    ) -> IssuedToken:
        """A root credential: the requester's task, handed to ``agent_id``.

        Pass the task's ``expires_at`` as ``expires_no_later_than`` so the
        credential never outlives the task.
        """
        check_agent_id(agent_id)
        check_agent_id(requester, "requester")
        if not task_id or len(task_id) > 200:
            raise InvalidInput("a task id is 1 to 200 characters")
        _check_patterns(capabilities)
        now = self._clock()
        expires = self._expiry(now, ttl)
        if expires_no_later_than is not None:
            if expires_no_later_than.tzinfo is None:
                raise InvalidInput("expires_no_later_than must carry a time zone")
            if expires_no_later_than <= now:
                raise InvalidInput(
                    "the credential would expire before it is issued", code="token_ttl_invalid"
                )
            expires = min(expires, _seconds(expires_no_later_than))
        return self._sign(agent_id, task_id, requester, capabilities, now, expires, ())

    def verify(self, token: str, *, audience: str | None = None) -> Credential:
        """The credential ``token`` carries, or :class:`Unauthorized` with the reason."""
        header, claims = self._verified_parts(token)
        self._check_registered_claims(claims, audience or self.audience)
        credential = credential_from_claims(claims, header["kid"])
        if credential.expires_at - credential.issued_at > TTL_CEILING:
            raise Unauthorized(
                "the token lives longer than any credential may", code="token_claims_invalid"
            )
        self._check_revocation(credential)
        return credential

    def exchange(
        self,
        subject_token: str,
        *,
        to_agent_id: str,
        capabilities: Capabilities | None = None,
        ttl: timedelta | None = None,
        max_depth: int = 4,
    ) -> IssuedToken:
        """RFC 8693 token exchange: hand the task on to ``to_agent_id``, never widening it.

        The new token keeps the task and requester, holds at most the subject's
        capabilities (all of them when ``capabilities`` is ``None``) and expires no
        later than the subject token.
        """
        if not 0 <= max_depth <= MAX_DELEGATION_DEPTH:
            raise InvalidInput(f"max_depth must be between 0 and {MAX_DELEGATION_DEPTH}")
        parent = self.verify(subject_token)
        check_agent_id(to_agent_id)
        if to_agent_id == parent.agent_id:
            raise _refuse("delegation_to_self", f"{to_agent_id} cannot delegate to itself")
        if to_agent_id in parent.chain[1:]:
            raise _refuse(
                "delegation_cycle", f"{to_agent_id} already delegated this task in this chain"
            )
        if parent.depth + 1 > max_depth:
            raise _refuse(
                "delegation_too_deep", f"the delegation chain may be at most {max_depth} hops"
            )
        self._check_target(to_agent_id)
        requested = parent.capabilities if capabilities is None else capabilities
        _check_patterns(requested)
        refusal = narrowing_refusal(parent.capabilities, requested)
        if refusal is not None:
            raise _refuse(
                "delegation_widens_capabilities", f"delegation may only narrow: {refusal}"
            )
        now = self._clock()
        if ttl is None:
            expires = min(self._expiry(now, None), parent.expires_at)
        else:
            expires = self._expiry(now, ttl)
            if expires > parent.expires_at:
                raise _refuse(
                    "delegation_extends_expiry",
                    f"the delegated token would outlive its subject ({parent.expires_at})",
                )
        link = DelegationLink(parent.jti, parent.agent_id, parent.issued_at)
        return self._sign(
            to_agent_id,
            parent.task_id,
            parent.requester,
            requested,
            now,
            expires,
            (*parent.lineage, link),
        )

    def revoke(self, credential: Credential, reason: str, actor: str) -> None:
        """Revoke a verified credential and everything delegated from it."""
        self.revocations.revoke(credential.jti, reason, actor, expires_at=credential.expires_at)

    def _expiry(self, now: datetime, ttl: timedelta | None) -> datetime:
        lifetime = self.default_ttl if ttl is None else ttl
        if not timedelta(0) < lifetime <= self.max_ttl:
            raise InvalidInput(
                f"a credential lives more than 0 and at most {self.max_ttl}; "
                "tokens that never expire are not issued",
                code="token_ttl_invalid",
            )
        return _seconds(now + lifetime)

    def _sign(
        self,
        agent_id: str,
        task_id: str,
        requester: str,
        capabilities: Capabilities,
        now: datetime,
        expires: datetime,
        lineage: tuple[DelegationLink, ...],
    ) -> IssuedToken:
        issued = _seconds(now)
        if expires <= issued:
            raise InvalidInput(
                "the credential would expire within a second", code="token_ttl_invalid"
            )
        key = self._keys.current()
        assert key.private_key is not None
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": agent_id,
            "aud": self.audience,
            "iat": int(issued.timestamp()),
            "nbf": int(issued.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": secrets.token_urlsafe(18),
            "task": task_id,
            "requester": requester,
            "caps": capabilities_claim(capabilities),
        }
        if lineage:
            claims["act"] = act_claim(tuple(link.agent_id for link in lineage))
            claims["ancestors"] = ancestors_claim(lineage)
        header = {"alg": ALGORITHM, "kid": key.kid, "typ": "JWT"}
        token = jwt.encode(header, claims, OKPKey.import_key(key.private_key), registry=_REGISTRY)
        return IssuedToken(token=token, claims=credential_from_claims(claims, key.kid))

    def _verified_parts(self, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
        if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_CHARS:
            raise _unauthorized("token_malformed", "the token is missing or too long")
        try:
            signed = jws.extract_compact(token.encode("ascii"), registry=_REGISTRY)
        except (JoseError, ValueError, TypeError) as exc:
            raise _unauthorized("token_malformed", "the token is not a compact JWS") from exc
        header = signed.headers()
        if not isinstance(header, dict) or set(header) - _HEADER_MEMBERS:
            raise _unauthorized("token_malformed", "the token header has unexpected members")
        if header.get("alg") != ALGORITHM:
            raise _unauthorized("token_alg_not_allowed", f"only {ALGORITHM} tokens are accepted")
        kid = header.get("kid")
        public_key = self._keys.public_key(kid) if isinstance(kid, str) else None
        if public_key is None:
            raise _unauthorized("token_unknown_key", "the token's signing key is not known")
        try:
            valid = jws.validate_compact(signed, OKPKey.import_key(public_key), registry=_REGISTRY)
        except JoseError as exc:
            raise _unauthorized("token_bad_signature", "the token signature is invalid") from exc
        if not valid:
            raise _unauthorized("token_bad_signature", "the token signature is invalid")
        try:
            claims = json.loads(signed.payload)
        except ValueError as exc:
            raise _unauthorized("token_malformed", "the token payload is not JSON") from exc
        if not isinstance(claims, dict):
            raise _unauthorized("token_malformed", "the token payload is not a JSON object")
        return header, claims

    def _check_registered_claims(self, claims: dict[str, Any], audience: str) -> None:
        missing = [name for name in _REQUIRED if claims.get(name) is None]
        if missing:
            raise _unauthorized("token_claims_invalid", f"missing claims: {', '.join(missing)}")
        for name in ("iat", "nbf", "exp"):
            if isinstance(claims[name], bool) or not isinstance(claims[name], int):
                raise _unauthorized("token_claims_invalid", f"{name} must be whole seconds")
        registry = jwt.JWTClaimsRegistry(
            now=math.floor(self._clock().timestamp()),
            leeway=self._leeway,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": audience},
        )
        checks: list[tuple[str, Callable[[object], None], str]] = [
            ("iss", registry.validate_iss, "token_wrong_issuer"),
            ("aud", registry.validate_aud, "token_wrong_audience"),
            ("exp", registry.validate_exp, "token_expired"),
            ("nbf", registry.validate_nbf, "token_not_yet_valid"),
            ("iat", registry.validate_iat, "token_not_yet_valid"),
        ]
        for name, check, code in checks:
            try:
                check(claims[name])
            except ExpiredTokenError as exc:
                raise _unauthorized("token_expired", "the token has expired") from exc
            except ClaimError as exc:
                raise _unauthorized(code, f"claim {name!r} is not acceptable") from exc

    def _check_revocation(self, credential: Credential) -> None:
        revocations = self.revocations
        for jti in (credential.jti, *(link.jti for link in credential.lineage)):
            if revocations.is_revoked(jti):
                detail = "" if jti == credential.jti else " (a token it was delegated from was)"
                raise _unauthorized("token_revoked", f"the token has been revoked{detail}")
        holders = [(link.agent_id, link.issued_at) for link in credential.lineage]
        holders.append((credential.agent_id, credential.issued_at))
        for agent_id, issued_at in holders:
            if revocations.is_agent_revoked(agent_id, issued_at):
                raise _unauthorized(
                    "token_revoked", f"the credentials of {agent_id} have been revoked"
                )

    def _check_target(self, agent_id: str) -> None:
        if self._agent_status is None:
            return
        status = self._agent_status(agent_id)
        if status is None:
            raise _refuse("delegation_to_unknown_agent", f"{agent_id} is not a registered agent")
        if status is not AgentStatus.ACTIVE:
            raise _refuse("delegation_to_inactive_agent", f"{agent_id} is {status.value}")


def _check_patterns(capabilities: Capabilities) -> None:
    for pattern in capabilities.tools:
        check_tool_name(pattern.replace("*", "x").replace("?", "x"))


def _seconds(moment: datetime) -> datetime:
    """``moment`` rounded down to the whole second a JWT NumericDate can say."""
    return moment.replace(microsecond=0)


def _unauthorized(code: str, message: str) -> Unauthorized:
    return Unauthorized(message, code=code)


def _refuse(code: str, message: str) -> Forbidden:
    return Forbidden(message, code=code)
