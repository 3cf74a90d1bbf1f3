"""People and their API keys, agents' public keys, the ledger of issued tokens,
used client assertions, and why a shadow agent was refused.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("roles", sa.JSON, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("disabled_at", _TS, nullable=True),
    )
    op.create_table(
        "person_keys",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("person_id", sa.String(200), sa.ForeignKey("people.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("key_hash", sa.String(128), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("last_used_at", _TS, nullable=True),
        sa.Column("revoked_at", _TS, nullable=True),
    )
    op.create_index("ix_person_keys_person_id", "person_keys", ["person_id"])
    op.add_column("agents", sa.Column("public_key", sa.JSON, nullable=True))
    op.create_table(
        "issued_tokens",
        sa.Column("jti", sa.String(64), primary_key=True),
        sa.Column("agent_id", sa.String(200), nullable=False),
        sa.Column("task_id", sa.String(200), nullable=False),
        sa.Column("requester", sa.String(200), nullable=False),
        sa.Column("parent_jti", sa.String(64), nullable=True),
        sa.Column("depth", sa.Integer, nullable=False),
        sa.Column("capabilities", sa.JSON, nullable=False),
        sa.Column("issued_by", sa.String(200), nullable=False),
        sa.Column("issued_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("last_used_at", _TS, nullable=True),
    )
    op.create_index("ix_issued_tokens_agent_id", "issued_tokens", ["agent_id"])
    op.create_index("ix_issued_tokens_parent_jti", "issued_tokens", ["parent_jti"])
    op.create_table(
        "used_assertions",
        sa.Column("agent_id", sa.String(200), primary_key=True),
        sa.Column("jti", sa.String(200), primary_key=True),
        sa.Column("expires_at", _TS, nullable=False),
    )
    op.add_column("shadow_agents", sa.Column("last_problem", sa.String(300), nullable=True))


def downgrade() -> None:
    op.drop_column("shadow_agents", "last_problem")
    op.drop_table("used_assertions")
    op.drop_index("ix_issued_tokens_parent_jti", "issued_tokens")
    op.drop_index("ix_issued_tokens_agent_id", "issued_tokens")
    op.drop_table("issued_tokens")
    op.drop_column("agents", "public_key")
    op.drop_index("ix_person_keys_person_id", "person_keys")
    op.drop_table("person_keys")
    op.drop_table("people")
