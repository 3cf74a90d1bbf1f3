"""Tables behind approvals (migration 0008)."""

import sqlalchemy as sa

from proctor.store import metadata

_TS = sa.DateTime(timezone=True)

approval_requests = sa.Table(
    "approval_requests",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("decision_id", sa.String(40), nullable=False, unique=True),
    sa.Column("status", sa.String(20), nullable=False, index=True),
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
    sa.Column("updated_at", _TS, nullable=False, index=True),
    sa.Index("ix_approval_requests_task_hash", "task_id", "call_hash"),
)

approval_link_uses = sa.Table(
    "approval_link_uses",
    metadata,
    sa.Column("link_id", sa.String(64), primary_key=True),
    sa.Column("approval_id", sa.String(40), nullable=False),
    sa.Column("used_at", _TS, nullable=False),
    sa.Column("expires_at", _TS, nullable=False),
)
