"""The register in the store: restarts, the bound, forgetting, keys, PostgreSQL."""

from __future__ import annotations

import os
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from proctor.errors import InvalidInput
from proctor.provenance import (
    Fact,
    ProvenanceKey,
    SessionProvenance,
    Trust,
)
from proctor.provenance._store import ProvenanceStore
from proctor.provenance._tables import provenance_sessions
from proctor.store import Database
from tests.provenance.conftest import trusted, untrusted

TASK = "task-session"
EMAIL = "attacker@evil-corp.example"
IBAN = "DE89 3704 0044 0532 0130 00"
INVOICE = f"Invoice 7: pay 980.00 EUR to {IBAN}. Questions: {EMAIL}"
CALL = {
    "to": EMAIL,
    "iban": IBAN.replace(" ", ""),
    "boss": "boss@corp.example",
    "split": "mallory@evil-mail.example",
    "new": "nobody@nowhere.example",
}


def fill(provenance: SessionProvenance) -> None:
    provenance.record_instruction(TASK, "Forward the invoice to boss@corp.example")
    provenance.record_output(TASK, INVOICE, untrusted("mail.read", "inbox:7"))
    provenance.record_output(TASK, "write to mallory@", untrusted())
    provenance.record_output(TASK, "at evil-mail.example", trusted())


def test_session_provenance_survives_a_restart(tmp_path: Path, key: ProvenanceKey) -> None:
    path = tmp_path / "store.db"
    first_db = Database.open(path)
    fill(first := SessionProvenance(first_db, key))
    before = first.attribute(TASK, CALL)
    assert [before[name].fact for name in CALL] == [
        Fact.UNTRUSTED,
        Fact.UNTRUSTED,
        Fact.USER,
        Fact.MIXED,
        Fact.UNSEEN,
    ]
    summary = first.summary(TASK)
    first_db.dispose()

    second_db = Database.open(path)
    second = SessionProvenance(second_db, ProvenanceKey.from_bytes(key.to_bytes()))
    assert second.attribute(TASK, CALL) == before
    assert second.summary(TASK) == summary
    second_db.dispose()


def test_the_store_never_holds_a_recorded_value(tmp_path: Path, key: ProvenanceKey) -> None:
    database = Database.open(tmp_path / "store.db")
    provenance = SessionProvenance(database, key)
    fill(provenance)
    provenance.record_output(
        TASK, {"phone": "+49 30 1234567", "url": "https://evil.example/pay"}, untrusted()
    )
    assert provenance.attribute(TASK, {"to": EMAIL})["to"].fact is Fact.UNTRUSTED
    database.dispose()
    stored = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.is_file())
    assert stored, "the store files exist"
    for secret in (
        EMAIL,
        "evil-corp",
        IBAN,
        IBAN.replace(" ", ""),
        IBAN.replace(" ", "").lower(),
        "boss@corp.example",
        "4930123456",
        "evil.example",
        "mallory",
    ):
        assert secret.encode() not in stored, secret
        assert secret.lower().encode() not in stored, secret


def test_another_key_cannot_read_the_session(database: Database, key: ProvenanceKey) -> None:
    fill(SessionProvenance(database, key))
    stranger = SessionProvenance(database, ProvenanceKey.generate())
    assert {item.fact for item in stranger.attribute(TASK, CALL).values()} == {Fact.UNSEEN}


def test_digests_of_one_value_differ_between_tasks(key: ProvenanceKey) -> None:
    assert key.digester("task-a")(1, EMAIL) != key.digester("task-b")(1, EMAIL)


def test_overflow_drops_trusted_entries_first_and_keeps_untrusted_ones(
    database: Database, key: ProvenanceKey
) -> None:
    provenance = SessionProvenance(database, key, max_values=120)
    provenance.record_output(TASK, INVOICE, untrusted())
    for n in range(30):
        receipt = provenance.record_output(
            TASK, {"contact": f"person{n}@partner{n}.example", "ref": f"PO-{n:04d}-77"}, trusted()
        )
    assert receipt.overflowed
    assert receipt.evicted + receipt.dropped > 0
    summary = provenance.summary(TASK)
    assert summary.values <= 120
    assert summary.overflowed
    assert summary.dropped > 0
    result = provenance.attribute(TASK, {"to": EMAIL, "iban": IBAN})
    assert {item.fact for item in result.values()} == {Fact.UNTRUSTED}, "untrusted values kept"


