"""The SQLAlchemy Core backend, for PostgreSQL and any other engine but SQLite.

Reads select through a type-less view of the tables, so timestamps come back as
the driver gives them and :mod:`._verify` checks what is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from proctor.audit._backend import (
    CheckpointRow,
    EntryRow,
    HeadMoved,
    Prepare,
    Prepared,
    StoredRow,
    checkpoint_from_row,
)
from proctor.audit._chain import GENESIS_HASH, Checkpoint
from proctor.audit._tables import audit_checkpoints, audit_entries
from proctor.errors import StoreError
from proctor.store import Database

_raw_entries = sa.table(
    "audit_entries",
    sa.column("seq"),
    sa.column("ts"),
    sa.column("kind"),
    sa.column("body"),
    sa.column("prev_hash"),
    sa.column("hash"),
)
_raw_checkpoints = sa.table(
    "audit_checkpoints",
    sa.column("seq"),
    sa.column("hash"),
    sa.column("signed_at"),
    sa.column("key_id"),
    sa.column("signature"),
)
_ENTRY_COLUMNS = tuple(_raw_entries.c)
_LAST_ENTRY = (
    sa.select(_raw_entries.c.seq, _raw_entries.c.hash).order_by(_raw_entries.c.seq.desc()).limit(1)
)
# An arbitrary constant naming "the audit chain" among PostgreSQL advisory locks.
_CHAIN_LOCK = 0x70726F6374617564
_CHECKPOINT_COLUMNS = tuple(_raw_checkpoints.c)


class CoreBackend:
    """Audit storage through SQLAlchemy Core transactions."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def write(self, head: tuple[int, str], prepare: Prepare) -> Prepared:
        try:
            with self._database.begin_raw() as connection:
                if connection.dialect.name == "postgresql":
                    # Replicas sharing the database take turns; the lock ends with
                    # the transaction.
                    connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_CHAIN_LOCK)))
                prepared = prepare(_head(connection))
                _insert_rows(connection, prepared.rows)
                rows = [
                    {
                        "seq": entry.seq,
                        "ts": entry.ts,
                        "kind": entry.kind,
                        "body": entry.body_json,
                        "prev_hash": entry.prev_hash,
                        "hash": entry.hash,
                    }
                    for entry in prepared.entries
                ]
                if rows:
                    connection.execute(sa.insert(audit_entries), rows)
                checkpoint = prepared.checkpoint
                if checkpoint is not None:
                    connection.execute(
                        sa.insert(audit_checkpoints).values(
                            seq=checkpoint.seq,
                            hash=checkpoint.hash,
                            signed_at=checkpoint.signed_at,
                            key_id=checkpoint.key_id,
                            signature=checkpoint.signature,
                        )
                    )
        except sa.exc.IntegrityError as exc:
            raise HeadMoved(str(exc)) from exc
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"audit write failed: {exc}") from exc
        return prepared

    def _rows(self, statement: sa.Select[Any]) -> list[Any]:
        with self._database.connect() as connection:
            return [tuple(row) for row in connection.execute(statement)]

    def load_head(self) -> tuple[int, str]:
        with self._database.connect() as connection:
            return _head(connection)

    def last_checkpoint(self) -> Checkpoint | None:
        rows = self._rows(
            sa.select(*_CHECKPOINT_COLUMNS).order_by(_raw_checkpoints.c.seq.desc()).limit(1)
        )
        return checkpoint_from_row(rows[0]) if rows else None

    def entry_rows(
        self, after_seq: int, limit: int, kinds: Sequence[str] | None = None
    ) -> list[EntryRow]:
        statement = sa.select(*_ENTRY_COLUMNS).where(_raw_entries.c.seq > after_seq)
        if kinds is not None:
            statement = statement.where(_raw_entries.c.kind.in_(list(kinds)))
        return self._rows(statement.order_by(_raw_entries.c.seq).limit(limit))

    def latest_entry_rows(self, limit: int) -> list[EntryRow]:
        return self._rows(
            sa.select(*_ENTRY_COLUMNS).order_by(_raw_entries.c.seq.desc()).limit(limit)
        )

    def checkpoint_rows(self, after_seq: int, limit: int) -> list[CheckpointRow]:
        return self._rows(
            sa.select(*_CHECKPOINT_COLUMNS)
            .where(_raw_checkpoints.c.seq > after_seq)
            .order_by(_raw_checkpoints.c.seq)
            .limit(limit)
        )

    def count(self) -> int:
        rows = self._rows(sa.select(sa.func.count()).select_from(_raw_entries))
        return int(rows[0][0])

    def close(self) -> None:
        """Nothing to release: every call checks a connection out and back in."""


def _insert_rows(connection: sa.Connection, rows: Sequence[StoredRow]) -> None:
    for row in rows:
        try:
            connection.execute(sa.insert(row.table), [dict(row.values)])
        except sa.exc.SQLAlchemyError as exc:
            # Not a collision on the chain: the row itself was refused.
            raise StoreError(f"could not store a {row.table.name} row: {exc}") from exc


def _head(connection: sa.Connection) -> tuple[int, str]:
    row = connection.execute(_LAST_ENTRY).first()
    return (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))
