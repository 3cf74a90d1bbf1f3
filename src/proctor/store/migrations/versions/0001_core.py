"""Core tables: change counters, inventory, tasks, admin keys.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "store_versions",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "agents",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("groups", sa.JSON, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_table(
        "tools",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("action_class", sa.String(40), nullable=False),
        sa.Column("label", sa.String(20), nullable=False),
        sa.Column("audience", sa.String(20), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_table(
        "resources",
        sa.Column("id", sa.String(300), primary_key=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("label", sa.String(20), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("agent_id", sa.String(200), nullable=False, index=True),
        sa.Column("requester", sa.String(200), nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("actions", sa.JSON, nullable=False),
        sa.Column("tool_patterns", sa.JSON, nullable=False),
        sa.Column("deliverable_description", sa.Text, nullable=True),
        sa.Column("deliverable_audience", sa.String(20), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
    )
    op.create_table(
        "admin_keys",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("key_hash", sa.String(128), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("revoked_at", _TS, nullable=True),
    )


def downgrade() -> None:
    for table in ("admin_keys", "tasks", "resources", "tools", "agents", "store_versions"):
        op.drop_table(table)
