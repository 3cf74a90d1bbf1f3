"""People and personal API keys on a real SQLite store."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from proctor.errors import Conflict, InvalidInput, NotFound, Unauthorized
from proctor.people import LAST_USED_RESOLUTION, People, Role
from proctor.people._tables import people as people_table
from proctor.people._tables import person_keys
from proctor.store import Database
from tests.people.conftest import Clock

KEY_SHAPE = re.compile(r"ppk_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}")


def refused(code: str, presented: str, people: People) -> None:
    with pytest.raises(Unauthorized) as caught:
        people.authenticate(presented)
    assert caught.value.code == code, caught.value.message


# -- people ---------------------------------------------------------------------------


def test_a_person_is_stored_with_their_roles(people: People, clock: Clock) -> None:
    added = people.add("dana", "Dana Scully", ["approver", Role.LAUNCHER])
    assert added.roles == {Role.APPROVER, Role.LAUNCHER}
    assert people.get("dana") == added
    assert added.created_at == clock.now
    assert not added.disabled
    people.add("alice", "Alice", [])
    assert [person.id for person in people.list()] == ["alice", "dana"]


def test_a_taken_id_is_a_conflict(people: People) -> None:
    people.add("dana", "Dana", [Role.VIEWER])
    with pytest.raises(Conflict) as caught:
        people.add("dana", "Another Dana", [Role.ADMIN])
    assert caught.value.code == "person_exists"
    assert people.get("dana").roles == {Role.VIEWER}


@pytest.mark.parametrize("person_id", ["", "-dana", "dana smith", "dana/x", "x" * 201, "ö"])
def test_ids_are_validated_like_agent_ids(people: People, person_id: str) -> None:
    with pytest.raises(InvalidInput):
        people.add(person_id, "Dana", [])
    assert people.list() == []


@pytest.mark.parametrize("name", ["", "   ", "x" * 201, "line\nbreak"])
def test_names_are_bounded_and_printable(people: People, name: str) -> None:
    with pytest.raises(InvalidInput):
        people.add("dana", name, [])


def test_an_unknown_role_is_refused(people: People) -> None:
    with pytest.raises(InvalidInput) as caught:
        people.add("dana", "Dana", ["approver", "superuser"])
    assert caught.value.code == "invalid_role"
    assert "superuser" in caught.value.message
    assert people.find("dana") is None


def test_roles_are_replaced(people: People) -> None:
    people.add("dana", "Dana", [Role.VIEWER])
    assert people.set_roles("dana", [Role.AUDITOR, Role.APPROVER]).roles == {
        Role.AUDITOR,
        Role.APPROVER,
    }
    assert people.set_roles("dana", []).roles == frozenset()
    with pytest.raises(NotFound):
        people.set_roles("nobody", [Role.VIEWER])


def test_a_stored_role_this_version_does_not_know_grants_nothing(
    people: People, database: Database
) -> None:
    people.add("dana", "Dana", [Role.VIEWER])
    with database.begin() as connection:
        connection.execute(
            sa.update(people_table)
            .values(roles=["viewer", "root", 7])
            .where(people_table.c.id == "dana")
        )
    assert people.get("dana").roles == {Role.VIEWER}


def test_unknown_people_are_not_found(people: People) -> None:
    assert people.find("nobody") is None
    for call in (
        lambda: people.get("nobody"),
        lambda: people.disable("nobody"),
        lambda: people.list_keys("nobody"),
        lambda: people.create_key("nobody"),
    ):
        with pytest.raises(NotFound):
            call()


# -- keys -----------------------------------------------------------------------------


def test_a_key_authenticates_its_person(people: People) -> None:
    person = people.add("dana", "Dana", [Role.LAUNCHER])
    key, plaintext = people.create_key("dana", "laptop")
    assert KEY_SHAPE.fullmatch(plaintext)
    assert plaintext.startswith(f"ppk_{key.id}.")
    who, used = people.authenticate(plaintext)
    assert who == person
    assert (used.id, used.person_id, used.name, used.revoked) == (key.id, "dana", "laptop", False)


def test_a_key_gets_a_default_name(people: People) -> None:
    people.add("dana", "Dana", [])
    assert people.create_key("dana")[0].name == "personal key"


def test_a_forged_secret_for_a_real_key_id_is_refused(people: People) -> None:
    people.add("dana", "Dana", [Role.ADMIN])
    key, plaintext = people.create_key("dana")
    forged = f"ppk_{key.id}.{'A' * 43}"
    refused("invalid_api_key", forged, people)
    flipped = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
    refused("invalid_api_key", flipped, people)


def test_a_secret_under_another_keys_id_is_refused(people: People) -> None:
    people.add("dana", "Dana", [Role.VIEWER])
    people.add("root", "Root", [Role.ADMIN])
    _, danas = people.create_key("dana")
    admins_key, _ = people.create_key("root")
    danas_secret = danas.partition(".")[2]
    refused("invalid_api_key", f"ppk_{admins_key.id}.{danas_secret}", people)


@pytest.mark.parametrize(
    "presented",
    [
        "",
        "ppk_",
        "ppk_.",
        "ppk_0123456789abcdef",
        "ppk_0123456789abcdef.",
        "ppk_0123456789ABCDEF." + "a" * 43,
        "ppk_0123456789abcdef." + "a" * 42,
        "ppk_0123456789abcdef." + "a" * 44,
        "ppk_0123456789abcdef." + "a" * 42 + "=",
        "prk_0123456789ab." + "a" * 43,
        "PPK_0123456789abcdef." + "a" * 43,
        "ppk_0123456789abcde'." + "a" * 43,
    ],
)
def test_malformed_keys_are_refused(people: People, presented: str) -> None:
    refused("invalid_api_key", presented, people)


def test_a_revoked_key_is_refused_and_others_keep_working(people: People, clock: Clock) -> None:
    people.add("dana", "Dana", [Role.VIEWER])
    old, old_plaintext = people.create_key("dana", "old")
    clock.advance(timedelta(seconds=1))
    _, new_plaintext = people.create_key("dana", "new")
    revoked = people.revoke_key("dana", old.id)
    assert revoked.revoked
    refused("revoked_api_key", old_plaintext, people)
    assert people.authenticate(new_plaintext)[0].id == "dana"
    assert [(k.name, k.revoked) for k in people.list_keys("dana")] == [
        ("old", True),
        ("new", False),
    ]


def test_a_key_is_revoked_only_through_its_own_person(people: People) -> None:
    people.add("dana", "Dana", [])
    people.add("mallory", "Mallory", [])
    key, plaintext = people.create_key("dana")
    with pytest.raises(NotFound):
        people.revoke_key("mallory", key.id)
    assert people.authenticate(plaintext)[0].id == "dana"
    people.revoke_key("dana", key.id)
    with pytest.raises(NotFound):
        people.revoke_key("dana", key.id)


def test_a_disabled_person_is_refused_with_every_key(people: People) -> None:
    people.add("dana", "Dana", [Role.ADMIN])
    _, first = people.create_key("dana")
    _, second = people.create_key("dana")
    assert people.disable("dana").disabled
    assert people.disable("dana").disabled
    refused("person_disabled", first, people)
    refused("person_disabled", second, people)
    with pytest.raises(InvalidInput) as caught:
        people.create_key("dana")
    assert caught.value.code == "person_disabled"


def test_a_forged_key_for_a_disabled_person_says_only_invalid(people: People) -> None:
    people.add("dana", "Dana", [])
    key, _ = people.create_key("dana")
    people.revoke_key("dana", key.id)
    people.disable("dana")
    refused("invalid_api_key", f"ppk_{key.id}.{'x' * 43}", people)


def test_the_plaintext_key_is_never_stored(people: People, store_path: Path) -> None:
    people.add("dana", "Dana", [Role.ADMIN])
    keys = [people.create_key("dana", f"key {n}")[1] for n in range(3)]
    for plaintext in keys:
        people.authenticate(plaintext)
    stored = b"".join(
        path.read_bytes()
        for path in store_path.parent.iterdir()
        if path.name.startswith(store_path.name)
    )
    for plaintext in keys:
        secret = plaintext.partition(".")[2]
        assert secret.encode() not in stored
        assert plaintext.encode() not in stored


# -- last_used_at ---------------------------------------------------------------------


def key_updates(database: Database) -> list[str]:
    """Every UPDATE of person_keys the engine sends from now on."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE PERSON_KEYS"):
            seen.append(statement)

    sa.event.listen(database.engine, "before_cursor_execute", record)
    return seen


