"""The Ed25519 key that signs checkpoints, and the public keys that check them."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterable, Mapping
from hashlib import sha256
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from proctor.errors import ProctorError


class SigningKeyError(ProctorError):
    """A checkpoint key file that is missing, malformed or not private enough."""

    code = "audit_signing_key"
    http_status = 500


def public_key_id(public_key: Ed25519PublicKey) -> str:
    """The first 16 hex digits of SHA-256 over the raw 32-byte public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return sha256(raw).hexdigest()[:16]


class CheckpointSigner:
    """Signs checkpoint statements with one Ed25519 private key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.public_key: Ed25519PublicKey = private_key.public_key()
        self.key_id: str = public_key_id(self.public_key)

    @classmethod
    def generate(cls) -> CheckpointSigner:
        """A signer with a fresh key that lives only in memory (tests, demos)."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load_or_create(cls, path: Path) -> CheckpointSigner:
        """Load the PEM key at ``path``, creating it (mode 0600) if there is none.

        A key file that group or others may read is refused: whoever can read it
        can forge checkpoints, and the audit log would vouch for a rewritten history.
        """
        try:
            return cls._load(path)
        except FileNotFoundError:
            pass
        key = Ed25519PrivateKey.generate()
        try:
            _create_private_file(path, _private_pem(key))
        except FileExistsError:
            # Another process created it first; theirs is the key.
            return cls._load(path)
        return cls(key)

    @classmethod
    def _load(cls, path: Path) -> CheckpointSigner:
        with open(path, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise SigningKeyError(
                    f"checkpoint signing key {path} is accessible to group or others "
                    f"(mode {stat.S_IMODE(mode):04o}); restrict it with: chmod 600 {path}"
                )
            data = handle.read()
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise SigningKeyError(f"{path} is not a PEM private key: {exc}") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
        return cls(key)

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``."""
        return self._private_key.sign(message)

    def public_key_pem(self) -> bytes:
        """The public key as PEM (SubjectPublicKeyInfo), to hand to verifiers."""
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        """This signer's public key, keyed by its id, as :meth:`AuditLog.verify` takes them."""
        return {self.key_id: self.public_key}


def load_public_keys(paths: Iterable[Path]) -> dict[str, Ed25519PublicKey]:
    """Read PEM public keys (or private key files) into ``{key_id: public key}``."""
    keys: dict[str, Ed25519PublicKey] = {}
    for path in paths:
        data = Path(path).read_bytes()
        public_key: object
        if b"PRIVATE KEY" in data:
            public_key = CheckpointSigner._load(Path(path)).public_key
        else:
            try:
                public_key = serialization.load_pem_public_key(data)
            except ValueError as exc:
                raise SigningKeyError(f"{path} is not a PEM public key: {exc}") from exc
        if not isinstance(public_key, Ed25519PublicKey):
            raise SigningKeyError(f"{path} is not an Ed25519 public key")
        keys[public_key_id(public_key)] = public_key
    return keys


def signature_is_valid(
    keys: Mapping[str, Ed25519PublicKey], key_id: str, signature_hex: str, message: bytes
) -> bool | None:
    """True or False for a known key; ``None`` when ``key_id`` is not in ``keys``."""
    public_key = keys.get(key_id)
    if public_key is None:
        return None
    try:
        public_key.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _create_private_file(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file at ``path`` readable by its owner only.

    The key is written to a temporary name created 0600 with ``O_EXCL`` and then
    hard-linked into place, so ``path`` never exists half-written or with a wider
    mode, and an existing file is never replaced (``FileExistsError`` instead).
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make a new directory entry durable (POSIX; a no-op where unsupported)."""
    if os.name != "posix":
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
