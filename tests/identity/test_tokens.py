"""Issuing and verifying credentials, and every way a presented token can be wrong."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from proctor.errors import InvalidInput, Unauthorized
from proctor.identity import TTL_CEILING, SigningKeys, TokenService
from proctor.model import ActionClass, Capabilities
from tests.identity.conftest import (
    ISSUER,
    READ_FILES,
    Setup,
    b64url,
    encode_json,
    segments,
    sign_by_hand,
    unb64url,
)


def assert_refused(setup: Setup, token: str, code: str) -> None:
    with pytest.raises(Unauthorized) as raised:
        setup.service.verify(token)
    assert raised.value.code == code, raised.value.message


def valid_claims(setup: Setup, **changes: Any) -> dict[str, Any]:
    now = int(setup.clock().timestamp())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "agent-a",
        "aud": "proctor",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": "jti-by-hand",
        "task": "task_1",
        "requester": "alice",
        "caps": {"actions": ["read"], "tools": ["files.*"]},
    }
    claims.update(changes)
    return claims


def hand_signed(setup: Setup, header: dict[str, Any] | None = None, **changes: Any) -> str:
    """A token signed with the real current key, with claims the service would never write."""
    key = setup.keys.current()
    assert key.private_key is not None
    return sign_by_hand(
        header or {"alg": "EdDSA", "kid": key.kid, "typ": "JWT"},
        valid_claims(setup, **changes),
        key.private_key,
    )


def test_issued_token_verifies_to_the_same_credential(setup: Setup) -> None:
    issued = setup.service.issue(
        agent_id="agent-a", task_id="task_1", requester="alice", capabilities=READ_FILES, ttl=None
    )
    credential = setup.service.verify(issued.token)
    assert credential == issued.claims
    assert credential.agent_id == "agent-a"
    assert credential.task_id == "task_1"
    assert credential.requester == "alice"
    assert credential.capabilities == READ_FILES
    assert credential.chain == ("alice", "agent-a")
    assert credential.expires_at - credential.issued_at == timedelta(minutes=15)
    assert credential.kid == setup.keys.current().kid
    assert credential.depth == 0
    assert credential.parent_jti is None


def test_token_carries_the_documented_claims(setup: Setup) -> None:
    header, claims, _ = segments(setup.issue())
    assert header == {"alg": "EdDSA", "kid": setup.keys.current().kid, "typ": "JWT"}
    assert set(claims) == {
        "iss", "sub", "aud", "iat", "nbf", "exp", "jti", "task", "requester", "caps", "dlv"
    }  # fmt: skip
    assert claims["dlv"] is False
    assert claims["caps"] == {"actions": ["read", "write"], "tools": ["files.*", "search"]}
    assert claims["iss"] == ISSUER
    assert claims["aud"] == "proctor"


def test_every_token_has_its_own_jti(setup: Setup) -> None:
    jtis = {setup.service.verify(setup.issue()).jti for _ in range(20)}
    assert len(jtis) == 20


def test_expiry_is_capped_by_expires_no_later_than(setup: Setup) -> None:
    task_end = setup.clock() + timedelta(minutes=5)
    credential = setup.service.verify(setup.issue(expires_no_later_than=task_end))
    assert credential.expires_at == task_end


@pytest.mark.parametrize(
    "ttl", [timedelta(0), timedelta(seconds=-1), TTL_CEILING + timedelta(seconds=1)]
)
def test_lifetime_outside_the_limits_is_refused(setup: Setup, ttl: timedelta) -> None:
    with pytest.raises(InvalidInput) as raised:
        setup.issue(ttl=ttl)
    assert raised.value.code == "token_ttl_invalid"


def test_a_token_that_never_expires_cannot_be_requested(setup: Setup) -> None:
    with pytest.raises(InvalidInput) as raised:
        setup.issue(ttl=timedelta.max)
    assert raised.value.code == "token_ttl_invalid"


def test_configured_max_ttl_is_enforced(setup: Setup) -> None:
    service = TokenService(
        setup.database, setup.keys, issuer=ISSUER, max_ttl=timedelta(hours=1), clock=setup.clock
    )
    with pytest.raises(InvalidInput):
        service.issue(
            agent_id="a",
            task_id="t",
            requester="r",
            capabilities=READ_FILES,
            ttl=timedelta(hours=2),
        )


def test_max_ttl_above_the_hard_ceiling_is_refused(setup: Setup) -> None:
    with pytest.raises(InvalidInput):
        TokenService(setup.database, setup.keys, issuer=ISSUER, max_ttl=timedelta(hours=25))


def test_leeway_above_thirty_seconds_is_refused(setup: Setup) -> None:
    with pytest.raises(InvalidInput):
        TokenService(setup.database, setup.keys, issuer=ISSUER, leeway=timedelta(minutes=1))


def test_expiry_already_passed_is_refused(setup: Setup) -> None:
    with pytest.raises(InvalidInput) as raised:
        setup.issue(expires_no_later_than=setup.clock() - timedelta(seconds=1))
    assert raised.value.code == "token_ttl_invalid"


def test_malformed_agent_id_is_refused(setup: Setup) -> None:
    with pytest.raises(InvalidInput):
        setup.issue(agent_id="bad agent")


def test_flipped_signature_byte_is_a_bad_signature(setup: Setup) -> None:
    header, payload, signature = setup.issue().split(".")
    raw = bytearray(unb64url(signature))
    raw[10] ^= 0x01
    assert_refused(setup, f"{header}.{payload}.{b64url(bytes(raw))}", "token_bad_signature")


def test_claims_edited_to_another_task_fail_the_signature(setup: Setup) -> None:
    token = setup.issue(task_id="task_A")
    _header, claims, signature = segments(token)
    claims["task"] = "task_B"
    forged = f"{token.split('.')[0]}.{encode_json(claims)}.{b64url(signature)}"
    assert_refused(setup, forged, "token_bad_signature")


@pytest.mark.parametrize("alg", ["none", "None", "NONE", ""])
def test_unsigned_token_is_refused(setup: Setup, alg: str) -> None:
    header = encode_json({"alg": alg, "typ": "JWT"})
    assert_refused(setup, f"{header}.{encode_json(valid_claims(setup))}.", "token_alg_not_allowed")


@pytest.mark.parametrize("encoding", ["raw", "pem"])
def test_hmac_signed_with_the_public_key_is_refused(setup: Setup, encoding: str) -> None:
    """Algorithm confusion: an HS256 token keyed with our published Ed25519 public key."""
    key = setup.keys.current()
    if encoding == "raw":
        secret = key.public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
    else:
        secret = key.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    signing_input = (
        f"{encode_json({'alg': 'HS256', 'kid': key.kid, 'typ': 'JWT'})}."
        f"{encode_json(valid_claims(setup))}"
    )
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    assert_refused(setup, f"{signing_input}.{b64url(mac)}", "token_alg_not_allowed")


def test_expired_token_is_refused(setup: Setup) -> None:
    token = setup.issue(ttl=timedelta(minutes=1))
    setup.clock.advance(timedelta(minutes=1, seconds=31))
    assert_refused(setup, token, "token_expired")


def test_expiry_tolerates_thirty_seconds_of_clock_skew(setup: Setup) -> None:
    token = setup.issue(ttl=timedelta(minutes=1))
    setup.clock.advance(timedelta(minutes=1, seconds=29))
    assert setup.service.verify(token).agent_id == "agent-a"


def test_token_from_the_future_is_not_yet_valid(setup: Setup) -> None:
    token = setup.issue()
    setup.clock.advance(timedelta(seconds=-31))
    assert_refused(setup, token, "token_not_yet_valid")


def test_nbf_in_the_future_is_not_yet_valid(setup: Setup) -> None:
    now = int(setup.clock().timestamp())
    assert_refused(setup, hand_signed(setup, nbf=now + 120), "token_not_yet_valid")


def test_wrong_audience_is_refused(setup: Setup) -> None:
    token = setup.issue()
    with pytest.raises(Unauthorized) as raised:
        setup.service.verify(token, audience="billing")
    assert raised.value.code == "token_wrong_audience"


def test_token_for_another_service_audience_is_refused(setup: Setup) -> None:
    other = TokenService(
        setup.database, setup.keys, issuer=ISSUER, audience="billing", clock=setup.clock
    )
    assert_refused(setup, other.issue(
        agent_id="a", task_id="t", requester="r", capabilities=READ_FILES
    ).token, "token_wrong_audience")  # fmt: skip


def test_wrong_issuer_is_refused(setup: Setup) -> None:
    other = TokenService(setup.database, setup.keys, issuer="https://evil.test", clock=setup.clock)
    token = other.issue(agent_id="a", task_id="t", requester="r", capabilities=READ_FILES).token
    assert_refused(setup, token, "token_wrong_issuer")


def test_unknown_kid_is_refused(setup: Setup) -> None:
    assert_refused(
        setup,
        hand_signed(setup, {"alg": "EdDSA", "kid": "nope", "typ": "JWT"}),
        "token_unknown_key",
    )


def test_missing_kid_is_an_unknown_key(setup: Setup) -> None:
    assert_refused(setup, hand_signed(setup, {"alg": "EdDSA", "typ": "JWT"}), "token_unknown_key")


def test_token_signed_by_another_store_is_refused(setup: Setup, tmp_path: Any) -> None:
    from proctor.store import Database

    elsewhere = Database.open(tmp_path / "other.db")
    try:
        other = TokenService(elsewhere, SigningKeys(elsewhere), issuer=ISSUER)
        token = other.issue(agent_id="a", task_id="t", requester="r", capabilities=READ_FILES)
    finally:
        elsewhere.dispose()
    assert_refused(setup, token.token, "token_unknown_key")


def test_foreign_key_claiming_our_kid_fails_the_signature(setup: Setup) -> None:
    kid = setup.keys.current().kid
    token = sign_by_hand(
        {"alg": "EdDSA", "kid": kid, "typ": "JWT"},
        valid_claims(setup),
        Ed25519PrivateKey.generate(),
    )
    assert_refused(setup, token, "token_bad_signature")


@pytest.mark.parametrize(
    "token", ["", "abc", "a.b", "a.b.c.d", "!!!.???.***", "é.é.é", "x" * 20_000]
)
def test_malformed_tokens_are_refused(setup: Setup, token: str) -> None:
    assert_refused(setup, token, "token_malformed")


def test_unexpected_header_member_is_refused(setup: Setup) -> None:
    kid = setup.keys.current().kid
    header = {"alg": "EdDSA", "kid": kid, "typ": "JWT", "jku": "https://evil.test/jwks"}
    assert_refused(setup, hand_signed(setup, header), "token_malformed")


@pytest.mark.parametrize(
    "changes",
    [
        {"caps": None},
        {"task": ""},
        {"task": 7},
        {"sub": ["agent-a"]},
        {"exp": "tomorrow"},
        {"iat": 1.5},
        {"caps": {"actions": ["read", "launch_missiles"], "tools": []}},
        {"caps": {"actions": "read", "tools": []}},
        {"caps": {"actions": [], "tools": [], "admin": True}},
        {"act": {"sub": "agent-x"}},
        {"ancestors": [{"jti": "j", "sub": "agent-x", "iat": 1}]},
    ],
)
def test_claims_of_the_wrong_shape_are_refused(setup: Setup, changes: dict[str, Any]) -> None:
    assert_refused(setup, hand_signed(setup, **changes), "token_claims_invalid")


def test_missing_claim_is_refused(setup: Setup) -> None:
    claims = valid_claims(setup)
    del claims["requester"]
    key = setup.keys.current()
    assert key.private_key is not None
    token = sign_by_hand({"alg": "EdDSA", "kid": key.kid}, claims, key.private_key)
    assert_refused(setup, token, "token_claims_invalid")


def test_signed_token_living_beyond_the_ceiling_is_refused(setup: Setup) -> None:
    """Even a token we signed ourselves may not live past 24 hours."""
    now = int(setup.clock().timestamp())
    assert_refused(setup, hand_signed(setup, exp=now + 25 * 3600), "token_claims_invalid")


def test_hand_signed_valid_token_is_accepted(setup: Setup) -> None:
    """The control for the shape tests: the helper itself produces acceptable tokens."""
    credential = setup.service.verify(hand_signed(setup))
    assert credential.capabilities == Capabilities(
        actions=frozenset({ActionClass.READ}), tools=("files.*",)
    )


def test_replay_after_revocation_is_refused(setup: Setup) -> None:
    token = setup.issue()
    setup.service.revoke(setup.service.verify(token), "leaked in a log", "security-oncall")
    assert_refused(setup, token, "token_revoked")
    assert_refused(setup, token, "token_revoked")


# -- the verified-token cache: what may change is checked on every call -----------------


def test_a_remembered_token_still_expires(setup: Setup) -> None:
    token = setup.issue(ttl=timedelta(minutes=1))
    setup.service.verify(token)
    setup.clock.advance(timedelta(minutes=2))
    with pytest.raises(Unauthorized) as raised:
        setup.service.verify(token)
    assert raised.value.code == "token_expired"


def test_a_remembered_token_is_still_revocable(setup: Setup) -> None:
    token = setup.issue()
    credential = setup.service.verify(token)
    setup.service.revoke(credential, "leaked", "sec")
    with pytest.raises(Unauthorized) as raised:
        setup.service.verify(token)
    assert raised.value.code == "token_revoked"


def test_a_remembered_token_dies_with_its_signing_key(setup: Setup) -> None:
    token = setup.issue()
    setup.service.verify(token)
    setup.keys.rotate(timedelta(0))
    with pytest.raises(Unauthorized) as raised:
        setup.service.verify(token)
    assert raised.value.code == "token_unknown_key"


def test_a_tampered_copy_of_a_remembered_token_is_refused(setup: Setup) -> None:
    token = setup.issue()
    setup.service.verify(token)
    header, _, signature = token.split(".")
    _, body, _ = segments(token)
    body["caps"] = {"actions": ["publish"], "tools": ["*"]}
    with pytest.raises(Unauthorized) as raised:
        setup.service.verify(f"{header}.{encode_json(body)}.{signature}")
    assert raised.value.code == "token_bad_signature"


def test_a_token_for_another_audience_is_checked_in_full(setup: Setup) -> None:
    token = setup.issue()
    setup.service.verify(token)
    with pytest.raises(Unauthorized) as raised:
        setup.service.verify(token, audience="someone-else")
    assert raised.value.code == "token_wrong_audience"


def test_a_token_id_never_starts_with_a_dash() -> None:
    """One base64url id in 64 would: a command line then reads it as an option."""
    from proctor.identity._tokens import _new_jti

    ids = [_new_jti() for _ in range(10_000)]
    assert not [jti for jti in ids if jti.startswith("-")]
    assert len(set(ids)) == len(ids)
    assert {len(jti) for jti in ids} == {24}
