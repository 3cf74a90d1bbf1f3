"""Sessions in the store, served from memory on the hot path.

Each change is written in one transaction that re-reads the row, so two outcomes of
one task recorded at once (by two processes, even) both count. Checks read the
in-memory copy; changes other processes make are picked up within the poll interval
(only the rows changed since the last look are read).

On SQLite the re-read row is compared, as stored, with a fingerprint of the row this
process last wrote or read for the task: when they match, the in-memory copy is that
row and its sources (up to 20, JSON) are not decoded again. Any other writer's change
alters the row (its ``updated_at`` at least), so it is decoded then.
"""

from __future__ import annotations

import functools
import hashlib
import json
import operator
import sqlite3
import threading
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from proctor.flow._session import SessionState, Source
from proctor.flow._tables import task_sessions
from proctor.model import Label
from proctor.store import (
    ChangeWatch,
    Database,
    DriverStatement,
    Transaction,
    as_utc,
    bump_version,
    driver_transaction,
    read_version,
    uses_driver,
    utcnow,
)

VERSION_KEY = "sessions"
#: How many sessions stay in memory (the least recently used are dropped and reread).
CACHE_SIZE = 100_000
#: Changes of other processes are reread from a little before the last look, so a
#: transaction that committed with a slightly older timestamp is not missed.
_OVERLAP = timedelta(seconds=2)

# Built once: building and keying a statement costs about as much as running it.
_SELECT = sa.select(task_sessions).where(task_sessions.c.task_id == sa.bindparam("t"))
_SELECT_FOR_UPDATE = _SELECT.with_for_update()
_INSERT = sa.insert(task_sessions)
_UPDATE = sa.update(task_sessions).where(task_sessions.c.task_id == sa.bindparam("t"))
#: The columns a change writes (all but the key).
_CHANGED = (
    "label",
    "label_owner",
    "untrusted",
    "injected",
    "over_clearance",
    "sources",
    "updated_at",
)


class Sessions:
    """Every task's session."""

    def __init__(self, database: Database, *, poll_interval_s: float = 1.0) -> None:
        self._db = database
        self._watch = ChangeWatch(database, VERSION_KEY, poll_interval_s)
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, SessionState] = OrderedDict()
        #: For SQLite: the fingerprint of the stored row each cached session was
        #: written as or read from (absent: unknown, decode the row).
        self._stored: dict[str, bytes] = {}
        self._version = database.version(VERSION_KEY)
        self._synced_at = utcnow()
        self._driver = _DriverStatements(database) if uses_driver(database) else None

    def get(self, task_id: str) -> SessionState:
        """The task's session (an empty one if nothing was taken in yet)."""
        if self._watch.moved_since(self._version):
            self._catch_up()
        with self._lock:
            found = self._cache.get(task_id)
            if found is not None:
                self._cache.move_to_end(task_id)
                return found
        with self._db.connect() as connection:
            loaded = _load(connection, task_id) or SessionState(task_id)
        self._remember(loaded)
        return loaded

    def take_in(
        self,
        task_id: str,
        source: Source,
        *,
        owner: str | None,
        over_clearance: bool,
        connection: Transaction | None = None,
    ) -> SessionState:
        """Add what a tool returned to the task's session; returns the session after.

        With ``connection``, the change is written in the caller's transaction (with
        the rest of an outcome; on SQLite, a driver connection of
        :func:`~proctor.store.driver_transaction`). It is in this process's copy at
        once: if that transaction then fails, the copy is more cautious than the
        store until the task's next change, never less.
        """
        if connection is None and self._driver is not None:
            with driver_transaction(self._db) as raw:
                after, stored = self._write(raw, task_id, source, owner, over_clearance)
        elif connection is None:
            with self._db.begin() as own:
                after, stored = self._write(own, task_id, source, owner, over_clearance)
        else:
            after, stored = self._write(connection, task_id, source, owner, over_clearance)
        self._remember(after, stored)
        return after

    def _write(
        self,
        connection: Transaction,
        task_id: str,
        source: Source,
        owner: str | None,
        over_clearance: bool,
    ) -> tuple[SessionState, bytes | None]:
        """Write the change; the session after, and the fingerprint of its stored row
        (SQLite) or ``None``."""
        if not isinstance(connection, sqlite3.Connection):
            before = _load(connection, task_id, for_update=True)
            after = _taking_in(before, task_id, source, owner, over_clearance)
            values = _row(after)
            if before is None:
                connection.execute(_INSERT, {"task_id": task_id, **values})
            else:
                connection.execute(_UPDATE, {"t": task_id, **values})
            bump_version(self._db, connection, VERSION_KEY)
            return after, None
        statements = self._statements()
        before = self._stored_session(connection, task_id)
        after = _taking_in(before, task_id, source, owner, over_clearance)
        write = statements.update if before is not None else statements.insert
        values = _row(after, sources_text=_sources_text(after.sources))
        params = write.statement.params({"task_id": task_id, "t": task_id, **values})
        connection.execute(write.statement.sql, params)
        bump_version(self._db, connection, VERSION_KEY)
        return after, _fingerprint(write.stored(params))

    def _stored_session(self, connection: sqlite3.Connection, task_id: str) -> SessionState | None:
        """The stored session, read in the write transaction (which holds the write
        lock): the in-memory copy when the row is the one it was made from."""
        select = self._statements().select
        row = connection.execute(select.sql, select.params({"t": task_id})).fetchone()
        if row is None:
            return None
        fingerprint = _fingerprint(tuple(row))
        with self._lock:
            cached = self._cache.get(task_id)
            if cached is not None and self._stored.get(task_id) == fingerprint:
                return cached
        converted = select.convert(row)
        return _state({"task_id": task_id, **dict(zip(_CHANGED, converted, strict=True))})

    def _statements(self) -> _DriverStatements:
        if self._driver is None:
            raise TypeError("a driver connection was given for a store that is not SQLite")
        return self._driver

    def _remember(self, state: SessionState, stored: bytes | None = None) -> None:
        """Keep ``state`` in memory (with the fingerprint of its stored row, if known)."""
        with self._lock:
            self._cache[state.task_id] = state
            self._cache.move_to_end(state.task_id)
            if stored is None:
                self._stored.pop(state.task_id, None)
            else:
                self._stored[state.task_id] = stored
            while len(self._cache) > CACHE_SIZE:
                evicted = self._cache.popitem(last=False)[0]
                self._stored.pop(evicted, None)

    def _catch_up(self) -> None:
        """Reread the sessions other processes changed since the last look."""
        since = self._synced_at - _OVERLAP
        with self._db.connect() as connection:
            version = read_version(connection, VERSION_KEY)
            rows = connection.execute(
                sa.select(task_sessions).where(task_sessions.c.updated_at >= since)
            ).mappings()
            changed = [_state(row) for row in rows]
        with self._lock:
            for state in changed:
                if state.task_id in self._cache:
                    self._cache[state.task_id] = state
                    self._stored.pop(state.task_id, None)
            self._version = version
            self._synced_at = utcnow()


