"""The Ed25519 keys that sign agent credentials, their rotation and their JWKS.

The private keys live in the store, not in files: every replica of the gateway
(one SQLite file, or several processes on PostgreSQL) must sign with the same
current key and verify with the same set, and a rotation in one must be seen by
all. The cost is that whoever can read the store can mint credentials, so the
store is a secret: the data directory is 0700, and a PostgreSQL store's
credentials and backups must be guarded like the keys themselves.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc.jwk import OKPKey

from proctor.errors import InvalidInput, StoreError
from proctor.identity._token_tables import signing_keys
from proctor.store import ChangeWatch, Database, as_utc, read_version, utcnow

_VERSION_KEY = "signing_keys"
DEFAULT_OVERLAP = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One key's record. ``private_key`` is only set on the key that signs."""

    kid: str
    public_key: Ed25519PublicKey = field(repr=False)
    created_at: datetime
    retired_at: datetime | None = None
    not_after: datetime | None = None
    private_key: Ed25519PrivateKey | None = field(default=None, repr=False, compare=False)

    def verifies_at(self, moment: datetime) -> bool:
        """True while tokens signed with this key may still be accepted."""
        if self.retired_at is None:
            return True
        return self.not_after is not None and moment < self.not_after

    def jwk(self) -> dict[str, str]:
        """The public key as a JWK (RFC 8037: kty OKP, crv Ed25519)."""
        raw = self.public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii"),
            "kid": self.kid,
            "use": "sig",
            "alg": "EdDSA",
        }


class SigningKeys:
    """The store's signing keys, cached in memory.

    A change made here is seen at once by this object; a change made by another
    process (a rotation elsewhere) at most ``poll_interval_s`` later, when the
    ``signing_keys`` change counter has moved.
    """

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime] = utcnow,
        poll_interval_s: float = 1.0,
    ) -> None:
        self._db = database
        self._clock = clock
        self._watch = ChangeWatch(database, _VERSION_KEY, poll_interval_s)
        self._lock = threading.Lock()
        self._version = -1
        self._keys: dict[str, SigningKey] = {}
        self._refresh()

    def current(self) -> SigningKey:
        """The key that signs new tokens; created on first use."""
        self._maybe_poll()
        key = self._current_or_none()
        if key is not None:
            return key
        self._write(self._create_if_missing)
        key = self._current_or_none()
        if key is None:  # pragma: no cover - the write above guarantees one
            raise StoreError("no current signing key after creating one")
        return key

    def rotate(self, overlap: timedelta = DEFAULT_OVERLAP) -> SigningKey:
        """Make a new key current; the old one still verifies for ``overlap``.

        ``overlap`` should be at least the longest token lifetime, or tokens
        issued just before the rotation stop working early. After a key
        compromise, rotate with ``timedelta(0)``: every token it signed dies now.
        """
        if overlap < timedelta(0):
            raise InvalidInput("the rotation overlap cannot be negative", code="invalid_overlap")

        def rotate_in(connection: sa.Connection) -> None:
            now = self._clock()
            connection.execute(
                sa.update(signing_keys)
                .where(signing_keys.c.is_current.is_(True))
                .values(is_current=None, retired_at=now, not_after=now + overlap)
            )
            connection.execute(sa.insert(signing_keys).values(_new_key_row(now)))

        self._write(rotate_in)
        key = self._current_or_none()
        if key is None:  # pragma: no cover - the write above guarantees one
            raise StoreError("no current signing key after rotation")
        return key

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        """The public key ``kid`` names, or ``None`` when unknown or past its overlap."""
        key = self._keys.get(kid)
        # An unknown kid may be a rotation in another process: read the counter now
        # (cheap); the keys are reloaded only when it moved.
        if self._watch.moved_since(self._version, force=key is None):
            self._refresh()
            key = self._keys.get(kid)
        if key is None or not key.verifies_at(self._clock()):
            return None
        return key.public_key

    def verification_keys(self) -> list[SigningKey]:
        """Every key that still verifies, newest first (private halves omitted)."""
        self._maybe_poll()
        now = self._clock()
        keys = [_public_only(key) for key in self._keys.values() if key.verifies_at(now)]
        return sorted(keys, key=lambda key: key.created_at, reverse=True)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The verifying keys as a JWK Set (RFC 7517 §5), for ``/.well-known/jwks.json``."""
        return {"keys": [key.jwk() for key in self.verification_keys()]}

    def _current_or_none(self) -> SigningKey | None:
        for key in self._keys.values():
            if key.retired_at is None and key.private_key is not None:
                return key
        return None

    def _create_if_missing(self, connection: sa.Connection) -> None:
        exists = connection.execute(
            sa.select(signing_keys.c.kid).where(signing_keys.c.is_current.is_(True))
        ).first()
        if exists is None:
            connection.execute(sa.insert(signing_keys).values(_new_key_row(self._clock())))

    def _write(self, change: Callable[[sa.Connection], None]) -> None:
        try:
            with self._db.begin_raw() as connection:
                change(connection)
                self._db.bump_version(connection, _VERSION_KEY)
        except sa.exc.IntegrityError:
            # Another process made its key current first; theirs is the key.
            pass
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"store error: {exc.__class__.__name__}: {exc}") from exc
        self._refresh()

    def _maybe_poll(self) -> None:
        if self._watch.moved_since(self._version):
            self._refresh()

    def _refresh(self) -> None:
        with self._lock, self._db.connect() as connection:
            version = read_version(connection, _VERSION_KEY)
            rows = connection.execute(sa.select(signing_keys)).mappings().all()
            self._keys = {row["kid"]: _key_from_row(row) for row in rows}
            self._version = version


def _new_key_row(now: datetime) -> dict[str, Any]:
    private_key = Ed25519PrivateKey.generate()
    public_key = private_key.public_key()
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return {
        "kid": _thumbprint(public_key),
        "public_key": public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        ),
        "private_key_pem": pem.decode("ascii"),
        "created_at": now,
        "is_current": True,
        "retired_at": None,
        "not_after": None,
    }


def _thumbprint(public_key: Ed25519PublicKey) -> str:
    """RFC 7638 JWK thumbprint: a kid any verifier can recompute from the JWK."""
    return OKPKey.import_key(public_key).thumbprint()


def _key_from_row(row: Any) -> SigningKey:
    public_key = Ed25519PublicKey.from_public_bytes(bytes(row["public_key"]))
    private_key: Ed25519PrivateKey | None = None
    if row["is_current"]:
        loaded = serialization.load_pem_private_key(
            row["private_key_pem"].encode("ascii"), password=None
        )
        if not isinstance(loaded, Ed25519PrivateKey):
            raise StoreError(f"signing key {row['kid']} is not an Ed25519 key")
        private_key = loaded
    return SigningKey(
        kid=row["kid"],
        public_key=public_key,
        created_at=as_utc(row["created_at"]),
        retired_at=as_utc(row["retired_at"]) if row["retired_at"] else None,
        not_after=as_utc(row["not_after"]) if row["not_after"] else None,
        private_key=private_key,
    )


def _public_only(key: SigningKey) -> SigningKey:
    return SigningKey(
        kid=key.kid,
        public_key=key.public_key,
        created_at=key.created_at,
        retired_at=key.retired_at,
        not_after=key.not_after,
    )
