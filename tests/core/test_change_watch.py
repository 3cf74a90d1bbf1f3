"""ChangeWatch: another process's change is seen within the interval, never before asked."""

from __future__ import annotations

import time
from pathlib import Path

from proctor.store import ChangeWatch, Database


def _bump(database: Database, name: str) -> None:
    with database.begin() as connection:
        database.bump_version(connection, name)


def test_a_change_is_noticed_only_once_the_interval_has_passed(tmp_path: Path) -> None:
    database = Database.open(tmp_path / "s.db")
    watch = ChangeWatch(database, "things", interval_s=0.2)
    _bump(database, "things")
    assert not watch.moved_since(0), "inside the interval the store is not read"
    time.sleep(0.25)
    assert watch.moved_since(0)
    assert not watch.moved_since(1), "just read: the next read waits an interval"


def test_force_reads_the_store_at_once(tmp_path: Path) -> None:
    database = Database.open(tmp_path / "s.db")
    watch = ChangeWatch(database, "things", interval_s=3600)
    assert not watch.moved_since(0, force=True)
    _bump(database, "things")
    assert watch.moved_since(0, force=True)
    assert not watch.moved_since(1, force=True)
