"""The kill switch: a person's hard stop for every agent at once.

Engaging it is stored (it survives restarts) and takes effect on the very next check
in this process; other processes sharing the store see it within their poll interval.
Suspending one agent, or every agent of an owner, is an inventory status change
(:meth:`proctor.admin.Admin.suspend_agents`); this switch is the one above them all.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from proctor.monitor._tables import kill_switch
from proctor.store import ChangeWatch, Database, as_utc, read_version, utcnow

_VERSION_KEY = "kill_switch"
_ROW_ID = 1


@dataclass(frozen=True, slots=True)
class SwitchState:
    """Whether every agent is stopped, and who said so, when and why."""

    engaged: bool
    actor: str = ""
    reason: str = ""
    changed_at: datetime | None = None


class KillSwitch:
    """The global stop, read from memory on the hot path."""

    def __init__(self, database: Database, *, poll_interval_s: float = 1.0):
        self._db = database
        self._watch = ChangeWatch(database, _VERSION_KEY, poll_interval_s)
        self._lock = threading.Lock()
        self._version, self._state = self._load()

    @property
    def state(self) -> SwitchState:
        """The current state; re-read from the store at most once per poll interval."""
        if self._watch.moved_since(self._version):
            self._refresh()
        return self._state

    def set(self, engaged: bool, *, actor: str, reason: str) -> SwitchState:
        """Engage (``True``) or release the switch; effective at once in this process."""
        values = {"engaged": engaged, "actor": actor, "reason": reason, "changed_at": utcnow()}
        with self._db.begin() as connection:
            updated = connection.execute(
                sa.update(kill_switch).where(kill_switch.c.id == _ROW_ID).values(**values)
            )
            if updated.rowcount == 0:
                connection.execute(sa.insert(kill_switch).values(id=_ROW_ID, **values))
            self._db.bump_version(connection, _VERSION_KEY)
        return self._refresh()

    def _refresh(self) -> SwitchState:
        with self._lock:
            self._version, self._state = self._load()
            return self._state

    def _load(self) -> tuple[int, SwitchState]:
        with self._db.connect() as connection:
            version = read_version(connection, _VERSION_KEY)
            row = (
                connection.execute(sa.select(kill_switch).where(kill_switch.c.id == _ROW_ID))
                .mappings()
                .first()
            )
        if row is None:
            return version, SwitchState(engaged=False)
        return version, SwitchState(
            engaged=bool(row["engaged"]),
            actor=row["actor"],
            reason=row["reason"],
            changed_at=as_utc(row["changed_at"]),
        )
