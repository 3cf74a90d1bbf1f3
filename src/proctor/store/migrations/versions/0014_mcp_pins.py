"""MCP tool pins: the accepted definition of each upstream server's tools.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mcp_tool_pins",
        sa.Column("server", sa.String(64), primary_key=True),
        sa.Column("tool", sa.String(200), primary_key=True),
        sa.Column("inventory_name", sa.String(200), nullable=False),
        sa.Column("pin", sa.String(64), nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("registered", sa.Boolean, nullable=False),
        sa.Column("first_seen", _TS, nullable=False),
        sa.Column("accepted_by", sa.String(200), nullable=False),
        sa.Column("accepted_at", _TS, nullable=False),
        sa.Column("changed_pin", sa.String(64), nullable=True),
        sa.Column("changed_definition", sa.JSON, nullable=True),
        sa.Column("changed_at", _TS, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("mcp_tool_pins")
