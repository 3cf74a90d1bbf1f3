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
    # The agent's public JWK, for private_key_jwt assertions (workload path).
    sa.Column("public_key", sa.JSON, nullable=True),
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
    # The catalog (migration 0009): MCP hints, output trust, target and permission
    # arguments, and why calls are held for review.
    sa.Column("annotations", sa.JSON, nullable=False, server_default="{}"),
    sa.Column("untrusted_output", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("targets", sa.JSON, nullable=False, server_default="[]"),
    sa.Column("permission_arguments", sa.JSON, nullable=True),
    sa.Column("review", sa.Text, nullable=True),
    # Migration 0016: arguments policies may judge, by name and type.
    sa.Column("policy_arguments", sa.JSON, nullable=False, server_default="{}"),
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

shadow_agents = sa.Table(
    "shadow_agents",
    metadata,
    sa.Column("agent_id", sa.String(300), primary_key=True),
    sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Column("last_tool", sa.String(300), nullable=False),
    sa.Column("last_task", sa.String(300), nullable=False),
    sa.Column("last_client", sa.String(300), nullable=True),
    sa.Column("last_user_agent", sa.String(300), nullable=True),
    sa.Column("last_problem", sa.String(300), nullable=True),
)
