"""Where baselines and breakers survive restarts: one row per agent each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from proctor.monitor._monitor_tables import monitor_baselines, monitor_breakers
from proctor.store import Database, as_utc, read_version, utcnow

#: The change counter other processes watch to learn of a trip or a reset.
BREAKERS_VERSION_KEY = "monitor_breakers"


class BaselineStore:
    """Agents' baseline states as JSON, keyed by agent id."""

    def __init__(self, database: Database):
        self._db = database

    def save(self, agent: str, state: Mapping[str, Any]) -> None:
        self.save_many({agent: state})

    def save_many(self, states: Mapping[str, Mapping[str, Any]]) -> None:
        """Write several agents' states in one transaction (last writer wins), as one
        upsert run for every row."""
        if not states:
            return
        now = utcnow()
        rows = [
            {"agent_id": agent, "state": dict(state), "updated_at": now}
            for agent, state in states.items()
        ]
        with self._db.begin() as connection:
            _upsert_many(connection, monitor_baselines, rows)

    def load(self, agent: str) -> dict[str, Any] | None:
        with self._db.connect() as connection:
            state = connection.execute(
                sa.select(monitor_baselines.c.state).where(monitor_baselines.c.agent_id == agent)
            ).scalar()
        return dict(state) if isinstance(state, Mapping) else None

    def stored_agents(self) -> set[str]:
        """Every agent with a stored baseline (one query; read once at start)."""
        with self._db.connect() as connection:
            rows = connection.execute(sa.select(monitor_baselines.c.agent_id)).scalars()
            return set(rows)

    def delete(self, agent: str) -> None:
        """Forget an agent's baseline: it starts learning again."""
        with self._db.begin() as connection:
            connection.execute(
                sa.delete(monitor_baselines).where(monitor_baselines.c.agent_id == agent)
            )


@dataclass(frozen=True, slots=True)
class BreakerRecord:
    """The stored state of one agent's breaker."""

    agent: str
    status: str
    rule: str
    opened_at: datetime | None
    trips: int
    changed_by: str
    reason: str
    changed_at: datetime
    evidence: Mapping[str, Any] = field(default_factory=dict, hash=False)


class BreakerStore:
    """Agents' breaker states; every write moves a change counter other processes watch."""

    def __init__(self, database: Database):
        self._db = database

    @property
    def database(self) -> Database:
        return self._db

    def put(self, record: BreakerRecord) -> int:
        """Store the agent's breaker; the change counter after this write."""
        values = {
            "status": record.status,
            "rule": record.rule,
            "opened_at": record.opened_at,
            "evidence": dict(record.evidence),
            "trips": record.trips,
            "changed_by": record.changed_by,
            "reason": record.reason,
            "changed_at": record.changed_at,
        }
        # Built before the transaction: a check's audit append may be waiting for it.
        table, key = monitor_breakers, monitor_breakers.c.agent_id
        update = sa.update(table).where(key == record.agent).values(**values)
        with self._db.begin() as connection:
            if connection.execute(update).rowcount == 0:
                connection.execute(sa.insert(table).values({key.name: record.agent, **values}))
            self._db.bump_version(connection, BREAKERS_VERSION_KEY)
            return read_version(connection, BREAKERS_VERSION_KEY)

    def get(self, agent: str) -> BreakerRecord | None:
        with self._db.connect() as connection:
            row = (
                connection.execute(
                    sa.select(monitor_breakers).where(monitor_breakers.c.agent_id == agent)
                )
                .mappings()
                .first()
            )
        return None if row is None else _record(row)

    def not_closed(self) -> tuple[int, list[BreakerRecord]]:
        """The change counter and every breaker that is open or half-open."""
        with self._db.connect() as connection:
            version = read_version(connection, BREAKERS_VERSION_KEY)
            rows = (
                connection.execute(
                    sa.select(monitor_breakers).where(monitor_breakers.c.status != "closed")
                )
                .mappings()
                .all()
            )
        return version, [_record(row) for row in rows]


def _record(row: sa.RowMapping) -> BreakerRecord:
    opened_at = row["opened_at"]
    return BreakerRecord(
        agent=row["agent_id"],
        status=row["status"],
        rule=row["rule"],
        opened_at=as_utc(opened_at) if opened_at is not None else None,
        trips=int(row["trips"]),
        changed_by=row["changed_by"],
        reason=row["reason"],
        changed_at=as_utc(row["changed_at"]),
        evidence=dict(row["evidence"] or {}),
    )


def _upsert(
    connection: Connection,
    table: sa.Table,
    key: sa.Column[str],
    agent: str,
    values: dict[str, Any],
) -> None:
    updated = connection.execute(sa.update(table).where(key == agent).values(**values))
    if updated.rowcount == 0:
        connection.execute(sa.insert(table).values({key.name: agent, **values}))


def _upsert_many(connection: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` or update the rows with their keys, in one executemany."""
    dialect = connection.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        key = next(iter(table.primary_key.columns))
        for row in rows:
            values = {name: value for name, value in row.items() if name != key.name}
            _upsert(connection, table, key, row[key.name], values)
        return
    insert = sqlite.insert(table) if dialect == "sqlite" else postgresql.insert(table)
    keys = [column.name for column in table.primary_key.columns]
    updated = {name: insert.excluded[name] for name in rows[0] if name not in keys}
    connection.execute(insert.on_conflict_do_update(index_elements=keys, set_=updated), rows)