def test_an_overflowing_session_never_loses_untrusted_values_to_trusted_ones(
    database: Database, key: ProvenanceKey
) -> None:
    provenance = SessionProvenance(database, key, max_values=60)
    provenance.record_output(TASK, INVOICE, untrusted())
    before = provenance.summary(TASK).values
    assert before < 60
    big = {f"k{n}": f"trusted-value-{n}@crm{n}.example" for n in range(40)}
    receipt = provenance.record_output(TASK, big, trusted())
    assert receipt.dropped > 0
    assert receipt.evicted == 0
    assert provenance.attribute(TASK, {"to": EMAIL})["to"].fact is Fact.UNTRUSTED


def test_when_only_untrusted_values_overflow_the_flag_says_so(
    database: Database, key: ProvenanceKey
) -> None:
    provenance = SessionProvenance(database, key, max_values=40)
    provenance.record_instruction(TASK, "Pay what boss@corp.example approved")
    for n in range(10):
        provenance.record_output(
            TASK, f"pay {n}00.00 EUR to vendor{n}@shop{n}.example", untrusted()
        )
    assert provenance.overflowed(TASK)
    assert provenance.attribute(TASK, {"to": "boss@corp.example"})["to"].fact is Fact.USER
    unseen = provenance.attribute(TASK, {"to": "fresh@new.example"})["to"]
    assert unseen.fact is Fact.UNSEEN
    assert "overflowed" in unseen.detail


def test_the_checks_look_up_answers_as_attribute_does_with_the_overflow_flag(
    database: Database, key: ProvenanceKey
) -> None:
    provenance = SessionProvenance(database, key)
    fill(provenance)
    named, overflowed = provenance.attribute_named(TASK, CALL, ["iban", "to"])
    assert list(named) == ["iban", "to"]
    assert named == provenance.attribute(TASK, CALL, targets=("to", "iban"))
    assert overflowed is provenance.overflowed(TASK) is False
    bounded = SessionProvenance(database, key, max_values=40)
    for n in range(10):
        bounded.record_output("small", f"pay {n}00.00 EUR to v{n}@shop{n}.example", untrusted())
    _, overflowed = bounded.attribute_named("small", CALL, ["new"])
    assert overflowed is bounded.overflowed("small") is True
    with pytest.raises(InvalidInput):
        provenance.attribute_named("", CALL, ["to"])
    with pytest.raises(InvalidInput, match="not in the call"):
        provenance.attribute_named(TASK, CALL, ["cc"])


def test_sessions_beyond_the_memory_bound_are_read_back_with_the_same_answers(
    database: Database, key: ProvenanceKey
) -> None:
    provenance = SessionProvenance(database, key, max_sessions=2)
    tasks = [f"{TASK}-{n}" for n in range(4)]
    for task in tasks:
        provenance.record_output(task, INVOICE, untrusted("mail.read", task))
    first = [provenance.attribute(task, CALL) for task in tasks]
    assert len(provenance._sessions) <= 2, "the bound holds"
    again = [provenance.attribute(task, CALL) for task in reversed(tasks)][::-1]
    assert again == first
    assert {answer["to"].fact for answer in again} == {Fact.UNTRUSTED}


def test_the_overflow_flag_survives_a_restart(tmp_path: Path, key: ProvenanceKey) -> None:
    database = Database.open(tmp_path / "store.db")
    provenance = SessionProvenance(database, key, max_values=20)
    provenance.record_output(TASK, INVOICE, untrusted())
    assert provenance.overflowed(TASK)
    database.dispose()
    reopened = Database.open(tmp_path / "store.db")
    assert SessionProvenance(reopened, key).overflowed(TASK)
    reopened.dispose()


def test_a_scan_cut_short_marks_the_session_overflowed(
    database: Database, key: ProvenanceKey
) -> None:
    provenance = SessionProvenance(database, key, max_output_chars=100)
    receipt = provenance.record_output(TASK, "x " * 200 + EMAIL, untrusted())
    assert receipt.overflowed
    assert provenance.overflowed(TASK)


def test_forget_deletes_the_session_everywhere(database: Database, key: ProvenanceKey) -> None:
    provenance = SessionProvenance(database, key)
    fill(provenance)
    provenance.forget(TASK)
    assert provenance.summary(TASK).values == 0
    fresh = SessionProvenance(database, key)
    assert {item.fact for item in fresh.attribute(TASK, CALL).values()} == {Fact.UNSEEN}


def test_purge_deletes_sessions_idle_since_a_moment(database: Database, key: ProvenanceKey) -> None:
    provenance = SessionProvenance(database, key)
    provenance.record_output("old-task", INVOICE, untrusted())
    cutoff = datetime.now(UTC) + timedelta(seconds=1)
    assert provenance.purge(idle_before=cutoff) == 1
    assert provenance.purge(idle_before=cutoff) == 0
    assert provenance.attribute("old-task", {"to": EMAIL})["to"].fact is Fact.UNSEEN


