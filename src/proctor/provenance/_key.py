"""The secret that makes stored values unreadable: keyed digests, never the values.

A digest is BLAKE2b in its keyed (MAC) mode (RFC 7693, from :mod:`hashlib`), cut to
8 bytes. Each task gets its own key, derived from the provenance key and the task id,
so the same e-mail address recorded for two tasks is stored as two unrelated digests.

Why 8 bytes: a value never recorded matches one of ``n`` recorded digests by chance
with probability about ``n / 2**64`` (5·10⁻¹⁶ for 10,000 values), negligible even over
billions of look-ups, and eight bytes keep a 20,000-value session small in memory.
Without the key nobody can test a guess against the store; with it, anyone can (no
digest length protects values as guessable as e-mail addresses), so the key is kept
like the other signing keys, in a file only the gateway can read.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from pathlib import Path

from proctor.errors import InvalidInput

KEY_BYTES = 32
DIGEST_BYTES = 8
_TASK_PERSONAL = b"proctor-prov-v1"
_RECENT = 512


class ProvenanceKey:
    """The secret for keyed digests (32 random bytes)."""

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes):
        if not isinstance(secret, bytes) or len(secret) != KEY_BYTES:
            raise InvalidInput(
                f"a provenance key is exactly {KEY_BYTES} bytes",
                code="provenance_key_invalid",
            )
        self._secret = secret

    @classmethod
    def generate(cls) -> ProvenanceKey:
        return cls(secrets.token_bytes(KEY_BYTES))

    @classmethod
    def from_bytes(cls, secret: bytes) -> ProvenanceKey:
        return cls(secret)

    def to_bytes(self) -> bytes:
        return self._secret

    @classmethod
    def load_or_create(cls, path: Path) -> ProvenanceKey:
        """Read the key at ``path``, creating it (mode 0600) if there is none.

        A key file that group or others may read is refused: whoever holds the key can
        test guesses against every stored digest.
        """
        try:
            return cls._load(path)
        except FileNotFoundError:
            pass
        key = cls.generate()
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return cls._load(path)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key.to_bytes())
            handle.flush()
            os.fsync(handle.fileno())
        return key

    @classmethod
    def _load(cls, path: Path) -> ProvenanceKey:
        with open(path, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise InvalidInput(
                    f"provenance key {path} is accessible to group or others "
                    f"(mode {stat.S_IMODE(mode):04o}); restrict it with: chmod 600 {path}",
                    code="provenance_key_exposed",
                )
            return cls(handle.read())

    def digester(self, task_id: str) -> Digester:
        """The digest function for one task's values."""
        task_key = hashlib.blake2b(
            task_id.encode("utf-8", "surrogatepass"),
            key=self._secret,
            digest_size=32,
            person=_TASK_PERSONAL,
        ).digest()
        return Digester(task_key)

    def __repr__(self) -> str:
        return "ProvenanceKey(<secret>)"


class Digester:
    """Keyed 8-byte digests of one family of canonical forms for one task.

    The last few hundred digests are remembered: a call's arguments repeat values
    (the same recipient, the same account) and piece starts, and a digest costs more
    than a look-up.
    """

    __slots__ = ("_families", "recent")

    def __init__(self, task_key: bytes):
        base = hashlib.blake2b(key=task_key, digest_size=DIGEST_BYTES)
        self._families: dict[int, hashlib.blake2b] = {}
        for family in range(1, 5):
            state = base.copy()
            state.update(bytes((family,)))
            self._families[family] = state
        #: Per family, canonical form → digest, for the most recent look-ups.
        self.recent: list[dict[str, bytes]] = [{} for _ in range(5)]

    def __call__(self, family: int, canonical: str) -> bytes:
        state = self._families[family].copy()
        state.update(canonical.encode("utf-8", "surrogatepass"))
        return state.digest()

    def remember(self, family: int, canonical: str) -> bytes:
        """Digest ``canonical`` and keep it among the recent ones (for look-ups)."""
        recent = self.recent[family]
        if len(recent) >= _RECENT:
            recent.clear()
        # What __call__ does, inline: this runs for every new value a check looks up.
        state = self._families[family].copy()
        state.update(canonical.encode("utf-8", "surrogatepass"))
        digest = recent[canonical] = state.digest()
        return digest
