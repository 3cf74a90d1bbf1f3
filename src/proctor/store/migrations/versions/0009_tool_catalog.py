"""The tool catalog: MCP annotations, output trust, target and permission arguments, review.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tools") as batch:
        batch.add_column(sa.Column("annotations", sa.JSON, nullable=False, server_default="{}"))
        batch.add_column(
            sa.Column("untrusted_output", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("targets", sa.JSON, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("permission_arguments", sa.JSON, nullable=True))
        batch.add_column(sa.Column("review", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tools") as batch:
        for column in ("review", "permission_arguments", "targets", "untrusted_output"):
            batch.drop_column(column)
        batch.drop_column("annotations")
