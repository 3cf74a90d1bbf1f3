"""The audit log as its callers see it: append, read back, checkpoint, verify."""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import rfc8785

from proctor.audit import GENESIS_HASH, AuditLog, CheckpointSigner
from proctor.errors import InvalidInput, StoreError
from proctor.store import Database
from tests.audit.support import DECISION, rehash, row, sql

MakeLog = Callable[..., AuditLog]


def test_append_returns_the_committed_entry_linked_to_the_previous_one(
    make_log: MakeLog, store: Path
) -> None:
    log = make_log()
    first = log.append("decision", DECISION)
    second = log.append("outcome", {"decision_id": "d-1", "status": "ok"})

    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert second.body == {"decision_id": "d-1", "status": "ok"}
    assert log.head() == (2, second.hash)
    # Committed: another connection sees it at once.
    assert row(store, 2)[5] == second.hash


def test_entry_hash_is_the_documented_construction(make_log: MakeLog, store: Path) -> None:
    """SHA-256 over prev_hash then the RFC 8785 JSON of {seq, ts, kind, body}."""
    entry = make_log().append("decision", {"ünïcode": "✓", "n": [1, None, True, 0.5]})
    seq, ts, kind, body, prev_hash, stored = row(store, 1)

    assert stored == entry.hash == rehash(prev_hash, seq, ts, kind, body)


def test_body_is_stored_as_canonical_json(make_log: MakeLog, store: Path) -> None:
    make_log().append("decision", {"b": 1.0, "a": [2, {"d": "x", "c": "y"}]})

    assert row(store, 1)[3] == '{"a":[2,{"c":"y","d":"x"}],"b":1}'


def test_reopening_continues_the_same_chain(make_log: MakeLog) -> None:
    first = make_log()
    last = [first.append("decision", {"n": n}) for n in range(5)][-1]
    first.close()

    second = make_log()
    assert second.head() == (5, last.hash)
    assert second.append("decision", {"n": 5}).prev_hash == last.hash
    assert second.verify().ok


def test_reading_back_in_order_by_kind_and_with_limits(make_log: MakeLog) -> None:
    log = make_log()
    for n in range(1, 11):
        log.append("decision" if n % 2 else "outcome", {"n": n})

    assert log.count() == 10
    assert [entry.seq for entry in log.tail(3)] == [8, 9, 10]
    assert log.tail(0) == []
    assert [entry.seq for entry in log.iter_entries(after_seq=7)] == [8, 9, 10]
    assert [entry.seq for entry in log.iter_entries(kinds={"outcome"})] == [2, 4, 6, 8, 10]
    assert [entry.seq for entry in log.iter_entries(kinds=["outcome"], limit=2)] == [2, 4]
    assert list(log.iter_entries(kinds=[])) == []
    assert [entry.body["n"] for entry in log.iter_entries(after_seq=2, limit=3)] == [3, 4, 5]


def test_iter_entries_pages_through_more_than_one_batch(make_log: MakeLog) -> None:
    log = make_log(checkpoint_every=10_000)
    for n in range(2500):
        log.append("decision", {"n": n})

    seqs = [entry.seq for entry in log.iter_entries()]
    assert seqs == list(range(1, 2501))
    assert len(list(log.iter_entries(after_seq=100, limit=1500))) == 1500


