import sqlalchemy as sa

from proctor.store import metadata

tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("agent_id", sa.String(200), nullable=False, index=True),
    sa.Column("requester", sa.String(200), nullable=False),
    sa.Column("purpose", sa.Text, nullable=False),
    sa.Column("actions", sa.JSON, nullable=False),
    sa.Column("tool_patterns", sa.JSON, nullable=False),
    # Migration 0015: the resources the task is limited to (null: not limited).
    sa.Column("resource_patterns", sa.JSON, nullable=True),
    sa.Column("deliverable_description", sa.Text, nullable=True),
    sa.Column("deliverable_audience", sa.String(20), nullable=True),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)
