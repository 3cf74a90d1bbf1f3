"""Reading and writing provenance sessions: the only code that touches their tables."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

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
from proctor.store import Database, as_utc

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
        sources = connection.execute(
            sa.select(provenance_sources)
            .where(
                provenance_sources.c.task_id == task_id,
                provenance_sources.c.id > index.last_source_row,
            )
            .order_by(provenance_sources.c.id)
        )
        changes.sources = [
            (
                int(row.id),
                Source(
                    id=row.source_id,
                    trust=Trust(row.trust),
                    tool=row.tool,
                    resource=row.resource,
                    label=row.label,
                    recorded_at=as_utc(row.recorded_at),
                ),
            )
            for row in sources
        ]
        values = connection.execute(
            sa.select(
                provenance_values.c.id,
                provenance_values.c.digest,
                provenance_values.c.family,
                provenance_values.c.kind,
                provenance_values.c.source_row,
                provenance_values.c.lengths,
            )
            .where(
                provenance_values.c.task_id == task_id,
                provenance_values.c.id > index.last_value_row,
            )
            .order_by(provenance_values.c.id)
        )
        changes.values = [
            (
                int(row_id),
                bytes(digest),
                int(family),
                _KIND_CODE[kind],
                int(source_row),
                int.from_bytes(lengths, "big") if lengths else 0,
            )
            for row_id, digest, family, kind, source_row, lengths in values
        ]
        return changes

    def versions(self, task_ids: Collection[str]) -> dict[str, int]:
        """The stored version of each of ``task_ids`` that still has a session."""
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
        also: Callable[[Connection], object] | None = None,
    ) -> Written:
        """Store ``found`` as seen in ``source``: the plan that was written, the new
        source's row id and the session's state after the write. ``also`` writes more
        in the same transaction (what else the output changed), last.

        Concurrent writers of one task are serialized by the lock on its session row,
        so that the plan is made against everything stored before it.
        """
        with self._db.begin() as connection:
            version = self._bump(connection, index.task_id, now)
            if version != index.version + 1:
                # Another process wrote this session since we last looked.
                behind = self._read(connection, index)
                with index.read_lock:
                    behind.apply(index)
            plan = index.plan(found, source.trust, max_values)
            source_row = connection.execute(
                _INSERT_SOURCE,
                {
                    "task_id": index.task_id,
                    "source_id": source.id,
                    "trust": source.trust.value,
                    "tool": source.tool,
                    "resource": source.resource,
                    "label": source.label,
                    "recorded_at": source.recorded_at,
                },
            ).inserted_primary_key
            row_id = int(source_row[0]) if source_row else 0
            last_value = self._insert_values(connection, index.task_id, row_id, plan)
            for chunk in _chunks(plan.evict):
                connection.execute(
                    sa.delete(provenance_values).where(
                        provenance_values.c.task_id == index.task_id,
                        provenance_values.c.digest.in_(chunk),
                    )
                )
            lost = plan.dropped + len(plan.evict)
            overflowed = index.overflowed or lost > 0 or truncated
            dropped = index.dropped + lost
            if (overflowed, dropped) != (index.overflowed, index.dropped):
                connection.execute(
                    _SET_OVERFLOW, {"t": index.task_id, "o": overflowed, "d": dropped}
                )
            if also is not None:
                also(connection)
        return Written(plan, row_id, version, overflowed, dropped, last_value)

    def _insert_values(
        self, connection: Connection, task_id: str, source_row: int, plan: Plan
    ) -> int:
        """Insert the plan's rows; the largest value row id of the task after (0 when
        nothing was inserted: the caller keeps what it knew)."""
        if not plan.rows:
            return 0
        rows = [
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
