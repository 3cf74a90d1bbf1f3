"""The record of every delivery attempt: what was sent where, when, and how it went."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa

from proctor.notify._tables import notification_deliveries
from proctor.store import Database, as_utc


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try at delivering one message."""

    delivery_id: str
    subject: str
    event: str
    target: str
    attempt: int
    attempted_at: datetime
    status_code: int | None
    error: str | None
    delivered: bool


class DeliveryLog:
    """Appends and lists delivery attempts (the table ``notification_deliveries``)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def record(self, attempt: Attempt) -> None:
        with self._db.begin() as connection:
            connection.execute(
                sa.insert(notification_deliveries).values(
                    delivery_id=attempt.delivery_id,
                    subject=attempt.subject,
                    event=attempt.event,
                    target=attempt.target,
                    attempt=attempt.attempt,
                    attempted_at=attempt.attempted_at,
                    status_code=attempt.status_code,
                    error=attempt.error,
                    delivered=attempt.delivered,
                )
            )

    def list(self, subject: str) -> builtins.list[Attempt]:
        """Every attempt for ``subject`` (``approval:<id>``, say), oldest first."""
        table = notification_deliveries
        query = sa.select(table).where(table.c.subject == subject).order_by(table.c.id)
        with self._db.connect() as connection:
            return [
                Attempt(
                    delivery_id=row.delivery_id,
                    subject=row.subject,
                    event=row.event,
                    target=row.target,
                    attempt=row.attempt,
                    attempted_at=as_utc(row.attempted_at),
                    status_code=row.status_code,
                    error=row.error,
                    delivered=row.delivered,
                )
                for row in connection.execute(query)
            ]


def redacted_target(url: str) -> str:
    """The URL as the log may keep it: scheme, host and path, never a query or user info.

    Chat webhooks carry their secret in the path or query; the path is kept (it
    tells operators which hook) only up to its first segment.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    first = parts.path.strip("/").split("/", 1)[0]
    shown = f"/{first}/…" if first and first != parts.path.strip("/") else parts.path
    return f"{parts.scheme}://{host}{shown}"
