"""One-click approval links: signed, short-lived, single-use, bound to one person.

A link carries a JWT (HS256 over a key only this Proctor holds, through joserfc)
naming the approval request, the action (approve or deny), the person it acts for
and when it stops working. Opening the link only shows the call and a form: chat
apps and mail scanners fetch links on their own, so a GET must never decide
anything. Submitting the form redeems the link, once: its ``jti`` is written to
the store in the same breath, and a second submission is refused. The person's
roles and the request's approver rules are checked as for any other approval, so
a link never lets anyone do more than the person it names could do with their key.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import OctKey

from proctor.approvals._tables import approval_link_uses
from proctor.errors import Unauthorized
from proctor.store import Database, utcnow

LinkAction = Literal["approve", "deny"]
DEFAULT_LINK_TTL = timedelta(minutes=15)
_ALGORITHM = "HS256"
_AUDIENCE = "proctor:approval-link"
_TYPE = "proctor-approval-link+jwt"
_MAX_TOKEN = 2048
_LEEWAY_S = 5


@dataclass(frozen=True, slots=True)
class LinkClaims:
    """What a verified link says."""

    link_id: str
    approval_id: str
    person_id: str
    action: LinkAction
    expires_at: datetime


class ApprovalLinks:
    """Issues and redeems one-click links with a 256-bit key held in the data directory."""

    def __init__(self, database: Database, key: bytes, *, issuer: str = "proctor") -> None:
        if len(key) < 32:
            raise ValueError("the approval-link key must hold at least 256 bits")
        self._db = database
        self._key = OctKey.import_key(key)
        self._issuer = issuer

    def issue(
        self,
        approval_id: str,
        person_id: str,
        action: LinkAction,
        *,
        ttl: timedelta = DEFAULT_LINK_TTL,
        not_after: datetime | None = None,
    ) -> str:
        """A link token for ``person_id`` to ``action`` the request, valid for ``ttl``
        (never past ``not_after``, the request's own expiry)."""
        now = utcnow()
        expires = now + ttl if not_after is None else min(now + ttl, not_after)
        claims = {
            "iss": self._issuer,
            "aud": _AUDIENCE,
            "sub": person_id,
            "apr": approval_id,
            "act": action,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": secrets.token_urlsafe(16),
        }
        header = {"alg": _ALGORITHM, "typ": _TYPE}
        return jwt.encode(header, claims, self._key, algorithms=[_ALGORITHM])

    def peek(self, token: str) -> LinkClaims:
        """The link's claims if it is genuine, unexpired and unused; nothing is spent."""
        claims = self._verify(token)
        if self._used(claims.link_id):
            raise Unauthorized("this approval link has already been used", code="link_used")
        return claims

    def redeem(self, token: str) -> LinkClaims:
        """Spend the link: it is genuine, unexpired and this is its first use."""
        claims = self._verify(token)
        try:
            with self._db.begin_raw() as connection:
                connection.execute(
                    sa.insert(approval_link_uses).values(
                        link_id=claims.link_id,
                        approval_id=claims.approval_id,
                        used_at=utcnow(),
                        expires_at=claims.expires_at,
                    )
                )
        except sa.exc.IntegrityError:
            raise Unauthorized(
                "this approval link has already been used", code="link_used"
            ) from None
        return claims

    def _used(self, link_id: str) -> bool:
        query = sa.select(approval_link_uses.c.link_id).where(
            approval_link_uses.c.link_id == link_id
        )
        with self._db.connect() as connection:
            return connection.execute(query).first() is not None

    def _verify(self, token: str) -> LinkClaims:
        invalid = Unauthorized(
            "this approval link is not valid (altered, for another Proctor, or malformed)",
            code="link_invalid",
        )
        if not token or len(token) > _MAX_TOKEN or not token.isascii():
            raise invalid
        try:
            decoded = jwt.decode(token, self._key, algorithms=[_ALGORITHM])
        except (JoseError, ValueError):
            raise invalid from None
        if decoded.header.get("typ") != _TYPE:
            raise invalid
        claims = decoded.claims
        registry = jwt.JWTClaimsRegistry(
            leeway=_LEEWAY_S,
            iss={"essential": True, "value": self._issuer},
            aud={"essential": True, "value": _AUDIENCE},
            exp={"essential": True},
            sub={"essential": True},
            jti={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise Unauthorized(
                "this approval link has expired; use the CLI or API instead",
                code="link_expired",
            ) from None
        except JoseError:
            raise invalid from None
        action = claims.get("act")
        approval_id = claims.get("apr")
        if action not in ("approve", "deny") or not isinstance(approval_id, str):
            raise invalid
        return LinkClaims(
            link_id=str(claims["jti"]),
            approval_id=approval_id,
            person_id=str(claims["sub"]),
            action=action,
            expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=utcnow().tzinfo),
        )
