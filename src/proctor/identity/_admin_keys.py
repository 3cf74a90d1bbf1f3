"""Admin API keys: random bearer secrets, stored only as hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from proctor.errors import NotFound, Unauthorized
from proctor.identity._tables import admin_keys
from proctor.store import Database, utcnow

_PREFIX = "prk_"


@dataclass(frozen=True, slots=True)
class AdminKey:
    """A key's public record; the secret is never kept."""

    id: str
    name: str
    created_at: datetime
    revoked: bool


class AdminKeys:
    """Issues, verifies and revokes admin keys.

    A key reads ``prk_<id>.<secret>``. The secret is 256 random bits, so a single
    SHA-256 is the right hash: a slow password hash protects guessable secrets,
    and these are not guessable.
    """

    def __init__(self, database: Database):
        self._db = database

    def create(self, name: str) -> tuple[AdminKey, str]:
        """Create a key; returns its record and the plaintext, shown only this once."""
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        now = utcnow()
        with self._db.begin() as connection:
            connection.execute(
                sa.insert(admin_keys).values(
                    id=key_id, name=name, key_hash=_hash(secret), created_at=now, revoked_at=None
                )
            )
        return AdminKey(id=key_id, name=name, created_at=now, revoked=False), (
            f"{_PREFIX}{key_id}.{secret}"
        )

    def authenticate(self, presented: str) -> AdminKey:
        """The key behind a bearer value, or :class:`Unauthorized` saying what is wrong."""
        key_id, secret = _split(presented)
        with self._db.connect() as connection:
            row = (
                connection.execute(sa.select(admin_keys).where(admin_keys.c.id == key_id))
                .mappings()
                .first()
            )
        if row is None or not hmac.compare_digest(row["key_hash"], _hash(secret)):
            raise Unauthorized("the API key is not valid", code="invalid_api_key")
        if row["revoked_at"] is not None:
            raise Unauthorized("the API key has been revoked", code="revoked_api_key")
        return AdminKey(id=row["id"], name=row["name"], created_at=row["created_at"], revoked=False)

    def revoke(self, key_id: str) -> None:
        with self._db.begin() as connection:
            done = connection.execute(
                sa.update(admin_keys)
                .where(admin_keys.c.id == key_id, admin_keys.c.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
        if done.rowcount == 0:
            raise NotFound(f"no active admin key {key_id!r}")

    def list(self) -> list[AdminKey]:
        with self._db.connect() as connection:
            rows = connection.execute(sa.select(admin_keys).order_by(admin_keys.c.created_at))
            return [
                AdminKey(
                    id=row.id,
                    name=row.name,
                    created_at=row.created_at,
                    revoked=row.revoked_at is not None,
                )
                for row in rows
            ]


def _split(presented: str) -> tuple[str, str]:
    if not presented.isascii() or not presented.startswith(_PREFIX) or "." not in presented:
        raise Unauthorized(
            "the API key is malformed: expected 'prk_<id>.<secret>'", code="invalid_api_key"
        )
    key_id, _, secret = presented[len(_PREFIX) :].partition(".")
    if not key_id or not secret:
        raise Unauthorized("the API key is malformed", code="invalid_api_key")
    return key_id, secret


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
