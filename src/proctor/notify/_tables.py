"""Tables behind notifications (migration 0008)."""

import sqlalchemy as sa

from proctor.store import metadata

notification_deliveries = sa.Table(
    "notification_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("delivery_id", sa.String(40), nullable=False, index=True),
    sa.Column("subject", sa.String(80), nullable=False, index=True),
    sa.Column("event", sa.String(40), nullable=False),
    sa.Column("target", sa.String(500), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("delivered", sa.Boolean, nullable=False),
)
