"""Tables behind task sessions (migration 0011)."""

import sqlalchemy as sa

from proctor.store import metadata

#: What the agents of one task have taken in so far: one row per task.
task_sessions = sa.Table(
    "task_sessions",
    metadata,
    sa.Column("task_id", sa.String(200), primary_key=True),
    sa.Column("label", sa.String(20), nullable=True),
    sa.Column("label_owner", sa.String(200), nullable=True),
    sa.Column("untrusted", sa.Boolean, nullable=False),
    sa.Column("injected", sa.Boolean, nullable=False),
    sa.Column("over_clearance", sa.Boolean, nullable=False),
    sa.Column("sources", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, index=True),
)
