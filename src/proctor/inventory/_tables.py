import sqlalchemy as sa

from proctor.store import metadata

agents = sa.Table(
    "agents",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Column("purpose", sa.Text, nullable=False, default=""),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("groups", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

tools = sa.Table(
    "tools",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("action_class", sa.String(40), nullable=False),
    sa.Column("label", sa.String(20), nullable=False),
    sa.Column("audience", sa.String(20), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

resources = sa.Table(
    "resources",
    metadata,
    sa.Column("id", sa.String(300), primary_key=True),
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Column("label", sa.String(20), nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
