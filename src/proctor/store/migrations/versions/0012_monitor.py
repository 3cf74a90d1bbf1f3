"""Behavioural baselines and circuit breakers, one row per agent each.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "monitor_baselines",
        sa.Column("agent_id", sa.String(200), primary_key=True),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_table(
        "monitor_breakers",
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


def downgrade() -> None:
    op.drop_table("monitor_breakers")
    op.drop_table("monitor_baselines")
