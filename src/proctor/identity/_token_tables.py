"""Tables behind agent credentials: signing keys and revocations (migration 0004),
the ledger of issued tokens and used client assertions (migration 0007)."""

import sqlalchemy as sa

from proctor.store import metadata

_TS = sa.DateTime(timezone=True)

signing_keys = sa.Table(
    "signing_keys",
    metadata,
    sa.Column("kid", sa.String(64), primary_key=True),
    sa.Column("public_key", sa.LargeBinary(32), nullable=False),
    sa.Column("private_key_pem", sa.Text, nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    # True for the one key that signs; NULL otherwise. Unique, so two processes
    # racing to create or rotate cannot both win (NULLs never collide).
    sa.Column("is_current", sa.Boolean, nullable=True, unique=True),
    sa.Column("retired_at", _TS, nullable=True),
    sa.Column("not_after", _TS, nullable=True),
)

token_revocations = sa.Table(
    "token_revocations",
    metadata,
    sa.Column("jti", sa.String(64), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("revoked_at", _TS, nullable=False),
    sa.Column("expires_at", _TS, nullable=True),
)

agent_token_revocations = sa.Table(
    "agent_token_revocations",
    metadata,
    sa.Column("agent_id", sa.String(200), primary_key=True),
    sa.Column("revoked_before", _TS, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
)

issued_tokens = sa.Table(
    "issued_tokens",
    metadata,
    sa.Column("jti", sa.String(64), primary_key=True),
    sa.Column("agent_id", sa.String(200), nullable=False, index=True),
    sa.Column("task_id", sa.String(200), nullable=False),
    sa.Column("requester", sa.String(200), nullable=False),
    sa.Column("parent_jti", sa.String(64), nullable=True, index=True),
    sa.Column("depth", sa.Integer, nullable=False),
    sa.Column("capabilities", sa.JSON, nullable=False),
    sa.Column("issued_by", sa.String(200), nullable=False),
    sa.Column("issued_at", _TS, nullable=False),
    sa.Column("expires_at", _TS, nullable=False),
    sa.Column("last_used_at", _TS, nullable=True),
)

used_assertions = sa.Table(
    "used_assertions",
    metadata,
    sa.Column("agent_id", sa.String(200), primary_key=True),
    sa.Column("jti", sa.String(200), primary_key=True),
    sa.Column("expires_at", _TS, nullable=False),
)
