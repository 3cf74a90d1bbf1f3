"""Agent credentials: token signing keys and revocations.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("public_key", sa.LargeBinary(32), nullable=False),
        sa.Column("private_key_pem", sa.Text, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("is_current", sa.Boolean, nullable=True, unique=True),
        sa.Column("retired_at", _TS, nullable=True),
        sa.Column("not_after", _TS, nullable=True),
    )
    op.create_table(
        "token_revocations",
        sa.Column("jti", sa.String(64), primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("revoked_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=True),
    )
    op.create_table(
        "agent_token_revocations",
        sa.Column("agent_id", sa.String(200), primary_key=True),
        sa.Column("revoked_before", _TS, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("agent_token_revocations")
    op.drop_table("token_revocations")
    op.drop_table("signing_keys")