def test_another_process_writes_are_seen_after_the_poll_interval(
    database: Database, key: ProvenanceKey
) -> None:
    reader = SessionProvenance(database, key, poll_interval_s=0)
    writer = SessionProvenance(database, key, poll_interval_s=0)
    assert reader.attribute(TASK, {"to": EMAIL})["to"].fact is Fact.UNSEEN
    writer.record_output(TASK, INVOICE, untrusted())
    assert reader.attribute(TASK, {"to": EMAIL})["to"].fact is Fact.UNTRUSTED
    reader.record_output(TASK, {"crm": "boss@corp.example"}, trusted())
    writer.record_output(TASK, "cc someone@else.example", untrusted())
    assert reader.summary(TASK) == writer.summary(TASK)
    writer.forget(TASK)
    assert reader.attribute(TASK, {"to": EMAIL})["to"].fact is Fact.UNSEEN


def test_concurrent_records_and_lookups_lose_nothing(
    database: Database, key: ProvenanceKey
) -> None:
    provenance = SessionProvenance(database, key)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for n in range(15):
                address = f"w{worker}n{n}@site{worker}.example"
                provenance.record_output(TASK, f"reply to {address}", untrusted())
                assert provenance.attribute(TASK, {"to": address})["to"].fact is Fact.UNTRUSTED
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    everyone = {f"{w}-{n}": f"w{w}n{n}@site{w}.example" for w in range(4) for n in range(15)}
    facts = SessionProvenance(database, key).attribute(TASK, everyone)
    assert {item.fact for item in facts.values()} == {Fact.UNTRUSTED}


def test_the_key_round_trips_and_refuses_a_wrong_size() -> None:
    key = ProvenanceKey.generate()
    assert ProvenanceKey.from_bytes(key.to_bytes()).to_bytes() == key.to_bytes()
    assert key.to_bytes().hex() not in repr(key)
    with pytest.raises(InvalidInput) as refused:
        ProvenanceKey.from_bytes(b"short")
    assert refused.value.code == "provenance_key_invalid"


def test_the_key_file_is_created_private_and_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "provenance.key"
    created = ProvenanceKey.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ProvenanceKey.load_or_create(path).to_bytes() == created.to_bytes()
    os.chmod(path, 0o644)
    with pytest.raises(InvalidInput) as refused:
        ProvenanceKey.load_or_create(path)
    assert refused.value.code == "provenance_key_exposed"


def test_bounds_must_be_positive(database: Database, key: ProvenanceKey) -> None:
    with pytest.raises(InvalidInput):
        SessionProvenance(database, key, max_values=0)


@pytest.mark.postgres
def test_postgresql_round_trip(postgres_url: str, key: ProvenanceKey) -> None:
    database = Database.open(postgres_url)
    restarted = Database.open(postgres_url, migrate=False)
    try:
        fill(first := SessionProvenance(database, key))
        before = first.attribute(TASK, CALL)
        assert before["to"].fact is Fact.UNTRUSTED
        assert before["split"].fact is Fact.MIXED
        second = SessionProvenance(restarted, key)
        assert second.attribute(TASK, CALL) == before
        assert [source.trust for source in before["boss"].sources] == [Trust.USER]
        second.forget(TASK)
        assert SessionProvenance(database, key).summary(TASK).values == 0
    finally:
        restarted.dispose()
        database.dispose()


def test_a_huge_output_of_tiny_values_is_cut_short_and_flagged(
    database: Database, key: ProvenanceKey
) -> None:
    provenance = SessionProvenance(database, key, max_output_chars=1_000)
    receipt = provenance.record_output(TASK, [[] for _ in range(100_000)] + [EMAIL], untrusted())
    assert receipt.overflowed


def test_the_poll_reads_every_stored_version_across_chunks(database: Database) -> None:
    """The poll asks for thousands of sessions at once (in chunks of the driver's
    limit); it must see each stored one and report none that is not stored."""
    now = datetime.now(UTC)
    stored = {f"task-{n}": n * 3 for n in range(0, 1_300, 2)}
    with database.begin() as connection:
        connection.execute(
            sa.insert(provenance_sessions),
            [
                {
                    "task_id": task,
                    "version": version,
                    "overflowed": False,
                    "dropped": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for task, version in stored.items()
            ],
        )
    asked = [f"task-{n}" for n in range(1_300)]
    assert ProvenanceStore(database).versions(asked) == stored
