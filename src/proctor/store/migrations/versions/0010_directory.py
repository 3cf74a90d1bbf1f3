"""The directory: people's e-mail and clearance, groups, memberships, access grants.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("email", sa.String(320), nullable=True))
        batch.add_column(
            sa.Column("clearance", sa.String(20), nullable=False, server_default="internal")
        )
    op.create_table(
        "directory_groups",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("clearance", sa.String(20), nullable=True),
        sa.Column("description", sa.Text, nullable=False),
    )
    op.create_table(
        "directory_members",
        sa.Column("group_id", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(10), primary_key=True),
        sa.Column("member_id", sa.String(200), primary_key=True),
    )
    op.create_table(
        "access_grants",
        sa.Column("kind", sa.String(10), primary_key=True),
        sa.Column("pattern", sa.String(300), primary_key=True),
        sa.Column("subject", sa.String(210), primary_key=True),
        sa.Column("level", sa.String(10), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("access_grants")
    op.drop_table("directory_members")
    op.drop_table("directory_groups")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("clearance")
        batch.drop_column("email")
