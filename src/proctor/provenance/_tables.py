"""Provenance tables: sessions, the sources values were seen in, and value digests.

No column holds a recorded value: ``provenance_values.digest`` is a keyed 8-byte
digest (see ``_key.py``).
"""

import sqlalchemy as sa

from proctor.store import metadata

_TS = sa.DateTime(timezone=True)
LENGTHS_BYTES = 16
# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid).
_ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

provenance_sessions = sa.Table(
    "provenance_sessions",
    metadata,
    sa.Column("task_id", sa.String(200), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("overflowed", sa.Boolean, nullable=False),
    sa.Column("dropped", sa.BigInteger, nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("updated_at", _TS, nullable=False, index=True),
)

provenance_sources = sa.Table(
    "provenance_sources",
    metadata,
    sa.Column("id", _ROW_ID, primary_key=True, autoincrement=True),
    sa.Column("task_id", sa.String(200), nullable=False),
    sa.Column("source_id", sa.String(200), nullable=False),
    sa.Column("trust", sa.String(16), nullable=False),
    sa.Column("tool", sa.String(200), nullable=True),
    sa.Column("resource", sa.Text, nullable=True),
    sa.Column("label", sa.String(100), nullable=True),
    sa.Column("recorded_at", _TS, nullable=False),
    sa.Index("ix_provenance_sources_task", "task_id", "id"),
)

provenance_values = sa.Table(
    "provenance_values",
    metadata,
    sa.Column("id", _ROW_ID, primary_key=True, autoincrement=True),
    sa.Column("task_id", sa.String(200), nullable=False),
    sa.Column("digest", sa.LargeBinary(8), nullable=False),
    sa.Column("family", sa.SmallInteger, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("source_row", sa.BigInteger, nullable=False),
    # For piece starts only: the lengths of the pieces that begin with it, as a bit
    # mask (bit n - 3 for length n); reassembly tries only those.
    sa.Column("lengths", sa.LargeBinary(LENGTHS_BYTES), nullable=True),
    sa.Index("ix_provenance_values_task", "task_id", "id"),
    sa.Index("ix_provenance_values_digest", "task_id", "digest"),
)
