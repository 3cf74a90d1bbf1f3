"""The write gate: this process's writers to one SQLite file queue on a lock of their
own, so a check's audit append waits for a background write to commit, not for
SQLite's busy handler to wake it (1 ms, 2, 5, 10 ms…)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from proctor.audit import AuditLog, CheckpointSigner
from proctor.errors import StoreError
from proctor.store import Database, WriteGate


def test_engines_on_one_file_share_one_gate(tmp_path: Path) -> None:
    first = Database.open(tmp_path / "a.db")
    second = Database.open(tmp_path / "." / "a.db")
    other = Database.open(tmp_path / "b.db")
    assert first.write_gate is not None
    assert first.write_gate is second.write_gate
    assert other.write_gate is not first.write_gate


def test_in_memory_databases_do_not_share_a_gate() -> None:
    first = Database.open("sqlite://", migrate=False)
    second = Database.open("sqlite://", migrate=False)
    assert first.write_gate is not None
    assert first.write_gate is not second.write_gate


def test_an_audit_append_waits_at_the_gate_for_a_write_in_progress(tmp_path: Path) -> None:
    database = Database.open(tmp_path / "store.db")
    audit = AuditLog(database, CheckpointSigner.generate())
    appended = threading.Event()
    inside = threading.Event()
    release = threading.Event()

    def background_write() -> None:
        with database.begin():
            inside.set()
            release.wait(5)

    def append() -> None:
        audit.append("test", {"n": 1})
        appended.set()

    writer = threading.Thread(target=background_write)
    writer.start()
    assert inside.wait(5)
    appender = threading.Thread(target=append)
    appender.start()
    time.sleep(0.1)
    assert not appended.is_set(), "the append went ahead during another write"
    assert audit.count() == 0
    release.set()
    writer.join(5)
    assert appended.wait(5), "the append did not follow the write it waited for"
    appender.join(5)
    assert audit.count() == 1
    audit.close()


def test_a_thread_already_writing_passes_its_own_gate() -> None:
    gate = WriteGate()
    with gate.held(), gate.held():
        pass


def test_a_writer_that_waits_too_long_is_told_so() -> None:
    gate = WriteGate(timeout_s=0.05)
    holding = threading.Event()
    done = threading.Event()

    def hold() -> None:
        with gate.held():
            holding.set()
            done.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(5)
    try:
        with pytest.raises(StoreError, match="another writer in this process"), gate.held():
            pass
    finally:
        done.set()
        holder.join(5)
    with gate.held():
        pass  # free again once the holder is done
