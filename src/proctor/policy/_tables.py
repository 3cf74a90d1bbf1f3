"""The table behind :class:`proctor.policy.PolicyStore`."""

import sqlalchemy as sa

from proctor.store import metadata

policies = sa.Table(
    "policies",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
)
