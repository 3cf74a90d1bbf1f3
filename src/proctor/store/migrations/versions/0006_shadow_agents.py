"""Shadow agents: unknown agents that tried to act, and from where.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shadow_agents",
        sa.Column("agent_id", sa.String(300), primary_key=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("last_tool", sa.String(300), nullable=False),
        sa.Column("last_task", sa.String(300), nullable=False),
        sa.Column("last_client", sa.String(300), nullable=True),
        sa.Column("last_user_agent", sa.String(300), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("shadow_agents")
