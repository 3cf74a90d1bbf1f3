"""Tables behind people and their personal API keys (migration 0007)."""

import sqlalchemy as sa

from proctor.store import metadata

_TS = sa.DateTime(timezone=True)

people = sa.Table(
    "people",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("roles", sa.JSON, nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("disabled_at", _TS, nullable=True),
    # The directory (migration 0010): how to reach them, and the highest label of data
    # they may see themselves (their groups may raise it).
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("clearance", sa.String(20), nullable=False, server_default="internal"),
)

person_keys = sa.Table(
    "person_keys",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("person_id", sa.String(200), sa.ForeignKey("people.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("key_hash", sa.String(128), nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("last_used_at", _TS, nullable=True),
    sa.Column("revoked_at", _TS, nullable=True),
)
