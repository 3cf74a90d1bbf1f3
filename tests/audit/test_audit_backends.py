"""The Core path (PostgreSQL's) and the SQLite driver path write the same chain."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from proctor.audit import AuditLog, CheckpointSigner
from proctor.audit import _log as audit_log_module
from proctor.audit._core import CoreBackend
from proctor.store import Database
from tests.audit.support import DECISION, fill, sql, verify


@pytest.fixture
def core_on_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    """Route the log through SQLAlchemy Core even though the store is SQLite."""
    monkeypatch.setattr(audit_log_module, "open_backend", CoreBackend)


@pytest.mark.usefixtures("core_on_sqlite")
def test_core_path_appends_and_verifies_on_sqlite(store: Path, signer: CheckpointSigner) -> None:
    fill(store, signer, 12, checkpoint_every=5)
    report = verify(store, signer)
    assert report.ok, report.problem
    assert (report.entries, report.checkpoints) == (12, 3)

    sql(store, "UPDATE audit_entries SET body = '{}' WHERE seq = 4")
    assert verify(store, signer).first_bad_seq == 4


def test_both_paths_write_one_chain(
    store: Path, signer: CheckpointSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timestamps stored by the driver path and by Core hash identically."""
    fill(store, signer, 5, checkpoint_every=2)
    with monkeypatch.context() as patched:
        patched.setattr(audit_log_module, "open_backend", CoreBackend)
        fill(store, signer, 5, checkpoint_every=2)
        assert verify(store, signer).ok
    fill(store, signer, 5, checkpoint_every=2)
    report = verify(store, signer)
    assert report.ok, report.problem
    assert report.entries == 15


@pytest.fixture
def postgres(postgres_url: str) -> Iterator[Database]:
    """A migrated store on a fresh PostgreSQL database (see tests/conftest.py)."""
    database = Database.open(postgres_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.mark.postgres
def test_replicas_append_concurrently_to_one_postgres_chain(
    postgres: Database, signer: CheckpointSigner
) -> None:
    """Two logs stand for two gateway replicas: they take turns, never fork."""
    replicas = [AuditLog(postgres, signer, checkpoint_every=10) for _ in range(2)]
    failures: list[BaseException] = []

    def work(index: int) -> None:
        try:
            for n in range(25):
                replicas[index % 2].append("decision", {**DECISION, "t": index, "n": n})
        except BaseException as exc:  # surfaced by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for log in replicas:
        log.close()

    assert failures == []
    reopened = AuditLog(postgres, signer)
    report = reopened.verify()
    assert report.ok, report.problem
    assert report.entries == 100
    assert [entry.seq for entry in reopened.tail(2)] == [99, 100]
    reopened.close()


@pytest.mark.postgres
def test_postgres_tampering_is_named(postgres: Database, signer: CheckpointSigner) -> None:
    with AuditLog(postgres, signer, checkpoint_every=5) as log:
        for n in range(12):
            log.append("decision", {"n": n})
    with postgres.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE audit_entries SET ts = ts + interval '1 microsecond' WHERE seq = 6"
        )
    assert AuditLog(postgres, signer).verify().first_bad_seq == 6

    with postgres.begin() as connection:
        connection.exec_driver_sql("DELETE FROM audit_entries WHERE seq >= 6")
    report = AuditLog(postgres, signer).verify()
    assert (report.ok, report.first_bad_seq) == (False, 6)
