"""The monitor's own tables: baselines, breakers, alerts and declared rate limits."""

import sqlalchemy as sa

from proctor.store import metadata

_TS = sa.DateTime(timezone=True)

monitor_baselines = sa.Table(
    "monitor_baselines",
    metadata,
    sa.Column("agent_id", sa.String(200), primary_key=True),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
)

monitor_breakers = sa.Table(
    "monitor_breakers",
    metadata,
    sa.Column("agent_id", sa.String(200), primary_key=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("rule", sa.String(200), nullable=False),
    sa.Column("opened_at", _TS, nullable=True),
    sa.Column("evidence", sa.JSON, nullable=False),
    sa.Column("trips", sa.Integer, nullable=False),
    sa.Column("changed_by", sa.String(200), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("changed_at", _TS, nullable=False),
)

monitor_alerts = sa.Table(
    "monitor_alerts",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(40), nullable=False, unique=True),
    sa.Column("agent_id", sa.String(200), nullable=False, index=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("severity", sa.String(20), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("evidence", sa.JSON, nullable=False),
    sa.Column("created_at", _TS, nullable=False),
)

#: Declared monitor configuration (the rate limits of ``proctor apply``), by name.
monitor_config = sa.Table(
    "monitor_config",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("document", sa.JSON, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
)
