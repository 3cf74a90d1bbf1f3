"""Shadow agents: callers that named an agent nobody registered, or presented a
token Proctor did not sign.

Every such call is denied; recording who tried, from where and what, turns an
invisible agent into an inventory entry a person can chase down. Anyone can make
such calls, so the register is bounded: past ``max_entries`` distinct names, new
ones are counted together under :data:`SHADOW_OVERFLOW`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from proctor.inventory._tables import shadow_agents
from proctor.store import Database, as_utc, utcnow

_MAX = 300
#: The register's row for callers beyond the bound: counted, not named.
SHADOW_OVERFLOW = "(too many shadow agents)"
DEFAULT_MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class Caller:
    """Where a call came from, as the enforcement point saw it (HTTP: peer and User-Agent)."""

    address: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class ShadowAgent:
    agent_id: str
    first_seen: datetime
    last_seen: datetime
    count: int
    last_tool: str
    last_task: str
    last_client: str | None
    last_user_agent: str | None
    last_problem: str | None = None


class ShadowAgents:
    """The register of unknown agents that tried to act."""

    def __init__(self, database: Database, *, max_entries: int = DEFAULT_MAX_ENTRIES):
        self._db = database
        self._max_entries = max_entries

    def record(
        self,
        agent_id: str,
        *,
        tool: str,
        task: str,
        caller: Caller | None,
        problem: str = "unknown_agent",
    ) -> None:
        """Count one more attempt by ``agent_id`` (values are cut to 300 characters).

        ``problem`` is the refusal code: ``unknown_agent``, or why the token was not
        one of Proctor's (``token_bad_signature``, ``token_wrong_issuer``, ...).
        """
        now = utcnow()
        caller = caller or Caller()
        seen = {
            "last_seen": now,
            "last_tool": tool[:_MAX],
            "last_task": task[:_MAX],
            "last_client": _cut(caller.address),
            "last_user_agent": _cut(caller.user_agent),
            "last_problem": problem[:_MAX],
        }
        with self._db.begin() as connection:
            for key in (agent_id[:_MAX], SHADOW_OVERFLOW):
                if self._count_one(connection, key, seen):
                    return
                if key == SHADOW_OVERFLOW or self._has_room(connection):
                    connection.execute(
                        sa.insert(shadow_agents).values(
                            agent_id=key, first_seen=now, count=1, **seen
                        )
                    )
                    return

    def _count_one(self, connection: sa.Connection, key: str, seen: dict[str, object]) -> bool:
        updated = connection.execute(
            sa.update(shadow_agents)
            .where(shadow_agents.c.agent_id == key)
            .values(count=shadow_agents.c.count + 1, **seen)
        )
        return bool(updated.rowcount)

    def _has_room(self, connection: sa.Connection) -> bool:
        rows = connection.execute(sa.select(sa.func.count()).select_from(shadow_agents)).scalar()
        return int(rows or 0) < self._max_entries

    def list(self) -> list[ShadowAgent]:
        """Every shadow agent, most recently seen first."""
        query = sa.select(shadow_agents).order_by(shadow_agents.c.last_seen.desc())
        with self._db.connect() as connection:
            return [_from_row(row) for row in connection.execute(query).mappings()]


def _cut(value: str | None) -> str | None:
    return value[:_MAX] if value is not None else None


def _from_row(row: sa.RowMapping) -> ShadowAgent:
    return ShadowAgent(
        agent_id=row["agent_id"],
        first_seen=as_utc(row["first_seen"]),
        last_seen=as_utc(row["last_seen"]),
        count=int(row["count"]),
        last_tool=row["last_tool"],
        last_task=row["last_task"],
        last_client=row["last_client"],
        last_user_agent=row["last_user_agent"],
        last_problem=row["last_problem"],
    )