def stored_last_used(database: Database, key_id: str) -> Any:
    with database.connect() as connection:
        return connection.execute(
            sa.select(person_keys.c.last_used_at).where(person_keys.c.id == key_id)
        ).scalar_one()


def test_last_used_is_written_at_most_once_a_minute(
    people: People, database: Database, clock: Clock
) -> None:
    people.add("dana", "Dana", [])
    key, plaintext = people.create_key("dana")
    assert key.last_used_at is None
    updates = key_updates(database)
    first = clock.now
    assert people.authenticate(plaintext)[1].last_used_at == first
    for _ in range(20):
        clock.advance(timedelta(seconds=2))
        assert people.authenticate(plaintext)[1].last_used_at == first
    assert len(updates) == 1
    clock.advance(LAST_USED_RESOLUTION)
    assert people.authenticate(plaintext)[1].last_used_at == clock.now
    assert len(updates) == 2
    assert people.list_keys("dana")[0].last_used_at == clock.now
    assert stored_last_used(database, key.id) is not None


def test_another_replica_sees_the_recorded_use(database: Database, clock: Clock) -> None:
    replicas = [People(database, clock=clock) for _ in range(3)]
    replicas[0].add("dana", "Dana", [])
    _, plaintext = replicas[0].create_key("dana")
    replicas[0].authenticate(plaintext)
    clock.advance(LAST_USED_RESOLUTION)
    updates = key_updates(database)
    for replica in replicas:
        replica.authenticate(plaintext)
    # The first replica wrote; the others read its value and leave it.
    assert len(updates) == 1
