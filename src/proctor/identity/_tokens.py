"""Agent credentials: short-lived JWTs bound to one agent, task and requester.

Tokens are signed with the current key of :class:`SigningKeys` (EdDSA over
Ed25519) and verified with joserfc. Delegation follows RFC 8693 token exchange:
an agent trades its token for a narrower one held by another agent.
"""

from __future__ import annotations

import json
import math
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
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
#: How many verified tokens keep their signature check remembered (about 1 KiB each).
VERIFIED_CACHE_SIZE = 10_000

AgentStatusLookup = Callable[[str], AgentStatus | None]
#: Told of every token signed, with who asked for it (the ledger of issued tokens).
IssueListener = Callable[[IssuedToken, str], None]


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
        on_issue: IssueListener | None = None,
        max_depth: int = 4,
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
        if not 0 <= max_depth <= MAX_DELEGATION_DEPTH:
            raise InvalidInput(f"max_depth must be between 0 and {MAX_DELEGATION_DEPTH}")
        self._keys = keys
        self.issuer = issuer
        self.audience = audience
        self.default_ttl = default_ttl
        self.max_ttl = max_ttl
        self._leeway = int(leeway.total_seconds())
        self.revocations = revocations or Revocations(database, clock=clock)
        self._agent_status = agent_status
        self._on_issue = on_issue
        self.max_depth = max_depth
        self._clock = clock
        # token -> its credential, for tokens whose signature and claims were checked.
        # An agent presents the same token on every call of its task; checking an
        # Ed25519 signature costs ~100 µs, far more than the rest of a decision.
        self._verified: OrderedDict[str, Credential] = OrderedDict()
        self._verified_lock = threading.Lock()

    def issue(
        self,
        *,
        agent_id: str,
        task_id: str,
        requester: str,
        capabilities: Capabilities,
        ttl: timedelta | None = None,
        expires_no_later_than: datetime | None = None,
        may_deliver: bool = False,
        issued_by: str = "",
    ) -> IssuedToken:
        """A root credential: the requester's task, handed to ``agent_id``.

        Pass the task's ``expires_at`` as ``expires_no_later_than`` so the
        credential never outlives the task, and ``may_deliver=True`` when the task
        has a deliverable. ``issued_by`` (who asked) goes to the issue listener.
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
        return self._sign(
            _Grant(agent_id, task_id, requester, capabilities, may_deliver),
            now,
            expires,
            (),
            issued_by or requester,
        )

    def verify(
        self, token: str, *, audience: str | None = None, check_revocation: bool = True
    ) -> Credential:
        """The credential ``token`` carries, or :class:`Unauthorized` with the reason.

        ``check_revocation=False`` is for a caller that wants to give a more specific
        reason first (the gateway says ``agent_suspended`` rather than
        ``token_revoked``); it must then call :meth:`check_revocation` itself.
        """
        audience = audience or self.audience
        credential = self._remembered(token) if audience == self.audience else None
        if credential is None:
            credential = self._verify_fully(token, audience)
            if audience == self.audience:
                self._remember(token, credential)
        if check_revocation:
            self.check_revocation(credential)
        return credential

    def _verify_fully(self, token: str, audience: str) -> Credential:
        header, claims = self._verified_parts(token)
        self._check_registered_claims(claims, audience)
        credential = credential_from_claims(claims, header["kid"])
        if credential.expires_at - credential.issued_at > TTL_CEILING:
            raise Unauthorized(
                "the token lives longer than any credential may", code="token_claims_invalid"
            )
        return credential

    def _remembered(self, token: str) -> Credential | None:
        """The credential of a token verified before, re-checked for what can change.

        A signature stays valid for the same bytes and key, so only the key's standing
        (rotated out past its overlap) and time (expired) are checked again here;
        revocation is checked by :meth:`verify` on every call either way.
        """
        credential = self._verified.get(token)
        if credential is None:
            return None
        if self._keys.public_key(credential.kid) is None:
            self._forget(token)
            return None
        now = math.floor(self._clock().timestamp())
        if now - self._leeway >= credential.expires_at.timestamp():
            self._forget(token)
            raise _unauthorized("token_expired", "the token has expired")
        return credential

    def _remember(self, token: str, credential: Credential) -> None:
        with self._verified_lock:
            self._verified[token] = credential
            if len(self._verified) > VERIFIED_CACHE_SIZE:
                self._verified.popitem(last=False)

    def _forget(self, token: str) -> None:
        with self._verified_lock:
            self._verified.pop(token, None)

    def exchange(
        self,
        subject_token: str,
        *,
        to_agent_id: str,
        capabilities: Capabilities | None = None,
        ttl: timedelta | None = None,
        may_deliver: bool | None = None,
        max_depth: int | None = None,
    ) -> IssuedToken:
        """RFC 8693 token exchange: hand the task on to ``to_agent_id``, never widening it.

        The new token keeps the task and requester, holds at most the subject's
        capabilities (all of them when ``capabilities`` is ``None``), may produce
        the deliverable only if the subject may (inherited when ``may_deliver`` is
        ``None``) and expires no later than the subject token.
        """
        max_depth = self.max_depth if max_depth is None else max_depth
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
        if may_deliver is None:
            may_deliver = parent.may_deliver
        elif may_deliver and not parent.may_deliver:
            raise _refuse(
                "delegation_widens_capabilities",
                f"delegation may only narrow: {parent.agent_id} may not produce the deliverable",
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
            _Grant(to_agent_id, parent.task_id, parent.requester, requested, may_deliver),
            now,
            expires,
            (*parent.lineage, link),
            parent.agent_id,
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
        grant: _Grant,
        now: datetime,
        expires: datetime,
        lineage: tuple[DelegationLink, ...],
        issued_by: str,
    ) -> IssuedToken:
        issued = self._issue_second(grant.agent_id, now)
        if expires <= issued:
            raise InvalidInput(
                "the credential would expire within a second", code="token_ttl_invalid"
            )
        key = self._keys.current()
        assert key.private_key is not None
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": grant.agent_id,
            "aud": self.audience,
            "iat": int(issued.timestamp()),
            "nbf": int(issued.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": _new_jti(),
            "task": grant.task_id,
            "requester": grant.requester,
            "caps": capabilities_claim(grant.capabilities),
            "dlv": grant.may_deliver,
        }
        if lineage:
            claims["act"] = act_claim(tuple(link.agent_id for link in lineage))
            claims["ancestors"] = ancestors_claim(lineage)
        header = {"alg": ALGORITHM, "kid": key.kid, "typ": "JWT"}
        token = jwt.encode(header, claims, OKPKey.import_key(key.private_key), registry=_REGISTRY)
        signed = IssuedToken(token=token, claims=credential_from_claims(claims, key.kid))
        if self._on_issue is not None:
            self._on_issue(signed, issued_by)
        return signed

    def _issue_second(self, agent_id: str, now: datetime) -> datetime:
        """The whole second a new token says it was issued.

        Tokens issued up to and including the second of an agent's revocation count
        as revoked (``iat`` has no finer grain). A token issued after a revival in
        that same second is dated to the next one, so it is not born revoked; the
        clock leeway on ``iat``/``nbf`` covers the fraction of a second.
        """
        issued = _seconds(now)
        cut_off = self.revocations.agent_cut_off(agent_id)
        if cut_off is not None and issued <= cut_off < now:
            return _seconds(cut_off) + timedelta(seconds=1)
        return issued

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

    def check_revocation(self, credential: Credential) -> None:
        """Raise :class:`Unauthorized` (``token_revoked``) if the credential, a token it
        was delegated from, or any agent of its chain has been revoked."""
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


@dataclass(frozen=True, slots=True)
class _Grant:
    """What a token grants, before it is given times and signed."""

    agent_id: str
    task_id: str
    requester: str
    capabilities: Capabilities
    may_deliver: bool


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


def _new_jti() -> str:
    """A random token id (144 bits, base64url) that does not start with ``-``: one in
    64 did, and a command line then read it as an option (``proctor tokens show -AbC…``)."""
    while True:
        jti = secrets.token_urlsafe(18)
        if not jti.startswith("-"):
            return jti
