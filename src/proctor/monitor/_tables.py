import sqlalchemy as sa

from proctor.store import metadata

kill_switch = sa.Table(
    "kill_switch",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("engaged", sa.Boolean, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
)
