"""GET /.well-known/jwks.json: the public keys that verify agent credentials."""

from __future__ import annotations

from datetime import timedelta

from proctor.admin import Admin
from tests.server.conftest import Api


def test_jwks_is_public_and_lists_only_public_ed25519_keys(anonymous: Api, admin: Admin) -> None:
    admin.runtime.signing_keys.current()
    response = anonymous.get("/.well-known/jwks.json")
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert len(keys) == 1
    assert set(keys[0]) == {"kty", "crv", "x", "kid", "use", "alg"}
    assert (keys[0]["kty"], keys[0]["crv"], keys[0]["alg"]) == ("OKP", "Ed25519", "EdDSA")


def test_rotation_publishes_both_keys_during_the_overlap_and_is_audited(
    anonymous: Api, admin: Admin
) -> None:
    old = admin.runtime.signing_keys.current()
    new = admin.rotate_signing_key(overlap=timedelta(hours=1), actor="sec")
    kids = {key["kid"] for key in anonymous.get("/.well-known/jwks.json").json()["keys"]}
    assert kids == {old.kid, new.kid}
    entry = admin.runtime.audit.tail(1)[0]
    assert (entry.body["action"], entry.body["actor"]) == ("signing_key.rotate", "sec")


def test_rotation_without_overlap_drops_the_old_key(anonymous: Api, admin: Admin) -> None:
    admin.runtime.signing_keys.current()
    new = admin.rotate_signing_key(overlap=timedelta(0), actor="sec")
    kids = [key["kid"] for key in anonymous.get("/.well-known/jwks.json").json()["keys"]]
    assert kids == [new.kid]
