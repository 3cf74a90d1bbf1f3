"""The rate limits an admin declared (``rate_limits:`` in ``proctor.yaml``), stored so
that every gateway process sharing the store enforces the same ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import sqlalchemy as sa

from proctor.monitor._monitor_tables import monitor_config
from proctor.monitor._ratelimit_rules import RateLimitRule, parse_rate_limits
from proctor.store import Database, utcnow

#: The change counter gateways watch to pick up new limits.
RATE_LIMITS_VERSION_KEY = "monitor_rate_limits"
_RATE_LIMITS = "rate_limits"

LimitsChange = Literal["created", "updated", "unchanged"]


class RateLimitStore:
    """The declared rate limits, as one list replaced as a whole."""

    def __init__(self, database: Database):
        self._db = database

    @property
    def database(self) -> Database:
        return self._db

    def put(self, rules: Sequence[RateLimitRule], *, actor: str) -> LimitsChange:
        """Replace the declared limits with ``rules``: ``created`` the first time,
        then ``updated`` or ``unchanged``."""
        document = {"rules": [_entry(rule) for rule in rules]}
        with self._db.begin() as connection:
            current = connection.execute(
                sa.select(monitor_config.c.document).where(monitor_config.c.name == _RATE_LIMITS)
            ).scalar()
            if current == document:
                return "unchanged"
            values = {"document": document, "updated_by": actor, "updated_at": utcnow()}
            if current is None:
                connection.execute(sa.insert(monitor_config).values(name=_RATE_LIMITS, **values))
            else:
                connection.execute(
                    sa.update(monitor_config)
                    .where(monitor_config.c.name == _RATE_LIMITS)
                    .values(**values)
                )
            self._db.bump_version(connection, RATE_LIMITS_VERSION_KEY)
        return "created" if current is None else "updated"

    def rules(self) -> tuple[RateLimitRule, ...]:
        """The declared limits (none until an admin declares some)."""
        with self._db.connect() as connection:
            document = connection.execute(
                sa.select(monitor_config.c.document).where(monitor_config.c.name == _RATE_LIMITS)
            ).scalar()
        if not document:
            return ()
        return parse_rate_limits(document.get("rules", []))


def _entry(rule: RateLimitRule) -> dict[str, object]:
    """A rule in the mapping form, keeping its id (the key its buckets are counted under)."""
    return {
        "tool": rule.tool,
        "limit": rule.limit,
        "period": f"{int(rule.period.total_seconds())}s",
        "per": str(rule.per),
        "burst": rule.allowance,
        "id": rule.id,
    }
