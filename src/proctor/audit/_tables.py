"""The audit tables: the hash chain and the signed checkpoints over it."""

from __future__ import annotations

import sqlalchemy as sa

from proctor.store import metadata

#: ``INTEGER PRIMARY KEY`` on SQLite makes ``seq`` the rowid: inserts in order are
#: appends to the B-tree and no second index is kept. BIGINT everywhere else.
SEQ_TYPE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

#: The longest event kind an entry may carry.
KIND_MAX = 64

audit_entries = sa.Table(
    "audit_entries",
    metadata,
    sa.Column("seq", SEQ_TYPE, primary_key=True, autoincrement=False),
    sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
    sa.Column("kind", sa.String(KIND_MAX), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

audit_checkpoints = sa.Table(
    "audit_checkpoints",
    metadata,
    sa.Column("seq", SEQ_TYPE, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("key_id", sa.String(64), nullable=False),
    sa.Column("signature", sa.String(128), nullable=False),
)
