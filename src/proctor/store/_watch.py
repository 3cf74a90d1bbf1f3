"""Noticing changes other processes made: one mechanism for every in-memory cache."""

from __future__ import annotations

import time

from proctor.store._database import Database


class ChangeWatch:
    """Whether a change counter in the store has moved past the version a cache holds.

    Reads the store at most once per ``interval_s``; ``force`` reads it now (a cache
    miss that another process may explain). A process's own writes refresh its caches
    directly; this is only how it learns of everyone else's.
    """

    def __init__(self, database: Database, name: str, interval_s: float):
        self._database = database
        self._name = name
        self._interval_s = interval_s
        self._next_read = time.monotonic() + interval_s

    def moved_since(self, version: int, *, force: bool = False) -> bool:
        now = time.monotonic()
        if not force and now < self._next_read:
            return False
        self._next_read = now + self._interval_s
        return self._database.version(self._name) != version

    def refreshed(self) -> None:
        """The cache was just reloaded: the next read of the store can wait an interval."""
        self._next_read = time.monotonic() + self._interval_s
