"""Client assertions (RFC 7523) and agent public keys: forged, replayed, tampered, stale."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import shutil
import string
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey

from proctor.errors import InvalidInput, Unauthorized
from proctor.identity import MAX_ASSERTION_LIFETIME, ClientAssertions, public_key_thumbprint
from proctor.identity._token_tables import used_assertions
from proctor.inventory import Inventory
from proctor.model import Agent, AgentStatus
from proctor.store import Database
from tests.identity.conftest import Clock, b64url, encode_json, segments, sign_by_hand

AUDIENCE = "https://proctor.test/v1/token"


def okp_jwk(key: Ed25519PrivateKey) -> dict[str, str]:
    return dict(OKPKey.import_key(key.public_key()).as_dict(private=False))


@dataclass
class World:
    database: Database
    clock: Clock
    inventory: Inventory
    assertions: ClientAssertions
    key: Ed25519PrivateKey

    def claims(self, agent_id: str = "agent-a", **changes: Any) -> dict[str, Any]:
        now = int(self.clock.now.timestamp())
        claims: dict[str, Any] = {
            "iss": agent_id,
            "sub": agent_id,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + 60,
            "jti": secrets.token_urlsafe(12),
        }
        claims.update(changes)
        return {name: value for name, value in claims.items() if value is not None}

    def signed(self, claims: dict[str, Any] | None = None, **header: Any) -> str:
        return sign_by_hand({"alg": "EdDSA", **header}, claims or self.claims(), self.key)

    def register(self, agent_id: str, public_key: dict[str, str] | None, **options: Any) -> None:
        agent = Agent(id=agent_id, name=agent_id, owner="team", public_key=public_key, **options)
        self.inventory.put_agent(agent)


@pytest.fixture
def world(database: Database, clock: Clock) -> World:
    inventory = Inventory(database, poll_interval_s=0)
    # A lambda, not snapshot.agents.get: that would pin one snapshot.
    assertions = ClientAssertions(
        database,
        lambda agent_id: inventory.snapshot.agents.get(agent_id),
        audience=AUDIENCE,
        clock=clock,
    )
    key = Ed25519PrivateKey.generate()
    world = World(database, clock, inventory, assertions, key)
    world.register("agent-a", okp_jwk(key))
    return world


def refused(world: World, assertion: str, code: str) -> None:
    with pytest.raises(Unauthorized) as caught:
        world.assertions.verify(assertion)
    assert caught.value.code == code, caught.value.message
    assert caught.value.message


# -- accepted ----------------------------------------------------------------------------


def test_an_assertion_signed_with_the_registered_key_names_the_agent(world: World) -> None:
    assert world.assertions.verify(world.signed(typ="JWT")) == "agent-a"


def test_the_rfc_9864_name_ed25519_is_the_same_algorithm(world: World) -> None:
    token = jwt.encode(
        {"alg": "Ed25519"},
        world.claims(),
        OKPKey.import_key(world.key),
        algorithms=["Ed25519"],
    )
    assert world.assertions.verify(token) == "agent-a"


def test_an_es256_assertion_verifies_with_a_registered_p256_key(world: World) -> None:
    key = ECKey.generate_key("P-256")
    world.register("agent-ec", dict(key.as_dict(private=False)))
    token = jwt.encode({"alg": "ES256"}, world.claims("agent-ec"), key, algorithms=["ES256"])
    assert world.assertions.verify(token) == "agent-ec"


def test_aud_may_be_a_list_that_names_this_gateway(world: World) -> None:
    claims = world.claims(aud=["https://elsewhere.test", AUDIENCE])
    assert world.assertions.verify(world.signed(claims)) == "agent-a"


def test_exp_within_the_leeway_and_a_lifetime_of_exactly_five_minutes_pass(world: World) -> None:
    now = int(world.clock.now.timestamp())
    lifetime = int(MAX_ASSERTION_LIFETIME.total_seconds())
    long_lived = world.signed(world.claims(iat=now, exp=now + lifetime))
    assert world.assertions.verify(long_lived) == "agent-a"
    stale = world.signed(world.claims(iat=now - 60, exp=now - 29))
    assert world.assertions.verify(stale) == "agent-a"


# -- forged --------------------------------------------------------------------------------


def test_an_assertion_signed_by_another_key_is_refused(world: World) -> None:
    forged = sign_by_hand({"alg": "EdDSA"}, world.claims(), Ed25519PrivateKey.generate())
    refused(world, forged, "assertion_bad_signature")


def test_alg_none_is_refused_before_any_key_is_used(world: World) -> None:
    unsigned = f"{encode_json({'alg': 'none'})}.{encode_json(world.claims())}."
    refused(world, unsigned, "assertion_alg_not_allowed")


@pytest.mark.parametrize("secret", ["raw", "jwk"])
def test_hs256_keyed_with_the_public_key_is_refused(world: World, secret: str) -> None:
    jwk = okp_jwk(world.key)
    key = OKPKey.import_key(jwk).as_bytes() if secret == "raw" else encode_json(jwk).encode()
    signing_input = f"{encode_json({'alg': 'HS256'})}.{encode_json(world.claims())}"
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    refused(world, f"{signing_input}.{b64url(mac)}", "assertion_alg_not_allowed")


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES384", "ES256K", "HS512", "Ed448", "EDDSA"])
def test_algorithms_outside_the_allow_list_are_refused(world: World, alg: str) -> None:
    token = f"{encode_json({'alg': alg})}.{encode_json(world.claims())}.{b64url(b'x' * 64)}"
    refused(world, token, "assertion_alg_not_allowed")


def test_es256_is_refused_for_an_agent_that_registered_an_ed25519_key(world: World) -> None:
    key = ECKey.generate_key("P-256")
    token = jwt.encode({"alg": "ES256"}, world.claims(), key, algorithms=["ES256"])
    refused(world, token, "assertion_alg_not_allowed")


def test_eddsa_is_refused_for_an_agent_that_registered_a_p256_key(world: World) -> None:
    world.register("agent-ec", dict(ECKey.generate_key("P-256").as_dict(private=False)))
    refused(world, world.signed(world.claims("agent-ec")), "assertion_alg_not_allowed")


@pytest.mark.parametrize("member", ["jwk", "jku", "x5u", "x5c", "crit", "b64", "cty"])
def test_header_members_that_could_smuggle_a_key_are_refused(world: World, member: str) -> None:
    token = world.signed(**{member: okp_jwk(world.key) if member == "jwk" else "x"})
    refused(world, token, "assertion_malformed")


def test_a_claim_edited_after_signing_is_refused(world: World) -> None:
    world.register("agent-b", okp_jwk(Ed25519PrivateKey.generate()))
    header, payload, signature = world.signed().split(".")
    claims = segments(world.signed())[1]
    edited = encode_json({**claims, "iss": "agent-b", "sub": "agent-b"})
    refused(world, f"{header}.{edited}.{signature}", "assertion_bad_signature")
    stretched = encode_json({**claims, "exp": claims["exp"] + 30})
    refused(world, f"{header}.{stretched}.{signature}", "assertion_bad_signature")
    assert payload  # the original stays unused, and so still works
    assert world.assertions.verify(f"{header}.{payload}.{signature}") == "agent-a"


# -- who is asserting ----------------------------------------------------------------------


def test_iss_and_sub_must_name_the_same_agent(world: World) -> None:
    world.register("agent-b", okp_jwk(Ed25519PrivateKey.generate()))
    refused(world, world.signed(world.claims(sub="agent-b")), "assertion_claims_invalid")
    refused(world, world.signed(world.claims(iss="agent-b")), "assertion_claims_invalid")


def test_an_unregistered_agent_is_refused(world: World) -> None:
    refused(world, world.signed(world.claims("ghost")), "assertion_unknown_agent")
    refused(world, world.signed(world.claims("not an id!")), "assertion_unknown_agent")


@pytest.mark.parametrize("status", [AgentStatus.SUSPENDED, AgentStatus.RETIRED])
def test_a_suspended_or_retired_agent_is_refused(world: World, status: AgentStatus) -> None:
    world.inventory.set_agent_status("agent-a", status)
    refused(world, world.signed(), "assertion_agent_inactive")


def test_an_agent_without_a_public_key_cannot_assert(world: World) -> None:
    world.register("agent-a", None)
    refused(world, world.signed(), "assertion_no_public_key")


def test_a_rotated_key_stops_the_old_one_at_once(world: World) -> None:
    new_key = Ed25519PrivateKey.generate()
    world.register("agent-a", okp_jwk(new_key))
    refused(world, world.signed(), "assertion_bad_signature")
    fresh = sign_by_hand({"alg": "EdDSA"}, world.claims(), new_key)
    assert world.assertions.verify(fresh) == "agent-a"


# -- for whom and when ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "aud", ["proctor", "https://proctor.test", [], ["https://elsewhere.test"], 7, None]
)
def test_an_assertion_for_another_audience_is_refused(world: World, aud: Any) -> None:
    claims = world.claims()
    claims["aud"] = aud
    if aud is None:
        del claims["aud"]
    refused(world, world.signed(claims), "assertion_wrong_audience")


def test_an_expired_assertion_is_refused(world: World) -> None:
    now = int(world.clock.now.timestamp())
    refused(world, world.signed(world.claims(iat=now - 120, exp=now - 31)), "assertion_expired")
    token = world.signed()
    world.clock.advance(timedelta(seconds=91))
    refused(world, token, "assertion_expired")


def test_an_assertion_living_over_five_minutes_is_refused(world: World) -> None:
    now = int(world.clock.now.timestamp())
    claims = world.claims(iat=now, exp=now + 301)
    refused(world, world.signed(claims), "assertion_lifetime_too_long")
    # Backdating iat does not help: exp is still measured from it.
    claims = world.claims(iat=now - 3600, exp=now + 60)
    refused(world, world.signed(claims), "assertion_lifetime_too_long")


def test_iat_or_nbf_in_the_future_is_refused(world: World) -> None:
    now = int(world.clock.now.timestamp())
    future = world.claims(iat=now + 60, exp=now + 120)
    refused(world, world.signed(future), "assertion_not_yet_valid")
    refused(world, world.signed(world.claims(nbf=now + 31)), "assertion_not_yet_valid")
    assert world.assertions.verify(world.signed(world.claims(nbf=now + 30))) == "agent-a"


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": None},
        {"iat": None},
        {"jti": None},
        {"jti": ""},
        {"jti": "x" * 201},
        {"jti": 7},
        {"exp": True},
        {"exp": "soon"},
        {"iat": 1e300},
        {"nbf": "now"},
        {"iss": None},
        {"sub": 7},
    ],
)
def test_missing_or_mistyped_claims_are_refused(world: World, changes: dict[str, Any]) -> None:
    claims = world.claims()
    for name, value in changes.items():
        if value is None:
            del claims[name]
        else:
            claims[name] = value
    refused(world, world.signed(claims), "assertion_claims_invalid")


def test_exp_before_iat_is_refused(world: World) -> None:
    now = int(world.clock.now.timestamp())
    refused(world, world.signed(world.claims(iat=now, exp=now - 1)), "assertion_claims_invalid")


# -- once only -----------------------------------------------------------------------------


def test_a_replayed_assertion_is_refused(world: World) -> None:
    token = world.signed()
    assert world.assertions.verify(token) == "agent-a"
    refused(world, token, "assertion_replayed")


def test_a_reused_jti_is_refused_even_in_a_new_assertion(world: World) -> None:
    claims = world.claims(jti="same")
    world.assertions.verify(world.signed(claims))
    world.clock.advance(timedelta(seconds=5))
    refused(world, world.signed(world.claims(jti="same")), "assertion_replayed")


def test_jtis_are_per_agent(world: World) -> None:
    other = Ed25519PrivateKey.generate()
    world.register("agent-b", okp_jwk(other))
    world.assertions.verify(world.signed(world.claims(jti="j-1")))
    assert (
        world.assertions.verify(
            sign_by_hand({"alg": "EdDSA"}, world.claims("agent-b", jti="j-1"), other)
        )
        == "agent-b"
    )


def test_a_replay_to_another_replica_on_the_same_store_is_refused(world: World) -> None:
    replica = ClientAssertions(
        world.database,
        lambda agent_id: world.inventory.snapshot.agents.get(agent_id),
        audience=AUDIENCE,
        clock=world.clock,
    )
    token = world.signed()
    world.assertions.verify(token)
    with pytest.raises(Unauthorized, match="used before"):
        replica.verify(token)


def test_racing_replays_let_exactly_one_through(world: World) -> None:
    token = world.signed()
    barrier = threading.Barrier(8)

    def attempt() -> str:
        barrier.wait()
        try:
            return world.assertions.verify(token)
        except Unauthorized as exc:
            return exc.code

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: attempt(), range(8)))
    assert sorted(results) == ["agent-a", *["assertion_replayed"] * 7]


def test_a_refused_assertion_does_not_use_up_its_jti(world: World) -> None:
    claims = world.claims(jti="keep")
    refused(world, world.signed({**claims, "aud": "elsewhere"}), "assertion_wrong_audience")
    assert world.assertions.verify(world.signed(claims)) == "agent-a"


def test_used_jtis_are_pruned_some_time_after_they_expire(world: World) -> None:
    world.assertions.verify(world.signed(world.claims(jti="old")))
    world.clock.advance(timedelta(minutes=20))
    world.assertions.verify(world.signed(world.claims(jti="new")))
    with world.database.connect() as connection:
        jtis = connection.execute(sa.select(used_assertions.c.jti)).scalars().all()
    assert jtis == ["new"]


# -- malformed -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["", "a.b", "a.b.c.d", "not-a-jwt", "é.é.é", "x" * 9000, ".."],
)
def test_malformed_assertions_are_refused(world: World, text: str) -> None:
    refused(world, text, "assertion_malformed")


def test_a_payload_that_is_not_an_object_is_refused(world: World) -> None:
    body = b64url(b"[1, 2]")
    token = f"{encode_json({'alg': 'EdDSA'})}.{body}.{b64url(b'x' * 64)}"
    refused(world, token, "assertion_malformed")


def test_an_unknown_typ_is_refused(world: World) -> None:
    refused(world, world.signed(typ="at+jwt"), "assertion_malformed")


# -- properties ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, template_store: Path) -> Iterator[World]:
    path = tmp_path_factory.mktemp("assertions") / "s.db"
    shutil.copyfile(template_store, path)
    database = Database.open(path)
    clock = Clock()
    inventory = Inventory(database, poll_interval_s=0)
    assertions = ClientAssertions(
        database,
        lambda agent_id: inventory.snapshot.agents.get(agent_id),
        audience=AUDIENCE,
        clock=clock,
    )
    key = Ed25519PrivateKey.generate()
    world = World(database, clock, inventory, assertions, key)
    world.register("agent-a", okp_jwk(key))
    yield world
    database.dispose()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(max_size=300) | st.from_regex(r"[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
)
def test_any_text_is_refused_with_a_stable_code(shared: World, text: str) -> None:
    with pytest.raises(Unauthorized) as caught:
        shared.assertions.verify(text)
    assert caught.value.code.startswith("assertion_")


_B64URL = string.ascii_letters + string.digits + "-_"


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_changing_any_character_of_a_signed_part_is_refused(
    shared: World, data: st.DataObject
) -> None:
    token = shared.signed()
    header, payload, signature = token.split(".")
    # The last signature character also carries padding bits; leave it out.
    signed_part = f"{header}.{payload}.{signature[:-1]}"
    position = data.draw(st.integers(0, len(signed_part) - 1))
    replacement = data.draw(
        st.sampled_from(_B64URL + ".").filter(lambda c: c != signed_part[position])
    )
    tampered = signed_part[:position] + replacement + signed_part[position + 1 :] + signature[-1]
    with pytest.raises(Unauthorized) as caught:
        shared.assertions.verify(tampered)
    assert caught.value.code.startswith("assertion_")


# -- agent public keys ---------------------------------------------------------------------


def put_key(inventory: Inventory, public_key: dict[str, Any]) -> None:
    inventory.put_agent(Agent(id="keyed", name="keyed", owner="team", public_key=public_key))


@pytest.fixture
def inventory(database: Database) -> Inventory:
    return Inventory(database, poll_interval_s=0)


def test_public_keys_are_stored_and_read_back(inventory: Inventory, database: Database) -> None:
    okp = okp_jwk(Ed25519PrivateKey.generate())
    put_key(inventory, {**okp, "kid": "k-1", "use": "sig", "alg": "EdDSA"})
    fresh = Inventory(database)
    assert dict(fresh.get_agent("keyed").public_key or {}) == {
        **okp,
        "kid": "k-1",
        "use": "sig",
        "alg": "EdDSA",
    }
    ec = dict(ECKey.generate_key("P-256").as_dict(private=False))
    put_key(inventory, ec)
    assert dict(inventory.get_agent("keyed").public_key or {}) == ec


def test_the_snapshot_key_is_read_only(inventory: Inventory) -> None:
    put_key(inventory, okp_jwk(Ed25519PrivateKey.generate()))
    stored = inventory.get_agent("keyed").public_key
    assert stored is not None
    with pytest.raises(TypeError):
        stored["x"] = "swapped"  # type: ignore[index]


def test_status_changes_keep_the_key_and_a_put_without_one_removes_it(
    inventory: Inventory,
) -> None:
    jwk = okp_jwk(Ed25519PrivateKey.generate())
    put_key(inventory, jwk)
    assert inventory.set_agent_status("keyed", AgentStatus.SUSPENDED).public_key == jwk
    assert inventory.get_agent("keyed").public_key == jwk
    inventory.put_agent(Agent(id="keyed", name="keyed", owner="team"))
    assert inventory.get_agent("keyed").public_key is None


def _private_keys() -> list[dict[str, Any]]:
    okp = dict(OKPKey.generate_key("Ed25519").as_dict(private=True))
    ec = dict(ECKey.generate_key("P-256").as_dict(private=True))
    rsa = {"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": "secret-d", "p": "pp", "q": "qq"}
    return [
        okp,
        ec,
        rsa,
        {"kty": "oct", "k": "c2VjcmV0"},
        {"kty": "EC", "crv": "P-256", "x": "a", "y": "b", "d": "secret-d"},
    ]


@pytest.mark.parametrize("jwk", _private_keys())
def test_private_keys_are_refused_and_nothing_is_stored(
    inventory: Inventory, jwk: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        put_key(inventory, jwk)
    assert caught.value.code == "private_key_not_accepted"
    assert "never holds agent private keys" in caught.value.message
    assert jwk.get("d", jwk.get("k")) not in caught.value.message
    assert "keyed" not in inventory.snapshot.agents


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        {"kty": "OKP", "crv": "X25519", "x": "AAAA"},
        {"kty": "OKP", "crv": "Ed448", "x": "AAAA"},
        {"kty": "EC", "crv": "P-384", "x": "AAAA", "y": "AAAA"},
        {"kty": "EC", "crv": "secp256k1", "x": "AAAA", "y": "AAAA"},
        {"crv": "Ed25519", "x": "AAAA"},
        {"kty": "oct"},
        {},
    ],
)
def test_other_key_types_and_curves_are_unsupported(
    inventory: Inventory, jwk: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        put_key(inventory, jwk)
    assert caught.value.code == "unsupported_public_key"


def _bad_public_keys() -> list[dict[str, Any]]:
    okp = okp_jwk(Ed25519PrivateKey.generate())
    ec = dict(ECKey.generate_key("P-256").as_dict(private=False))
    return [
        {**okp, "x": okp["x"][:-2]},
        {**okp, "x": okp["x"] + "=="},
        {**okp, "x": "!!!!"},
        {"kty": "OKP", "crv": "Ed25519"},
        {**ec, "y": ec["x"]},
        {**ec, "y": None},
        {**okp, "y": okp["x"]},
        {**okp, "x5c": "MIIB"},
        {**okp, "key_ops": "verify"},
        {**okp, "use": "enc"},
        {**okp, "alg": "ES256"},
        {**ec, "alg": "EdDSA"},
        {**okp, "kid": ""},
        {**okp, "kid": "k" * 201},
    ]


@pytest.mark.parametrize("jwk", _bad_public_keys())
def test_malformed_public_keys_are_refused(inventory: Inventory, jwk: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as caught:
        put_key(inventory, jwk)
    assert caught.value.code == "invalid_public_key"
    assert "keyed" not in inventory.snapshot.agents


_MEMBER = st.sampled_from(["kty", "crv", "x", "y", "d", "kid", "use", "alg", "k", "n", "zz"])
_VALUE = st.sampled_from(
    ["OKP", "EC", "Ed25519", "P-256", "sig", "EdDSA", "ES256", "AAAA"]
) | st.text(max_size=50)


@pytest.fixture(scope="module")
def shared_inventory(
    tmp_path_factory: pytest.TempPathFactory, template_store: Path
) -> Iterator[Inventory]:
    path = tmp_path_factory.mktemp("keys") / "s.db"
    shutil.copyfile(template_store, path)
    database = Database.open(path)
    yield Inventory(database, poll_interval_s=0)
    database.dispose()


@settings(max_examples=300, deadline=None)
@given(jwk=st.dictionaries(_MEMBER, _VALUE | st.integers() | st.none(), max_size=8))
def test_any_jwk_is_stored_or_refused_with_a_key_code(
    shared_inventory: Inventory, jwk: dict[str, Any]
) -> None:
    code = _put_code(shared_inventory, jwk)
    assert code in {
        None,
        "private_key_not_accepted",
        "unsupported_public_key",
        "invalid_public_key",
    }
    if code is None:
        assert not {"d", "k"} & set(jwk)
        assert dict(shared_inventory.get_agent("keyed").public_key or {}) == jwk


def _put_code(inventory: Inventory, jwk: dict[str, Any]) -> str | None:
    try:
        put_key(inventory, jwk)
    except InvalidInput as exc:
        return exc.code
    return None


def test_thumbprints_follow_rfc_7638(world: World) -> None:
    # RFC 8037 appendix A.3: the thumbprint of its example Ed25519 public key.
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert public_key_thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    assert public_key_thumbprint({**jwk, "kid": "other", "use": "sig"}) == public_key_thumbprint(
        jwk
    )


@pytest.mark.postgres
def test_replays_are_refused_on_postgresql_too(postgres_url: str, clock: Clock) -> None:
    database = Database.open(postgres_url)
    try:
        inventory = Inventory(database, poll_interval_s=0)
        replicas = [
            ClientAssertions(
                database,
                lambda agent_id: inventory.snapshot.agents.get(agent_id),
                audience=AUDIENCE,
                clock=clock,
            )
            for _ in range(2)
        ]
        key = Ed25519PrivateKey.generate()
        world = World(database, clock, inventory, replicas[0], key)
        world.register("agent-a", okp_jwk(key))
        token = world.signed()
        assert replicas[0].verify(token) == "agent-a"
        with pytest.raises(Unauthorized) as caught:
            replicas[1].verify(token)
        assert caught.value.code == "assertion_replayed"
        assert replicas[1].verify(world.signed()) == "agent-a"
    finally:
        database.dispose()
