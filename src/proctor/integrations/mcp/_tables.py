import sqlalchemy as sa

from proctor.store import metadata

#: One row per (upstream server, tool): the definition an admin accepted (or the
#: proxy saw first) and its pin, and a changed definition waiting for an admin.
mcp_tool_pins = sa.Table(
    "mcp_tool_pins",
    metadata,
    sa.Column("server", sa.String(64), primary_key=True),
    sa.Column("tool", sa.String(200), primary_key=True),
    sa.Column("inventory_name", sa.String(200), nullable=False),
    sa.Column("pin", sa.String(64), nullable=False),
    sa.Column("definition", sa.JSON, nullable=False),
    # Whether the proxy put the inventory entry there (else an admin had registered it).
    sa.Column("registered", sa.Boolean, nullable=False),
    sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
    sa.Column("accepted_by", sa.String(200), nullable=False),
    sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("changed_pin", sa.String(64), nullable=True),
    sa.Column("changed_definition", sa.JSON, nullable=True),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
)
