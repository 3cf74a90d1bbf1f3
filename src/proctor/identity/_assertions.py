"""Client assertions (RFC 7523 ``private_key_jwt``): how an agent proves who it is.

An agent registered with a public key signs a short-lived JWT with its private
key, which never leaves the agent; the gateway checks it against the registered
key and remembers its ``jti`` until it expires, so each assertion works once.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwa import ESAlgorithm
from joserfc.jwk import JWKRegistry
from joserfc.jws import CompactSignature, JWSRegistry

from proctor.errors import InvalidInput, StoreError, Unauthorized
from proctor.identity._token_tables import used_assertions
from proctor.identity._tokens import MAX_LEEWAY, _Ed25519Only
from proctor.inventory import check_agent_id
from proctor.model import Agent, AgentStatus
from proctor.store import Database, utcnow

#: ``client_assertion_type`` of RFC 7521 §4.2 for a JWT (RFC 7523 §2.2).
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: The longest an assertion may live (``exp - iat``); its jti is kept that long.
MAX_ASSERTION_LIFETIME = timedelta(minutes=5)

#: Finds a registered agent by id (``None`` when there is none).
AgentLookup = Callable[[str], Agent | None]

_MAX_ASSERTION_CHARS = 8_192
_MAX_JTI_CHARS = 200
_HEADER_MEMBERS = frozenset({"alg", "kid", "typ"})
# "client-authentication+jwt" is the explicit type of draft-ietf-oauth-rfc7523bis.
_TYPES = frozenset({"JWT", "jwt", "client-authentication+jwt"})
# Rows stay a while after their assertion expired, so a replica whose clock is a
# little behind still finds them.
_KEEP_AFTER_EXPIRY = timedelta(minutes=10)
_PRUNE_EVERY = timedelta(minutes=1)


class _Ed25519Name(_Ed25519Only):
    # RFC 9864's fully specified name for EdDSA over Ed25519: the same algorithm.
    name = "Ed25519"


class _AssertionRegistry(JWSRegistry):
    # Our own table, as for tokens: "none", HS*, RS* and the rest do not exist here,
    # so they are refused before any key is looked at.
    algorithms = {
        "EdDSA": _Ed25519Only(),
        "Ed25519": _Ed25519Name(),
        "ES256": ESAlgorithm("ES256", "P-256", 256),
    }
    recommended = ["EdDSA", "Ed25519", "ES256"]


_REGISTRY = _AssertionRegistry(algorithms=list(_AssertionRegistry.algorithms))
#: Which algorithms a registered key of each type signs with.
_ALGORITHMS_BY_KEY_TYPE = {"OKP": frozenset({"EdDSA", "Ed25519"}), "EC": frozenset({"ES256"})}


class ClientAssertions:
    """Verifies RFC 7523 client assertions and keeps each one single-use.

    ``audience`` is what the assertion's ``aud`` must name: the gateway's token
    endpoint, ``f"{issuer}/v1/token"``. ``agents`` finds registered agents (the
    inventory snapshot); only an active agent with a public key can assert.
    """

    def __init__(
        self,
        database: Database,
        agents: AgentLookup,
        *,
        audience: str,
        leeway: timedelta = MAX_LEEWAY,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if not audience:
            raise InvalidInput("client assertions need an audience")
        if not timedelta(0) <= leeway <= MAX_LEEWAY:
            raise InvalidInput(f"leeway must be between 0 and {MAX_LEEWAY}")
        self._db = database
        self._agents = agents
        self.audience = audience
        self._leeway = leeway.total_seconds()
        self._clock = clock
        self._lock = threading.Lock()
        self._next_prune: datetime | None = None

    def verify(self, assertion: str) -> str:
        """The id of the agent that signed ``assertion``; the assertion is then used up.

        Raises :class:`Unauthorized` with a stable ``assertion_*`` code when the
        assertion is malformed, not signed by the agent's registered key, not for
        this gateway, outside its lifetime, or already used.
        """
        signed, claims = _parts(assertion)
        agent, public_key = self._asserting_agent(claims)
        _check_signature(signed, agent, public_key)
        expires_at = self._check_claims(claims)
        jti = claims.get("jti")
        if not isinstance(jti, str) or not 0 < len(jti) <= _MAX_JTI_CHARS:
            raise _unauthorized(
                "assertion_claims_invalid", f"jti must be a unique string of 1 to {_MAX_JTI_CHARS}"
            )
        self._use(agent.id, jti, expires_at)
        return agent.id

    def _asserting_agent(self, claims: Mapping[str, Any]) -> tuple[Agent, Mapping[str, str]]:
        issuer, subject = claims.get("iss"), claims.get("sub")
        if not isinstance(issuer, str) or not isinstance(subject, str):
            raise _unauthorized(
                "assertion_claims_invalid", "iss and sub must both be the agent's id"
            )
        if issuer != subject:
            raise _unauthorized(
                "assertion_claims_invalid",
                "iss and sub must both be the agent's id (an agent asserts only itself)",
            )
        try:
            check_agent_id(subject)
        except InvalidInput as exc:
            raise _unauthorized("assertion_unknown_agent", "sub is not an agent id") from exc
        agent = self._agents(subject)
        if agent is None:
            raise _unauthorized("assertion_unknown_agent", f"{subject} is not a registered agent")
        if agent.status is not AgentStatus.ACTIVE:
            raise _unauthorized("assertion_agent_inactive", f"{subject} is {agent.status.value}")
        if agent.public_key is None:
            raise _unauthorized(
                "assertion_no_public_key",
                f"{subject} has no registered public key; register one with the agent",
            )
        return agent, agent.public_key

    def _check_claims(self, claims: Mapping[str, Any]) -> datetime:
        """The assertion's expiry, once audience and times are acceptable."""
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience
        if not isinstance(audiences, list) or self.audience not in audiences:
            raise _unauthorized(
                "assertion_wrong_audience", f"aud must be this gateway's {self.audience!r}"
            )
        expires, issued = _numeric(claims, "exp"), _numeric(claims, "iat")
        now = self._clock().timestamp()
        if now > expires + self._leeway:
            raise _unauthorized("assertion_expired", "the assertion has expired")
        if issued > now + self._leeway:
            raise _unauthorized("assertion_not_yet_valid", "the assertion's iat is in the future")
        if "nbf" in claims and _numeric(claims, "nbf") > now + self._leeway:
            raise _unauthorized("assertion_not_yet_valid", "the assertion's nbf has not come")
        if expires <= issued:
            raise _unauthorized("assertion_claims_invalid", "exp must come after iat")
        if expires - issued > MAX_ASSERTION_LIFETIME.total_seconds():
            raise _unauthorized(
                "assertion_lifetime_too_long",
                f"exp may be at most {MAX_ASSERTION_LIFETIME} after iat; sign a fresh "
                "assertion for each request",
            )
        return datetime.fromtimestamp(expires, UTC)

    def _use(self, agent_id: str, jti: str, expires_at: datetime) -> None:
        now = self._clock()
        try:
            with self._db.begin_raw() as connection:
                if self._prune_due(now):
                    connection.execute(
                        sa.delete(used_assertions).where(
                            used_assertions.c.expires_at < now - _KEEP_AFTER_EXPIRY
                        )
                    )
                connection.execute(
                    sa.insert(used_assertions).values(
                        agent_id=agent_id, jti=jti, expires_at=expires_at
                    )
                )
        except sa.exc.IntegrityError as exc:
            raise _unauthorized(
                "assertion_replayed", "this assertion was used before; sign a new one (new jti)"
            ) from exc
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"store error: {exc.__class__.__name__}: {exc}") from exc

    def _prune_due(self, now: datetime) -> bool:
        with self._lock:
            if self._next_prune is not None and now < self._next_prune:
                return False
            self._next_prune = now + _PRUNE_EVERY
            return True


