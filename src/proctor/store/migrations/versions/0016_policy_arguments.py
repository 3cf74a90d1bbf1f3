"""Tool arguments policies may judge (``context.args``), by name and type.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tools") as batch:
        batch.add_column(
            sa.Column("policy_arguments", sa.JSON, nullable=False, server_default="{}")
        )


def downgrade() -> None:
    with op.batch_alter_table("tools") as batch:
        batch.drop_column("policy_arguments")
