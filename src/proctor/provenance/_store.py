"""Reading and writing provenance sessions: the only code that touches their tables."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from proctor.provenance._index import Plan, SessionIndex
from proctor.provenance._model import KIND_CODES, Source, Trust
from proctor.provenance._tables import (
    LENGTHS_BYTES,
    provenance_sessions,
    provenance_sources,
    provenance_values,
)
from proctor.store import (
    Database,
    DriverStatement,
    Transaction,
    as_utc,
    driver_reading,
    driver_transaction,
    uses_driver,
)

_T = TypeVar("_T")
_KIND_CODE = {kind.value: code for code, kind in enumerate(KIND_CODES)}
_CHUNK = 500

# The statements of every write, built once: building and keying a statement costs
# about as much as running it.
_BUMP_RETURNING = (
    sa.update(provenance_sessions)
    .where(provenance_sessions.c.task_id == sa.bindparam("t"))
    .values(version=provenance_sessions.c.version + 1, updated_at=sa.bindparam("now"))
    .returning(provenance_sessions.c.version)
)
_INSERT_SOURCE = sa.insert(provenance_sources)
_INSERT_VALUES = sa.insert(provenance_values)
_INSERT_VALUES_RETURNING = sa.insert(provenance_values).returning(provenance_values.c.id)
_SET_OVERFLOW = (
    sa.update(provenance_sessions)
    .where(provenance_sessions.c.task_id == sa.bindparam("t"))
    .values(overflowed=sa.bindparam("o"), dropped=sa.bindparam("d"))
)
_LAST_VALUE = sa.select(sa.func.max(provenance_values.c.id)).where(
    provenance_values.c.task_id == sa.bindparam("t")
)


@dataclass(slots=True)
class Changes:
    """Rows another writer (or an earlier run) stored that an index has not seen."""

    exists: bool = False
    version: int = 0
    overflowed: bool = False
    dropped: int = 0
    sources: list[tuple[int, Source]] = field(default_factory=list)
    values: list[tuple[int, bytes, int, int, int, int]] = field(default_factory=list)

    def apply(self, index: SessionIndex) -> None:
        """Add the rows to ``index`` (the caller holds its locks)."""
        for row_id, source in self.sources:
            if row_id not in index.source_rows:
                index.add_source(row_id, source)
        for row_id, digest, family, kind, source_row, lengths in self.values:
            local = index.source_rows.get(source_row)
            if local is not None:
                index.add(digest, family, kind, local, lengths)
            index.last_value_row = max(index.last_value_row, row_id)
        index.version = self.version
        index.overflowed = index.overflowed or self.overflowed
        index.dropped = max(index.dropped, self.dropped)


@dataclass(frozen=True, slots=True)
class Written:
    """What one write stored and the session's state right after it."""

    plan: Plan
    source_row: int
    version: int
    overflowed: bool
    dropped: int
    last_value_row: int


