"""The monitor's own tables: agents' baselines and their circuit breakers."""

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
