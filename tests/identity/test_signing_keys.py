"""Signing keys: created on first use, rotated with an overlap, published as a JWKS."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from joserfc.jwk import OKPKey

from proctor.errors import InvalidInput, Unauthorized
from proctor.identity import SigningKeys
from proctor.store import Database
from tests.identity.conftest import Clock, Setup


def test_first_use_creates_one_key_and_reuses_it(database: Database) -> None:
    keys = SigningKeys(database)
    assert keys.jwks() == {"keys": []}
    first = keys.current()
    assert keys.current().kid == first.kid
    assert SigningKeys(database).current().kid == first.kid


def test_kid_is_the_rfc7638_thumbprint(database: Database) -> None:
    key = SigningKeys(database).current()
    assert key.kid == OKPKey.import_key(key.public_key).thumbprint()


def test_jwks_lists_public_ed25519_keys_only(database: Database) -> None:
    keys = SigningKeys(database)
    current = keys.current()
    jwks = keys.jwks()
    assert list(jwks) == ["keys"]
    [jwk] = jwks["keys"]
    assert jwk["kty"] == "OKP"
    assert jwk["crv"] == "Ed25519"
    assert jwk["kid"] == current.kid
    assert jwk["use"] == "sig"
    assert jwk["alg"] == "EdDSA"
    assert "d" not in jwk
    raw = base64.urlsafe_b64decode(jwk["x"] + "=")
    assert raw == current.public_key.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    assert OKPKey.import_key(jwk).thumbprint() == current.kid


def test_rotation_publishes_both_keys_during_the_overlap(database: Database) -> None:
    clock = Clock()
    keys = SigningKeys(database, clock=clock)
    old = keys.current()
    new = keys.rotate(timedelta(hours=1))
    assert new.kid != old.kid
    assert keys.current().kid == new.kid
    assert {jwk["kid"] for jwk in keys.jwks()["keys"]} == {new.kid, old.kid}
    clock.advance(timedelta(hours=1))
    assert [jwk["kid"] for jwk in keys.jwks()["keys"]] == [new.kid]
    assert keys.public_key(old.kid) is None


def test_old_tokens_verify_until_the_overlap_ends(setup: Setup) -> None:
    token = setup.issue(ttl=timedelta(hours=3))
    setup.keys.rotate(timedelta(hours=1))
    fresh = setup.issue(ttl=timedelta(hours=3))
    setup.clock.advance(timedelta(minutes=59))
    assert setup.service.verify(token).agent_id == "agent-a"
    setup.clock.advance(timedelta(minutes=1))
    with pytest.raises(Unauthorized) as raised:
        setup.service.verify(token)
    assert raised.value.code == "token_unknown_key"
    assert setup.service.verify(fresh).agent_id == "agent-a"


def test_rotation_without_overlap_kills_old_tokens_at_once(setup: Setup) -> None:
    """What to do after a key compromise."""
    token = setup.issue()
    setup.keys.rotate(timedelta(0))
    with pytest.raises(Unauthorized) as raised:
        setup.service.verify(token)
    assert raised.value.code == "token_unknown_key"


def test_negative_overlap_is_refused(database: Database) -> None:
    with pytest.raises(InvalidInput):
        SigningKeys(database).rotate(timedelta(seconds=-1))


def test_rotation_in_another_process_is_seen(database: Database) -> None:
    here = SigningKeys(database, poll_interval_s=0)
    there = SigningKeys(database, poll_interval_s=0)
    old = here.current()
    new = there.rotate(timedelta(0))
    assert here.current().kid == new.kid
    assert here.public_key(old.kid) is None
    assert here.public_key(new.kid) is not None


def test_unknown_kid_triggers_a_reload(database: Database) -> None:
    """A token signed right after a rotation elsewhere verifies before the next poll."""
    here = SigningKeys(database, poll_interval_s=3600)
    here.current()
    new = SigningKeys(database).rotate()
    assert here.public_key(new.kid) is not None


def test_only_the_current_key_holds_its_private_half(database: Database) -> None:
    keys = SigningKeys(database)
    old = keys.current()
    keys.rotate()
    assert keys.current().private_key is not None
    assert all(key.private_key is None for key in keys.verification_keys())
    assert "private_key" not in repr(old)
