"""Rows stored with their audit entries: both committed in one transaction, or neither."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from proctor.audit import AuditLog, CheckpointSigner, StoredRow
from proctor.audit import _log as audit_log_module
from proctor.audit._core import CoreBackend
from proctor.errors import StoreError
from proctor.store import Database

_things = sa.MetaData()
things = sa.Table(
    "things",
    _things,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("note", sa.Text, nullable=True),
)
AT = datetime(2026, 11, 27, 1, 2, 3, 456789, tzinfo=UTC)


@pytest.fixture(params=["driver", "core"])
def log(
    request: pytest.FixtureRequest,
    store: Path,
    signer: CheckpointSigner,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[AuditLog]:
    if request.param == "core":
        monkeypatch.setattr(audit_log_module, "open_backend", CoreBackend)
    database = Database.open(store, migrate=False)
    _things.create_all(database.engine)
    opened = AuditLog(database, signer)
    yield opened
    opened.close()
    database.dispose()


def _row(thing_id: str, **payload: object) -> StoredRow:
    return StoredRow(things, {"id": thing_id, "payload": payload, "at": AT, "note": None})


def _stored(store: Path) -> list[dict[str, object]]:
    database = Database.open(store, migrate=False)
    try:
        with database.connect() as connection:
            rows = connection.execute(sa.select(things).order_by(things.c.id)).mappings()
            return [dict(row) for row in rows]
    finally:
        database.dispose()


def test_rows_and_entries_are_committed_together(log: AuditLog, store: Path) -> None:
    entries = log.append_all(
        [("approval", {"n": 1}), ("decision", {"n": 2})], rows=[_row("t1", x=[1, "a"])]
    )
    assert [(e.kind, e.body) for e in entries] == [("approval", {"n": 1}), ("decision", {"n": 2})]
    assert entries[1].seq == entries[0].seq + 1
    assert entries[1].prev_hash == entries[0].hash
    stored = _stored(store)
    # Read back through SQLAlchemy as any other row: JSON and timestamps as Core stores them.
    assert [(r["id"], r["payload"], r["note"]) for r in stored] == [("t1", {"x": [1, "a"]}, None)]
    assert stored[0]["at"].replace(tzinfo=UTC) == AT  # type: ignore[union-attr]
    assert log.verify().ok


def test_a_refused_row_stores_nothing_and_the_log_goes_on(log: AuditLog, store: Path) -> None:
    log.append_all([("approval", {"n": 1})], rows=[_row("t1")])
    head = log.head()
    with pytest.raises(StoreError, match="things"):
        log.append_all([("approval", {"n": 2}), ("decision", {"n": 3})], rows=[_row("t1")])
    assert log.head() == head, "no entry of the refused transaction is in the chain"
    assert log.count() == 1
    assert [r["id"] for r in _stored(store)] == ["t1"]
    log.append("decision", {"n": 4})
    assert log.verify().ok
    assert log.count() == 2


def test_concurrent_appenders_each_get_their_own_entries(log: AuditLog, store: Path) -> None:
    """Group commit may put several appenders in one transaction: each gets exactly its
    entries back, in order, and every row is stored with them."""
    results: dict[int, list[int]] = {}

    def work(worker: int) -> None:
        for n in range(20):
            entries = log.append_all(
                [("approval", {"w": worker, "n": n}), ("decision", {"w": worker, "n": n})],
                rows=[_row(f"w{worker}-{n}")],
            )
            assert [e.body for e in entries] == [{"w": worker, "n": n}] * 2
            assert entries[1].seq == entries[0].seq + 1
            results.setdefault(worker, []).append(entries[0].seq)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seq for seqs in results.values() for seq in seqs) == list(range(1, 160, 2))
    assert len(_stored(store)) == 80
    assert log.verify().ok