class _DriverStatements:
    """A change's statements, compiled once for the SQLite driver."""

    def __init__(self, database: Database) -> None:
        dialect = database.engine.dialect
        #: The columns a change writes, as stored (compared before they are decoded).
        self.select = DriverStatement(dialect, _SELECT_CHANGED)
        # The sources go in as the JSON text of _sources_text (Core's JSON type would
        # encode the list itself; the text is the same).
        unchanged = tuple(name for name in _CHANGED if name != "sources")
        insert = _INSERT.values(sources=_SOURCES_TEXT)
        self.insert = _Write(DriverStatement(dialect, insert, column_keys=("task_id", *unchanged)))
        update = _UPDATE.values(sources=_SOURCES_TEXT)
        self.update = _Write(DriverStatement(dialect, update, column_keys=unchanged))


class _Write:
    """An insert or update of a session row on the driver, and where the changed
    columns' values sit in its parameters (what the row stores, for its fingerprint)."""

    def __init__(self, statement: DriverStatement) -> None:
        self.statement = statement
        self.stored = operator.itemgetter(*(statement.names.index(name) for name in _CHANGED))


_SELECT_CHANGED = sa.select(*(task_sessions.c[name] for name in _CHANGED)).where(
    task_sessions.c.task_id == sa.bindparam("t")
)


_SOURCES_TEXT = sa.bindparam("sources", type_=sa.Text)


def _sources_text(sources: tuple[Source, ...]) -> str:
    """The JSON text of ``sources`` as stored, exactly what ``json.dumps`` makes of
    their list (each source's part made once and remembered)."""
    return "[" + ", ".join(_source_text(source) for source in sources) + "]"


@functools.lru_cache(maxsize=32_768)
def _source_text(source: Source) -> str:
    return json.dumps(_source_json(source))


def _taking_in(
    before: SessionState | None,
    task_id: str,
    source: Source,
    owner: str | None,
    over_clearance: bool,
) -> SessionState:
    session = before or SessionState(task_id)
    return session.taking_in(source, owner=owner, over_clearance=over_clearance, at=utcnow())


def _fingerprint(stored: tuple[Any, ...]) -> bytes:
    """A digest of a row's values as the driver stores and returns them (text,
    integers, ``None``): equal rows, equal fingerprints."""
    return hashlib.blake2b(repr(stored).encode(), digest_size=16).digest()


def _load(connection: Connection, task_id: str, *, for_update: bool = False) -> SessionState | None:
    query = _SELECT_FOR_UPDATE if for_update else _SELECT
    row = connection.execute(query, {"t": task_id}).mappings().first()
    return _state(row) if row is not None else None


def _row(state: SessionState, *, sources_text: str | None = None) -> dict[str, Any]:
    """The columns a change writes; with ``sources_text``, the sources as their JSON
    text (SQLite driver)."""
    return {
        "label": state.label.value if state.label else None,
        "label_owner": state.label_owner,
        "untrusted": state.untrusted,
        "injected": state.injected,
        "over_clearance": state.over_clearance,
        "sources": (
            sources_text
            if sources_text is not None
            else [_source_json(source) for source in state.sources]
        ),
        "updated_at": state.updated_at,
    }


def _source_json(source: Source) -> dict[str, Any]:
    return {
        "decision_id": source.decision_id,
        "tool": source.tool,
        "resource": source.resource,
        "label": source.label.value,
        "untrusted": source.untrusted,
        "injected": source.injected,
    }


def _state(row: Any) -> SessionState:
    updated: datetime = as_utc(row["updated_at"])
    return SessionState(
        task_id=row["task_id"],
        label=Label(row["label"]) if row["label"] else None,
        label_owner=row["label_owner"],
        untrusted=bool(row["untrusted"]),
        injected=bool(row["injected"]),
        over_clearance=bool(row["over_clearance"]),
        sources=tuple(
            Source(
                decision_id=item["decision_id"],
                tool=item["tool"],
                resource=item.get("resource"),
                label=Label(item["label"]),
                untrusted=bool(item["untrusted"]),
                injected=bool(item.get("injected", False)),
            )
            for item in row["sources"]
        ),
        updated_at=updated,
    )