def public_key_thumbprint(public_key: Mapping[str, str]) -> str:
    """The RFC 7638 thumbprint of a registered public key: a short name for audit logs."""
    return JWKRegistry.import_key(dict(public_key)).thumbprint()


def _parts(assertion: str) -> tuple[CompactSignature, dict[str, Any]]:
    """The signed assertion and its (not yet trusted) claims; refuses bad shapes and algs."""
    if not isinstance(assertion, str) or not 0 < len(assertion) <= _MAX_ASSERTION_CHARS:
        raise _unauthorized("assertion_malformed", "the assertion is missing or too long")
    try:
        signed = jws.extract_compact(assertion.encode("ascii"), registry=_REGISTRY)
    except (JoseError, ValueError, TypeError) as exc:
        raise _unauthorized("assertion_malformed", "the assertion is not a compact JWS") from exc
    header = signed.headers()
    if not isinstance(header, dict) or set(header) - _HEADER_MEMBERS:
        raise _unauthorized(
            "assertion_malformed", "the assertion header may hold only alg, kid and typ"
        )
    if header.get("alg") not in _AssertionRegistry.algorithms:
        raise _unauthorized(
            "assertion_alg_not_allowed", "assertions are signed with EdDSA (Ed25519) or ES256"
        )
    if "typ" in header and header["typ"] not in _TYPES:
        raise _unauthorized("assertion_malformed", "the assertion's typ is not a JWT type")
    try:
        claims = json.loads(signed.payload)
    except ValueError as exc:
        raise _unauthorized("assertion_malformed", "the assertion payload is not JSON") from exc
    if not isinstance(claims, dict):
        raise _unauthorized("assertion_malformed", "the assertion payload is not a JSON object")
    return signed, claims


def _check_signature(signed: CompactSignature, agent: Agent, public_key: Mapping[str, str]) -> None:
    algorithm = signed.headers()["alg"]
    key_type = public_key.get("kty", "")
    if algorithm not in _ALGORITHMS_BY_KEY_TYPE.get(key_type, frozenset()):
        names = " or ".join(sorted(_ALGORITHMS_BY_KEY_TYPE.get(key_type, ())))
        raise _unauthorized(
            "assertion_alg_not_allowed",
            f"{agent.id} registered a {key_type} key: its assertions are signed with {names}",
        )
    try:
        valid = jws.validate_compact(
            signed, JWKRegistry.import_key(dict(public_key)), registry=_REGISTRY
        )
    except (JoseError, ValueError) as exc:
        raise _unauthorized(
            "assertion_bad_signature", "the assertion signature is invalid"
        ) from exc
    if not valid:
        raise _unauthorized(
            "assertion_bad_signature",
            f"the assertion is not signed by the key registered for {agent.id}",
        )


def _numeric(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _unauthorized("assertion_claims_invalid", f"{name} must be a NumericDate (seconds)")
    # A NumericDate beyond what a datetime can hold is no date anyone means.
    if not 0 <= value < 253_402_300_800:
        raise _unauthorized("assertion_claims_invalid", f"{name} is out of range")
    return float(value)


def _unauthorized(code: str, message: str) -> Unauthorized:
    return Unauthorized(message, code=code)


def token_endpoint_audience(issuer: str) -> str:
    """What a client assertion's ``aud`` must be: this gateway's token endpoint."""
    return f"{issuer}/v1/token"
