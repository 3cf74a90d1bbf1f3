"""The checkpoint signing key: created private, refused when it is not."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

from proctor.audit import CheckpointSigner, SigningKeyError, load_public_keys, public_key_id

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


@posix_only
def test_a_new_key_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "audit.key"
    signer = CheckpointSigner.load_or_create(path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [entry.name for entry in path.parent.iterdir()] == ["audit.key"]
    assert CheckpointSigner.load_or_create(path).key_id == signer.key_id


@posix_only
def test_a_group_or_world_readable_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "audit.key"
    CheckpointSigner.load_or_create(path)
    path.chmod(0o644)

    with pytest.raises(SigningKeyError, match="chmod 600") as raised:
        CheckpointSigner.load_or_create(path)
    assert raised.value.code == "audit_signing_key"
    assert "0644" in raised.value.message


def test_key_id_is_the_start_of_the_public_key_digest() -> None:
    signer = CheckpointSigner.generate()
    raw = signer.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert signer.key_id == hashlib.sha256(raw).hexdigest()[:16] == public_key_id(signer.public_key)


def test_signatures_verify_with_the_published_public_key(tmp_path: Path) -> None:
    signer = CheckpointSigner.generate()
    public = tmp_path / "audit.pub"
    public.write_bytes(signer.public_key_pem())

    keys = load_public_keys([public])
    assert list(keys) == [signer.key_id]
    keys[signer.key_id].verify(signer.sign(b"statement"), b"statement")


def test_a_key_file_that_is_not_ed25519_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "audit.key"
    other = generate_private_key(SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(other)

    with pytest.raises(SigningKeyError, match="not an Ed25519 key"):
        CheckpointSigner.load_or_create(path)


def test_a_garbled_public_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "audit.pub"
    path.write_text("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
    with pytest.raises(SigningKeyError):
        load_public_keys([path])
