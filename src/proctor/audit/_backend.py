"""What the audit log needs from storage, and the rows storage hands back.

Two backends implement it: :mod:`._sqlite` talks to the SQLite driver directly
(the append path must cost tens of microseconds, and SQLAlchemy Core's
per-statement work alone is several times that), :mod:`._core` goes through
SQLAlchemy Core for every other database. Rows come back exactly as the driver
gives them, so that verification sees what is stored, not a cleaned-up version.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa

from proctor.audit._chain import AuditEntry, Checkpoint, format_ts, parse_ts
from proctor.errors import StoreError

#: (seq, ts, kind, body, prev_hash, hash) as stored.
EntryRow = tuple[Any, Any, Any, Any, Any, Any]
#: (seq, hash, signed_at, key_id, signature) as stored.
CheckpointRow = tuple[Any, Any, Any, Any, Any]


class HeadMoved(Exception):
    """A write collided with a row already stored: another writer extended the chain."""


@dataclass(frozen=True, slots=True)
class StoredRow:
    """A row of another table, stored in the same transaction as the entries that
    record it (an approval request and its ``approval.created`` entry, say): both are
    committed, or neither. Inserted as given: column defaults are not applied."""

    table: sa.Table
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Prepared:
    """What one transaction writes, built from the head it starts from."""

    head: tuple[int, str]
    entries: Sequence[AuditEntry] = ()
    ts_texts: Sequence[str] = ()
    checkpoint: Checkpoint | None = None
    #: Rows of other tables, inserted before the entries.
    rows: Sequence[StoredRow] = ()


#: Builds the rows of a transaction from the chain head it extends.
Prepare = Callable[[tuple[int, str]], Prepared]


class Backend(Protocol):
    """Storage for one audit chain. Every method raises :class:`StoreError` on failure."""

    def load_head(self) -> tuple[int, str]:
        """The last entry's (seq, hash), or (0, genesis hash) for an empty log."""
        ...

    def last_checkpoint(self) -> Checkpoint | None:
        """The checkpoint with the highest seq, if any."""
        ...

    def write(self, head: tuple[int, str], prepare: Prepare) -> Prepared:
        """Insert what ``prepare`` builds (its rows, then its entries and checkpoint),
        in one committed transaction, and return it. A row the store refuses raises
        :class:`StoreError`, never :class:`HeadMoved`.

        ``head`` is the head as this process last knew it. A backend that can hold
        a lock shared with other writers reads the real head inside the
        transaction and builds from that; otherwise it builds from ``head`` and
        raises :class:`HeadMoved` if the rows collide with ones already stored.
        ``ts_texts`` are the entries' timestamps as :func:`format_ts` wrote them
        into the hash.
        """
        ...

    def entry_rows(
        self, after_seq: int, limit: int, kinds: Sequence[str] | None = None
    ) -> list[EntryRow]:
        """Up to ``limit`` entries with seq > ``after_seq``, in seq order."""
        ...

    def latest_entry_rows(self, limit: int) -> list[EntryRow]:
        """The last ``limit`` entries, newest first."""
        ...

    def checkpoint_rows(self, after_seq: int, limit: int) -> list[CheckpointRow]:
        """Up to ``limit`` checkpoints with seq > ``after_seq``, in seq order."""
        ...

    def count(self) -> int:
        """How many entries are stored."""
        ...

    def close(self) -> None:
        """Release connections; the backend is not used afterwards."""
        ...


def sqlite_ts_text(moment_text: str) -> str:
    """The form SQLAlchemy stores an SQLite DATETIME in, from a :func:`format_ts` text.

    Keeping SQLAlchemy's own form lets other code read and compare the column
    through Core as usual.
    """
    return f"{moment_text[:10]} {moment_text[11:26]}"


def stored_ts_text(value: object) -> str | None:
    """The :func:`format_ts` text of a stored timestamp; ``None`` if it is malformed.

    SQLite gives back SQLAlchemy's text (``2025-01-31 09:15:02.000123``), other
    drivers a ``datetime``. Malformed text is passed through so that its hash
    no longer matches rather than being silently repaired.
    """
    if type(value) is str:
        if len(value) == 26 and value[10] == " ":
            return f"{value[:10]}T{value[11:]}Z"
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return format_ts(value)
    return None


def entry_from_row(row: EntryRow) -> AuditEntry:
    """An :class:`AuditEntry` from a stored row; :class:`StoreError` if it is malformed."""
    seq, ts, kind, body, prev_hash, hash_hex = row
    try:
        text = stored_ts_text(ts)
        if text is None:
            raise ValueError(f"{ts!r} is not a timestamp")
        return AuditEntry(int(seq), parse_ts(text), str(kind), str(body), prev_hash, hash_hex)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"audit entry {seq} is malformed: {exc}") from exc


def checkpoint_from_row(row: CheckpointRow) -> Checkpoint:
    """A :class:`Checkpoint` from a stored row; :class:`StoreError` if it is malformed."""
    seq, hash_hex, signed_at, key_id, signature = row
    try:
        text = stored_ts_text(signed_at)
        if text is None:
            raise ValueError(f"{signed_at!r} is not a timestamp")
        return Checkpoint(int(seq), str(hash_hex), parse_ts(text), str(key_id), str(signature))
    except (TypeError, ValueError) as exc:
        raise StoreError(f"audit checkpoint {seq} is malformed: {exc}") from exc