class ProvenanceStore:
    """Sessions, sources and digests of every task, in the shared store."""

    def __init__(self, database: Database):
        self._db = database
        self._driver = _DriverStatements(database) if uses_driver(database) else None

    def read(self, index: SessionIndex) -> Changes:
        """Everything of ``index``'s task stored after what ``index`` already holds."""
        with self._db.connect() as connection:
            return self._read(connection, index)

    def _read(self, connection: Connection, index: SessionIndex) -> Changes:
        task_id = index.task_id
        changes = Changes()
        session = connection.execute(
            sa.select(provenance_sessions).where(provenance_sessions.c.task_id == task_id)
        ).first()
        if session is None:
            return changes
        changes.exists = True
        changes.version = int(session.version)
        changes.overflowed = bool(session.overflowed)
        changes.dropped = int(session.dropped)
        sources = connection.execute(_SOURCES_AFTER, {"t": task_id, "after": index.last_source_row})
        changes.sources = _source_entries(sources)
        values = connection.execute(_VALUES_AFTER, {"t": task_id, "after": index.last_value_row})
        changes.values = _value_entries(values)
        return changes

    def versions(self, task_ids: Collection[str]) -> dict[str, int]:
        """The stored version of each of ``task_ids`` that still has a session.

        Asked once a second, on a check, for every session held in memory (up to
        thousands): on SQLite it runs on the driver, about a third of Core's cost."""
        if self._driver is not None:
            return _driver_versions(self._db, list(task_ids))
        found: dict[str, int] = {}
        with self._db.connect() as connection:
            for chunk in _chunks(list(task_ids)):
                rows = connection.execute(
                    sa.select(provenance_sessions.c.task_id, provenance_sessions.c.version).where(
                        provenance_sessions.c.task_id.in_(chunk)
                    )
                )
                found.update({task_id: int(version) for task_id, version in rows})
        return found

    def write(
        self,
        index: SessionIndex,
        source: Source,
        found: Mapping[bytes, tuple[int, int, int]],
        *,
        max_values: int,
        truncated: bool,
        now: datetime,
        also: Callable[[Transaction], object] | None = None,
    ) -> Written:
        """Store ``found`` as seen in ``source``: the plan that was written, the new
        source's row id and the session's state after the write. ``also`` writes more
        in the same transaction (what else the output changed), last.

        Concurrent writers of one task are serialized by the lock on its session row,
        so that the plan is made against everything stored before it. On SQLite the
        transaction runs on the driver (:class:`_DriverWrites`), else through Core.
        """
        if self._driver is not None:
            with driver_transaction(self._db) as raw:
                writes: _Writes = _DriverWrites(self._driver, raw)
                return _write(writes, index, source, found, max_values, truncated, now, also)
        with self._db.begin() as connection:
            writes = _CoreWrites(self, connection)
            return _write(writes, index, source, found, max_values, truncated, now, also)

    def _insert_values(
        self, connection: Connection, task_id: str, source_row: int, plan: Plan
    ) -> int:
        """Insert the plan's rows; the largest value row id of the task after (0 when
        nothing was inserted: the caller keeps what it knew)."""
        if not plan.rows:
            return 0
        rows = _value_rows(task_id, source_row, plan)
        if connection.dialect.insert_executemany_returning:
            # One statement, and the new ids with it (the session row's lock keeps
            # other writers of this task out, so ours are its newest rows).
            ids = connection.execute(_INSERT_VALUES_RETURNING, rows).scalars().all()
            return max(int(row_id) for row_id in ids)
        connection.execute(_INSERT_VALUES, rows)
        last_value = connection.execute(_LAST_VALUE, {"t": task_id}).scalar()
        return int(last_value or 0)

    def _bump(self, connection: Connection, task_id: str, now: datetime) -> int:
        """Create or advance the session row (locking it until commit); its new version."""
        if connection.dialect.update_returning:
            row = connection.execute(_BUMP_RETURNING, {"t": task_id, "now": now}).first()
            if row is not None:
                return int(row[0])
        bump = {"version": provenance_sessions.c.version + 1, "updated_at": now}
        where = provenance_sessions.c.task_id == task_id
        postgres = self._db.engine.dialect.name == "postgresql"
        insert = postgresql.insert if postgres else sqlite.insert
        connection.execute(
            insert(provenance_sessions)
            .values(
                task_id=task_id,
                version=0,
                overflowed=False,
                dropped=0,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["task_id"])
        )
        connection.execute(sa.update(provenance_sessions).where(where).values(**bump))
        version = connection.execute(
            sa.select(provenance_sessions.c.version).where(where)
        ).scalar_one()
        return int(version)

    def delete(self, task_ids: Iterable[str]) -> None:
        """Remove everything stored for ``task_ids``."""
        with self._db.begin() as connection:
            for chunk in _chunks(list(task_ids)):
                for table in (provenance_values, provenance_sources, provenance_sessions):
                    connection.execute(sa.delete(table).where(table.c.task_id.in_(chunk)))

    def idle_since(self, before: datetime) -> list[str]:
        """Tasks whose session was last written before ``before``."""
        with self._db.connect() as connection:
            rows = connection.execute(
                sa.select(provenance_sessions.c.task_id).where(
                    provenance_sessions.c.updated_at < before
                )
            )
            return [task_id for (task_id,) in rows]


def _lengths_bytes(lengths: int) -> bytes | None:
    return lengths.to_bytes(LENGTHS_BYTES, "big") if lengths else None


