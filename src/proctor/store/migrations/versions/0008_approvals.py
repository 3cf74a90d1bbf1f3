"""Approval requests, one-click link uses, and notification delivery attempts.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "approval_requests",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("decision_id", sa.String(40), nullable=False, unique=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("call_hash", sa.String(64), nullable=False),
        sa.Column("agent_id", sa.String(200), nullable=False),
        sa.Column("task_id", sa.String(200), nullable=False),
        sa.Column("requester", sa.String(200), nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("chain", sa.JSON, nullable=False),
        sa.Column("tool", sa.String(300), nullable=False),
        sa.Column("arguments", sa.JSON, nullable=False),
        sa.Column("resource", sa.String(300), nullable=True),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("risk", sa.Integer, nullable=False),
        sa.Column("approvers", sa.JSON, nullable=False),
        sa.Column("approvals", sa.JSON, nullable=False),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("decided_at", _TS, nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decision_reason", sa.Text, nullable=True),
        sa.Column("used_at", _TS, nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index("ix_approval_requests_status", "approval_requests", ["status"])
    op.create_index("ix_approval_requests_updated_at", "approval_requests", ["updated_at"])
    op.create_index("ix_approval_requests_task_hash", "approval_requests", ["task_id", "call_hash"])
    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.String(40), nullable=False, index=True),
        sa.Column("subject", sa.String(80), nullable=False, index=True),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("attempted_at", _TS, nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("delivered", sa.Boolean, nullable=False),
    )
    op.create_table(
        "approval_link_uses",
        sa.Column("link_id", sa.String(64), primary_key=True),
        sa.Column("approval_id", sa.String(40), nullable=False),
        sa.Column("used_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("approval_link_uses")
    op.drop_table("notification_deliveries")
    op.drop_index("ix_approval_requests_task_hash", "approval_requests")
    op.drop_index("ix_approval_requests_updated_at", "approval_requests")
    op.drop_index("ix_approval_requests_status", "approval_requests")
    op.drop_table("approval_requests")
