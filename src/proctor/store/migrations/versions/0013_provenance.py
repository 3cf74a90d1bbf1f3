"""Value provenance: per-task sessions, the sources values were seen in, and keyed
digests of the values (never the values themselves).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "provenance_sessions",
        sa.Column("task_id", sa.String(200), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("overflowed", sa.Boolean, nullable=False),
        sa.Column("dropped", sa.BigInteger, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index("ix_provenance_sessions_updated_at", "provenance_sessions", ["updated_at"])
    op.create_table(
        "provenance_sources",
        sa.Column("id", _ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.String(200), nullable=False),
        sa.Column("source_id", sa.String(200), nullable=False),
        sa.Column("trust", sa.String(16), nullable=False),
        sa.Column("tool", sa.String(200), nullable=True),
        sa.Column("resource", sa.Text, nullable=True),
        sa.Column("label", sa.String(100), nullable=True),
        sa.Column("recorded_at", _TS, nullable=False),
    )
    op.create_index("ix_provenance_sources_task", "provenance_sources", ["task_id", "id"])
    op.create_table(
        "provenance_values",
        sa.Column("id", _ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.String(200), nullable=False),
        sa.Column("digest", sa.LargeBinary(8), nullable=False),
        sa.Column("family", sa.SmallInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source_row", sa.BigInteger, nullable=False),
        sa.Column("lengths", sa.LargeBinary(16), nullable=True),
    )
    op.create_index("ix_provenance_values_task", "provenance_values", ["task_id", "id"])
    op.create_index("ix_provenance_values_digest", "provenance_values", ["task_id", "digest"])


def downgrade() -> None:
    op.drop_index("ix_provenance_values_digest", "provenance_values")
    op.drop_index("ix_provenance_values_task", "provenance_values")
    op.drop_table("provenance_values")
    op.drop_index("ix_provenance_sources_task", "provenance_sources")
    op.drop_table("provenance_sources")
    op.drop_index("ix_provenance_sessions_updated_at", "provenance_sessions")
    op.drop_table("provenance_sessions")
