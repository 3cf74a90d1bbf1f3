"""The directory as the gateway sees it: the store, and a precomputed view kept current."""

from __future__ import annotations

import threading

from proctor.directory._index import DirectoryIndex
from proctor.directory._store import VERSION_KEY, DirectoryStore
from proctor.people import VERSION_KEY as PEOPLE_VERSION
from proctor.people import People
from proctor.store import ChangeWatch, Database


class Directory:
    """People, groups and access rules, with :attr:`index` rebuilt whenever any of them
    changes (in this process at once, in others within the poll interval)."""

    def __init__(
        self,
        database: Database,
        people: People,
        *,
        unlisted_open: bool = True,
        poll_interval_s: float = 1.0,
    ) -> None:
        self.store = DirectoryStore(database)
        self._db = database
        self._people = people
        self._unlisted_open = unlisted_open
        self._watches = (
            ChangeWatch(database, PEOPLE_VERSION, poll_interval_s),
            ChangeWatch(database, VERSION_KEY, poll_interval_s),
        )
        self._lock = threading.Lock()
        self._stale = False
        self._index = self._build()

    @property
    def index(self) -> DirectoryIndex:
        """The current precomputed view; cheap to read on every check."""
        people_version, directory_version = self._index.version
        people_watch, directory_watch = self._watches
        if (
            self._stale
            or people_watch.moved_since(people_version)
            or directory_watch.moved_since(directory_version)
        ):
            self.refresh()
        return self._index

    def invalidate(self) -> None:
        """This process changed the directory: rebuild the view before it is next read
        (a bulk load of many changes rebuilds once)."""
        self._stale = True

    def refresh(self) -> DirectoryIndex:
        """Rebuild the view from the store now (after a change in this process)."""
        with self._lock:
            self._stale = False
            self._index = self._build()
        return self._index

    def _build(self) -> DirectoryIndex:
        version = (self._db.version(PEOPLE_VERSION), self._db.version(VERSION_KEY))
        return DirectoryIndex.build(
            self._people.list(),
            self.store.groups(),
            self.store.rules(),
            unlisted_open=self._unlisted_open,
            version=version,
        )
