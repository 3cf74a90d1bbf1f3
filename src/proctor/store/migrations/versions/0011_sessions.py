"""Task sessions: what each task's agents have taken in.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_sessions",
        sa.Column("task_id", sa.String(200), primary_key=True),
        sa.Column("label", sa.String(20), nullable=True),
        sa.Column("label_owner", sa.String(200), nullable=True),
        sa.Column("untrusted", sa.Boolean, nullable=False),
        sa.Column("injected", sa.Boolean, nullable=False),
        sa.Column("over_clearance", sa.Boolean, nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_task_sessions_updated_at", "task_sessions", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_task_sessions_updated_at", "task_sessions")
    op.drop_table("task_sessions")
