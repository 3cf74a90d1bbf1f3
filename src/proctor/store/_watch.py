"""Noticing changes other processes made: one mechanism for every in-memory cache."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from proctor.store._database import Database, store_versions

_READ_ALL = sa.select(store_versions.c.name, store_versions.c.version)


class VersionBoard:
    """Every change counter of one store, read together: one query serves every watch.

    A process has a dozen caches (inventory, policies, revocations, breakers…), each
    watching its own counter. Read one by one, each cache's poll landed on a different
    check; read together, one check per interval pays for one query.
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        self._lock = threading.Lock()
        self._versions: dict[str, int] = {}
        self._read_at = float("-inf")

    def version(self, name: str, *, max_age_s: float) -> int:
        """The counter ``name`` as read at most ``max_age_s`` ago (reading now if older)."""
        if time.monotonic() - self._read_at > max_age_s:
            self._read(max_age_s)
        return self._versions.get(name, 0)

    def _read(self, max_age_s: float) -> None:
        with self._lock:
            # Another thread may have read while this one waited for the lock.
            if time.monotonic() - self._read_at <= max_age_s:
                return
            started = time.monotonic()
            with self._database.connect() as connection:
                rows = connection.execute(_READ_ALL).all()
            self._versions = {str(name): int(version) for name, version in rows}
            self._read_at = started


class ChangeWatch:
    """Whether a change counter in the store has moved past the version a cache holds.

    Reads the store at most once per ``interval_s`` (through the database's shared
    :class:`VersionBoard`, so the watches of one process share that read); ``force``
    reads it now (a cache miss that another process may explain). A process's own
    writes refresh its caches directly; this is only how it learns of everyone else's.
    """

    def __init__(self, database: Database, name: str, interval_s: float):
        self._board = database.version_board
        self._name = name
        self._interval_s = interval_s
        # Read now: what the store holds when the watch starts is not a change.
        self._board.version(name, max_age_s=interval_s)

    def moved_since(self, version: int, *, force: bool = False) -> bool:
        """Whether the counter is past ``version``.

        Counters only go up; a counter behind the cache's version is a board read
        before this process's own write, not a change.
        """
        max_age = 0.0 if force else self._interval_s
        return self._board.version(self._name, max_age_s=max_age) > version
