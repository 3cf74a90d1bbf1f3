"""Where alerts are kept, and who hears of them as they are raised."""

from __future__ import annotations

import builtins
import logging
import threading
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa

from proctor.errors import InvalidInput
from proctor.monitor._alerts import Alert, AlertKind, Severity
from proctor.monitor._monitor_tables import monitor_alerts
from proctor.store import Database, as_utc

log = logging.getLogger("proctor.monitor")

AlertListener = Callable[[Alert], None]
#: The most alerts one listing returns.
MAX_ALERT_PAGE = 1000


class AlertStore:
    """Alerts, newest last; listeners hear each alert once it is stored."""

    def __init__(self, database: Database):
        self._db = database
        self._lock = threading.Lock()
        self._listeners: list[AlertListener] = []

    def add(self, alert: Alert) -> None:
        """Store ``alert``, then tell every listener (a failing listener is logged)."""
        # Built before the transaction: a check's audit append may be waiting for it.
        insert = sa.insert(monitor_alerts).values(
            id=alert.id,
            agent_id=alert.agent,
            kind=str(alert.kind),
            severity=str(alert.severity),
            summary=alert.summary,
            evidence=dict(alert.evidence),
            created_at=alert.created_at,
        )
        with self._db.begin() as connection:
            connection.execute(insert)
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(alert)
            except Exception:
                log.exception("an alert listener failed on %s", alert.id)

    def subscribe(self, listener: AlertListener) -> Callable[[], None]:
        """Hear every alert this process stores from now on; returns the unsubscribe."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def get(self, alert_id: str) -> Alert | None:
        with self._db.connect() as connection:
            row = (
                connection.execute(sa.select(monitor_alerts).where(monitor_alerts.c.id == alert_id))
                .mappings()
                .first()
            )
        return None if row is None else _alert(row)

    def list(
        self,
        *,
        agent: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> builtins.list[Alert]:
        """The newest ``limit`` alerts (of ``agent``, from ``since``), oldest first."""
        if not 1 <= limit <= MAX_ALERT_PAGE:
            raise InvalidInput(f"limit must be between 1 and {MAX_ALERT_PAGE}")
        query = sa.select(monitor_alerts).order_by(monitor_alerts.c.seq.desc()).limit(limit)
        if agent is not None:
            query = query.where(monitor_alerts.c.agent_id == agent)
        if since is not None:
            query = query.where(monitor_alerts.c.created_at >= since)
        with self._db.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [_alert(row) for row in reversed(rows)]


def _alert(row: sa.RowMapping) -> Alert:
    return Alert(
        id=row["id"],
        agent=row["agent_id"],
        kind=AlertKind(row["kind"]),
        severity=Severity(row["severity"]),
        summary=row["summary"],
        evidence=dict(row["evidence"] or {}),
        created_at=as_utc(row["created_at"]),
    )