def _chunks(items: list[_T]) -> Iterable[list[_T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class _Writes(Protocol):
    """The statements of one write transaction, on Core or on the SQLite driver."""

    @property
    def connection(self) -> Transaction: ...

    def bump(self, task_id: str, now: datetime) -> int: ...

    def read(self, index: SessionIndex) -> Changes: ...

    def insert_source(self, task_id: str, source: Source) -> int: ...

    def insert_values(self, task_id: str, source_row: int, plan: Plan) -> int: ...

    def evict(self, task_id: str, digests: list[bytes]) -> None: ...

    def set_overflow(self, task_id: str, overflowed: bool, dropped: int) -> None: ...


def _write(
    writes: _Writes,
    index: SessionIndex,
    source: Source,
    found: Mapping[bytes, tuple[int, int, int]],
    max_values: int,
    truncated: bool,
    now: datetime,
    also: Callable[[Transaction], object] | None,
) -> Written:
    """:meth:`ProvenanceStore.write` inside its transaction."""
    version = writes.bump(index.task_id, now)
    if version != index.version + 1:
        # Another process wrote this session since we last looked.
        behind = writes.read(index)
        with index.read_lock:
            behind.apply(index)
    plan = index.plan(found, source.trust, max_values)
    row_id = writes.insert_source(index.task_id, source)
    last_value = writes.insert_values(index.task_id, row_id, plan)
    if plan.evict:
        writes.evict(index.task_id, plan.evict)
    lost = plan.dropped + len(plan.evict)
    overflowed = index.overflowed or lost > 0 or truncated
    dropped = index.dropped + lost
    if (overflowed, dropped) != (index.overflowed, index.dropped):
        writes.set_overflow(index.task_id, overflowed, dropped)
    if also is not None:
        also(writes.connection)
    return Written(plan, row_id, version, overflowed, dropped, last_value)


def _source_row(task_id: str, source: Source) -> dict[str, object]:
    return {
        "task_id": task_id,
        "source_id": source.id,
        "trust": source.trust.value,
        "tool": source.tool,
        "resource": source.resource,
        "label": source.label,
        "recorded_at": source.recorded_at,
    }


def _value_rows(task_id: str, source_row: int, plan: Plan) -> list[dict[str, object]]:
    return [
        {
            "task_id": task_id,
            "digest": digest,
            "family": family,
            "kind": KIND_CODES[kind].value,
            "source_row": source_row,
            "lengths": _lengths_bytes(lengths),
        }
        for digest, family, kind, lengths in plan.rows
    ]


class _CoreWrites:
    """A write transaction through SQLAlchemy Core (any database)."""

    def __init__(self, store: ProvenanceStore, connection: Connection) -> None:
        self._store = store
        self.connection = connection

    def bump(self, task_id: str, now: datetime) -> int:
        return self._store._bump(self.connection, task_id, now)

    def read(self, index: SessionIndex) -> Changes:
        return self._store._read(self.connection, index)

    def insert_source(self, task_id: str, source: Source) -> int:
        inserted = self.connection.execute(
            _INSERT_SOURCE, _source_row(task_id, source)
        ).inserted_primary_key
        return int(inserted[0]) if inserted else 0

    def insert_values(self, task_id: str, source_row: int, plan: Plan) -> int:
        return self._store._insert_values(self.connection, task_id, source_row, plan)

    def evict(self, task_id: str, digests: list[bytes]) -> None:
        for chunk in _chunks(digests):
            self.connection.execute(
                sa.delete(provenance_values).where(
                    provenance_values.c.task_id == task_id,
                    provenance_values.c.digest.in_(chunk),
                )
            )

    def set_overflow(self, task_id: str, overflowed: bool, dropped: int) -> None:
        self.connection.execute(_SET_OVERFLOW, {"t": task_id, "o": overflowed, "d": dropped})


_SOURCE_COLUMNS = ("task_id", "source_id", "trust", "tool", "resource", "label", "recorded_at")
_VALUE_COLUMNS = ("task_id", "digest", "family", "kind", "source_row", "lengths")


def _rows_after(table: sa.Table, columns: Sequence[str]) -> sa.Select[Any]:
    """The task's rows of ``table`` stored after a row id: ``id`` and ``columns``."""
    return (
        sa.select(table.c.id, *(table.c[name] for name in columns))
        .where(table.c.task_id == sa.bindparam("t"), table.c.id > sa.bindparam("after"))
        .order_by(table.c.id)
    )


_SOURCES_AFTER = _rows_after(provenance_sources, _SOURCE_COLUMNS[1:])
_VALUES_AFTER = _rows_after(provenance_values, _VALUE_COLUMNS[1:])


def _source_entries(rows: Iterable[Sequence[Any]]) -> list[tuple[int, Source]]:
    """Rows of :data:`_SOURCES_AFTER` (through Core or the driver) as the index takes them."""
    return [
        (
            int(row_id),
            Source(
                id=source_id,
                trust=Trust(trust),
                tool=tool,
                resource=resource,
                label=label,
                recorded_at=as_utc(recorded_at),
            ),
        )
        for row_id, source_id, trust, tool, resource, label, recorded_at in rows
    ]


def _value_entries(rows: Iterable[Sequence[Any]]) -> list[tuple[int, bytes, int, int, int, int]]:
    """Rows of :data:`_VALUES_AFTER` (through Core or the driver) as the index takes them."""
    return [
        (
            int(row_id),
            bytes(digest),
            int(family),
            _KIND_CODE[kind],
            int(source_row),
            int.from_bytes(lengths, "big") if lengths else 0,
        )
        for row_id, digest, family, kind, source_row, lengths in rows
    ]


def _driver_versions(database: Database, task_ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    with driver_reading(database) as driver:
        for chunk in _chunks(task_ids):
            marks = ",".join("?" * len(chunk))
            rows = driver.execute(_VERSIONS_SQL.format(marks=marks), chunk).fetchall()
            found.update({task_id: int(version) for task_id, version in rows})
    return found


_VERSIONS_SQL = "SELECT task_id, version FROM provenance_sessions WHERE task_id IN ({marks})"


class _DriverStatements:
    """The statements of a write, compiled once for the SQLite driver."""

    def __init__(self, database: Database) -> None:
        dialect = database.engine.dialect
        self.bump = DriverStatement(dialect, _BUMP_RETURNING)
        self.create = DriverStatement(
            dialect,
            sqlite.insert(provenance_sessions)
            .values(
                task_id=sa.bindparam("t"),
                version=0,
                overflowed=False,
                dropped=0,
                created_at=sa.bindparam("now"),
                updated_at=sa.bindparam("now"),
            )
            .on_conflict_do_nothing(index_elements=["task_id"]),
        )
        self.session = DriverStatement(
            dialect,
            sa.select(
                provenance_sessions.c.version,
                provenance_sessions.c.overflowed,
                provenance_sessions.c.dropped,
            ).where(provenance_sessions.c.task_id == sa.bindparam("t")),
        )
        self.sources_after = DriverStatement(dialect, _SOURCES_AFTER)
        self.values_after = DriverStatement(dialect, _VALUES_AFTER)
        self.insert_source = DriverStatement(dialect, _INSERT_SOURCE, column_keys=_SOURCE_COLUMNS)
        self.insert_value = DriverStatement(dialect, _INSERT_VALUES, column_keys=_VALUE_COLUMNS)
        self.evict = DriverStatement(
            dialect,
            sa.delete(provenance_values).where(
                provenance_values.c.task_id == sa.bindparam("t"),
                provenance_values.c.digest == sa.bindparam("d"),
            ),
        )
        self.set_overflow = DriverStatement(dialect, _SET_OVERFLOW)


class _DriverWrites:
    """A write transaction on an SQLite driver connection."""

    def __init__(self, statements: _DriverStatements, connection: sqlite3.Connection) -> None:
        self._s = statements
        self.connection = connection

    def bump(self, task_id: str, now: datetime) -> int:
        params = {"t": task_id, "now": now}
        row = self._s.bump.first(self.connection, params)
        if row is None:
            self._s.create.execute(self.connection, params)
            row = self._s.bump.first(self.connection, params)
        if row is None:
            raise sqlite3.OperationalError("the provenance session row could not be created")
        return int(row[0])

    def read(self, index: SessionIndex) -> Changes:
        connection, task_id = self.connection, index.task_id
        changes = Changes()
        session = self._s.session.first(connection, {"t": task_id})
        if session is None:
            return changes
        changes.exists = True
        changes.version, changes.overflowed, changes.dropped = (
            int(session[0]),
            bool(session[1]),
            int(session[2]),
        )
        sources = self._s.sources_after.rows(
            connection, {"t": task_id, "after": index.last_source_row}
        )
        changes.sources = _source_entries(sources)
        values = self._s.values_after.rows(
            connection, {"t": task_id, "after": index.last_value_row}
        )
        changes.values = _value_entries(values)
        return changes

    def insert_source(self, task_id: str, source: Source) -> int:
        cursor = self._s.insert_source.execute(self.connection, _source_row(task_id, source))
        return int(cursor.lastrowid or 0)

    def insert_values(self, task_id: str, source_row: int, plan: Plan) -> int:
        if not plan.rows:
            return 0
        self._s.insert_value.executemany(self.connection, _value_rows(task_id, source_row, plan))
        # The write lock keeps other writers out: the last row inserted is the newest.
        (last,) = self.connection.execute("SELECT last_insert_rowid()").fetchone()
        return int(last)

    def evict(self, task_id: str, digests: list[bytes]) -> None:
        self._s.evict.executemany(self.connection, [{"t": task_id, "d": d} for d in digests])

    def set_overflow(self, task_id: str, overflowed: bool, dropped: int) -> None:
        self._s.set_overflow.execute(self.connection, {"t": task_id, "o": overflowed, "d": dropped})