def test_export_writes_one_canonical_json_object_per_line(make_log: MakeLog) -> None:
    log = make_log()
    entries = [log.append("decision", {"n": n, "text": "é\n"}) for n in range(3)]
    stream = io.StringIO()

    assert log.export_jsonl(stream, after_seq=1) == 2
    lines = stream.getvalue().splitlines()
    records = [json.loads(line) for line in lines]
    assert [record["seq"] for record in records] == [2, 3]
    assert records[0]["hash"] == entries[1].hash
    assert records[0]["prev_hash"] == entries[0].hash
    assert records[1]["body"] == {"n": 2, "text": "é\n"}
    assert lines[0] == json.dumps(
        records[0], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def test_checkpoints_every_n_entries_and_on_close(
    make_log: MakeLog, store: Path, tmp_path: Path
) -> None:
    anchor = tmp_path / "anchor.jsonl"
    log = make_log(checkpoint_every=4, checkpoint_interval_s=3600, anchor_path=anchor)
    for n in range(10):
        log.append("decision", {"n": n})
    assert [seq for (seq,) in sql(store, "SELECT seq FROM audit_checkpoints")] == [4, 8]

    log.close()
    assert [seq for (seq,) in sql(store, "SELECT seq FROM audit_checkpoints")] == [4, 8, 10]
    assert [json.loads(line)["seq"] for line in anchor.read_text().splitlines()] == [4, 8, 10]
    assert log.stats.checkpoints == 3


def test_checkpoint_after_the_interval_elapses(make_log: MakeLog, store: Path) -> None:
    log = make_log(checkpoint_every=1000, checkpoint_interval_s=0.05)
    log.append("decision", {"n": 1})
    time.sleep(0.06)
    log.append("decision", {"n": 2})

    assert sql(store, "SELECT seq FROM audit_checkpoints") == [(2,)]


def test_forced_checkpoint_covers_the_head_once(make_log: MakeLog) -> None:
    log = make_log(checkpoint_every=1000, checkpoint_interval_s=3600)
    assert log.checkpoint() is None
    log.append("decision", {"n": 1})

    checkpoint = log.checkpoint()
    assert checkpoint is not None
    assert (checkpoint.seq, checkpoint.hash) == log.head()
    assert log.checkpoint() == checkpoint
    assert log.verify().checkpoints == 1


def test_verify_happy_path_counts_entries_and_checkpoints(make_log: MakeLog) -> None:
    log = make_log(checkpoint_every=7)
    for n in range(50):
        log.append("decision", {**DECISION, "n": n})
    report = log.verify()

    assert report.ok, report.problem
    assert (report.entries, report.checkpoints) == (50, 7)
    assert (report.first_bad_seq, report.problem) == (None, None)


def test_verify_an_empty_log(make_log: MakeLog) -> None:
    report = make_log().verify()
    assert report.ok
    assert (report.entries, report.checkpoints) == (0, 0)


@pytest.mark.parametrize(
    "body",
    [{"x": float("nan")}, {"x": {1, 2}}, {1: "x"}, {"x": 2**60}, {"x": "\ud800"}, ["a"]],
    ids=["nan", "set", "int-key", "huge-int", "lone-surrogate", "not-a-mapping"],
)
def test_a_body_that_is_not_json_is_refused(make_log: MakeLog, body: object) -> None:
    log = make_log()
    with pytest.raises(InvalidInput):
        log.append("decision", body)  # type: ignore[arg-type]
    assert log.head()[0] == 0


@pytest.mark.parametrize("kind", ["", "k" * 65, 7])
def test_a_bad_kind_is_refused(make_log: MakeLog, kind: object) -> None:
    with pytest.raises(InvalidInput):
        make_log().append(kind, {})  # type: ignore[arg-type]


def test_a_failed_write_raises_and_does_not_advance_the_chain(
    make_log: MakeLog, store: Path
) -> None:
    log = make_log()
    log.append("decision", {"n": 1})
    sql(
        store,
        "CREATE TRIGGER refuse BEFORE INSERT ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'disk says no'); END",
    )
    with pytest.raises(StoreError, match="disk says no"):
        log.append("decision", {"n": 2})
    assert log.head()[0] == 1

    sql(store, "DROP TRIGGER refuse")
    assert log.append("decision", {"n": 2}).seq == 2
    assert log.verify().ok


def test_append_after_close_is_refused(make_log: MakeLog) -> None:
    log = make_log()
    log.close()
    with pytest.raises(StoreError, match="closed"):
        log.append("decision", {})
    log.close()


def test_a_second_writer_on_the_same_store_extends_the_chain_without_forking(
    store: Path, signer: CheckpointSigner
) -> None:
    """Two processes (here two instances) share a file: a collision reloads the head."""
    databases = [Database.open(store, migrate=False) for _ in range(2)]
    one, two = (AuditLog(database, signer) for database in databases)
    try:
        one.append("decision", {"by": "one"})
        two.append("decision", {"by": "two"})
        assert one.append("decision", {"by": "one"}).seq == 3
        assert one.verify().ok
    finally:
        one.close()
        two.close()
        for database in databases:
            database.dispose()


def test_invalid_checkpoint_settings_are_refused(store: Path, signer: CheckpointSigner) -> None:
    database = Database.open(store, migrate=False)
    with pytest.raises(InvalidInput):
        AuditLog(database, signer, checkpoint_every=0)
    with pytest.raises(InvalidInput):
        AuditLog(database, signer, checkpoint_interval_s=0)
    database.dispose()


def test_an_export_alone_is_enough_to_recompute_the_chain(make_log: MakeLog) -> None:
    """An outside verifier needs only RFC 8785 and SHA-256 (docs/audit.md)."""
    log = make_log()
    for n in range(5):
        log.append("decision", {"n": n, "score": 0.25, "who": "zoë", "tags": ["a", None]})
    stream = io.StringIO()
    log.export_jsonl(stream)

    prev_hash = GENESIS_HASH
    for line in stream.getvalue().splitlines():
        record = json.loads(line)
        content = {key: record[key] for key in ("seq", "ts", "kind", "body")}
        digest = hashlib.sha256(prev_hash.encode() + rfc8785.dumps(content)).hexdigest()
        assert (record["prev_hash"], record["hash"]) == (prev_hash, digest)
        prev_hash = digest
    assert prev_hash == log.head()[1]


def test_an_unwritable_anchor_does_not_fail_appends_but_fails_checkpoint(
    make_log: MakeLog, tmp_path: Path
) -> None:
    """The entries are committed either way; failing the append would invite a duplicate."""
    log = make_log(checkpoint_every=2, anchor_path=tmp_path / "missing" / "anchor.jsonl")
    log.append("decision", {"n": 1})
    assert log.append("decision", {"n": 2}).seq == 2
    log.append("decision", {"n": 3})

    with pytest.raises(StoreError, match="anchor file"):
        log.checkpoint()
    assert log.verify().ok


def test_verifying_while_appending_is_not_a_false_alarm(make_log: MakeLog) -> None:
    """Checkpoints written after the walk's last batch are not taken for truncation."""
    log = make_log(checkpoint_every=3)
    stop = threading.Event()

    def keep_appending() -> None:
        # Bounded: each verify walks the whole log, so an endless writer on a slow
        # machine makes the test's run time grow with the square of its length.
        for n in range(1_500):
            if stop.is_set():
                return
            log.append("decision", {"n": n})

    writer = threading.Thread(target=keep_appending)
    writer.start()
    reports = []
    try:
        while writer.is_alive() or len(reports) < 5:
            reports.append(log.verify())
    finally:
        stop.set()
        writer.join()
    assert all(report.ok for report in reports), [r.problem for r in reports if not r.ok]
