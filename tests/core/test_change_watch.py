"""ChangeWatch: another process's change is seen within the interval, never before asked."""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa

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


def test_the_watches_of_one_store_share_one_read(tmp_path: Path) -> None:
    database = Database.open(tmp_path / "s.db")
    watches = [ChangeWatch(database, name, interval_s=0.2) for name in ("a", "b", "c", "d")]
    reads: list[str] = []
    sa.event.listen(
        database.engine,
        "before_cursor_execute",
        lambda _conn, _cursor, statement, *_rest: reads.append(statement),
    )
    _bump(database, "c")
    reads.clear()
    time.sleep(0.25)
    moved = [watch.moved_since(0) for watch in watches]
    assert moved == [False, False, True, False]
    assert len([s for s in reads if "store_versions" in s]) == 1, reads


def test_a_counter_behind_the_cache_is_not_a_change(tmp_path: Path) -> None:
    """The board was read before this process's own write; the cache is ahead of it."""
    database = Database.open(tmp_path / "s.db")
    watch = ChangeWatch(database, "things", interval_s=3600)
    _bump(database, "things")
    assert not watch.moved_since(1), "the board still says 0: behind, not moved"
    assert not watch.moved_since(1, force=True)
