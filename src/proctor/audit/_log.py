"""The audit log: the one class the rest of Proctor records decisions through."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from proctor.audit._backend import Backend, StoredRow, entry_from_row
from proctor.audit._canonical import canonical_json
from proctor.audit._chain import AuditEntry, Checkpoint, json_string
from proctor.audit._core import CoreBackend
from proctor.audit._signer import CheckpointSigner
from proctor.audit._sqlite import SqliteBackend
from proctor.audit._tables import KIND_MAX
from proctor.audit._verify import VerifyReport, verify_chain
from proctor.audit._writer import AuditStats, ChainWriter
from proctor.errors import InvalidInput
from proctor.store import Database, Durability

_READ_BATCH = 1000
_KIND_CACHE_LIMIT = 256


def open_backend(database: Database) -> Backend:
    """The storage path for ``database``: the SQLite driver directly, else Core."""
    return SqliteBackend(database.engine) if database.is_sqlite else CoreBackend(database)


def verify_log(
    database: Database,
    public_keys: Mapping[str, Ed25519PublicKey],
    *,
    anchor_path: Path | None = None,
) -> VerifyReport:
    """Verify the audit log in ``database`` without a signing key (auditors, the CLI)."""
    backend = open_backend(database)
    try:
        return verify_chain(backend, public_keys, anchor_path)
    finally:
        backend.close()


class AuditLog:
    """The tamper-evident record of every decision.

    Each entry's hash covers the previous entry's hash, so the entries form a
    chain. Every ``checkpoint_every`` entries or ``checkpoint_interval_s`` seconds
    (checked on append) and on :meth:`close`, the head of the chain is signed and
    stored, and copied to ``anchor_path`` if given. :meth:`append` returns only
    once its entry is committed. One instance serves all threads of a process.
    """

    def __init__(
        self,
        database: Database,
        signer: CheckpointSigner,
        *,
        checkpoint_every: int = 1000,
        checkpoint_interval_s: float = 1.0,
        anchor_path: Path | None = None,
    ) -> None:
        if checkpoint_every < 1:
            raise InvalidInput("checkpoint_every must be at least 1")
        if not checkpoint_interval_s > 0:
            raise InvalidInput("checkpoint_interval_s must be positive")
        self._signer = signer
        self._anchor_path = anchor_path
        self._backend = open_backend(database)
        self._writer = ChainWriter(
            self._backend,
            signer,
            checkpoint_every=checkpoint_every,
            checkpoint_interval_s=checkpoint_interval_s,
            anchor_path=anchor_path,
            anchor_fsync=database.durability is Durability.POWER,
        )
        self._kind_json: dict[str, str] = {}

    def append(self, kind: str, body: Mapping[str, Any]) -> AuditEntry:
        """Record one event and return its entry, committed.

        Raises :class:`InvalidInput` for a bad kind or a body that is not JSON,
        and :class:`StoreError` if the entry could not be committed.
        """
        if not isinstance(body, Mapping):
            raise InvalidInput(f"an audit body is a mapping, not {type(body).__name__}")
        body_json = canonical_json(body if type(body) is dict else dict(body))
        return self._writer.append(kind, self._kind_text(kind), body_json)

    def append_all(
        self, items: Sequence[tuple[str, Mapping[str, Any]]], *, rows: Sequence[StoredRow] = ()
    ) -> list[AuditEntry]:
        """Record consecutive events, and store ``rows`` of other tables, in one
        transaction: every entry and row is committed, or none is (:class:`StoreError`).

        For a record that must exist exactly when its audit entries do (an approval
        request and the entries that open it). Rows are inserted as given (no column
        defaults); a row the store refuses fails the whole transaction, and with it
        the entries of other appenders that group commit put in the same one.
        """
        prepared = []
        for kind, body in items:
            if not isinstance(body, Mapping):
                raise InvalidInput(f"an audit body is a mapping, not {type(body).__name__}")
            body_json = canonical_json(body if type(body) is dict else dict(body))
            prepared.append((kind, self._kind_text(kind), body_json))
        if not prepared:
            raise InvalidInput("append_all needs at least one entry")
        return self._writer.append_all(prepared, rows)

    def _kind_text(self, kind: str) -> str:
        cached = self._kind_json.get(kind)
        if cached is not None:
            return cached
        if not isinstance(kind, str) or not 0 < len(kind) <= KIND_MAX:
            raise InvalidInput(f"an audit kind is a string of 1 to {KIND_MAX} characters")
        if len(self._kind_json) >= _KIND_CACHE_LIMIT:
            self._kind_json.clear()
        text = self._kind_json[kind] = json_string(str(kind))
        return text

    def checkpoint(self) -> Checkpoint | None:
        """Sign the head now, unless the latest checkpoint already covers it.

        Returns the checkpoint covering the head, ``None`` for an empty log.
        """
        return self._writer.checkpoint()

    def close(self) -> None:
        """Sign a last checkpoint over the head and release the store connection."""
        self._writer.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def stats(self) -> AuditStats:
        """Entries, transactions and checkpoints written by this instance."""
        return self._writer.stats

    def head(self) -> tuple[int, str]:
        """The last entry's (seq, hash) as this process knows it; (0, 64 zeros) if empty."""
        return self._writer.head

    def count(self) -> int:
        """How many entries the store holds."""
        return self._backend.count()

    def tail(self, n: int) -> list[AuditEntry]:
        """The last ``n`` entries, oldest first."""
        if n <= 0:
            return []
        return [entry_from_row(row) for row in reversed(self._backend.latest_entry_rows(n))]

    def iter_entries(
        self,
        after_seq: int = 0,
        kinds: Collection[str] | None = None,
        limit: int | None = None,
    ) -> Iterator[AuditEntry]:
        """Entries after ``after_seq`` in seq order, read in batches.

        Only entries of ``kinds`` if given (an empty collection matches nothing);
        at most ``limit`` entries if given.
        """
        wanted = None if kinds is None else tuple(sorted({str(kind) for kind in kinds}))
        remaining = limit
        while wanted != () and (remaining is None or remaining > 0):
            size = _READ_BATCH if remaining is None else min(_READ_BATCH, remaining)
            rows = self._backend.entry_rows(after_seq, size, wanted)
            for row in rows:
                yield entry_from_row(row)
            if len(rows) < size:
                return
            after_seq = int(rows[-1][0])
            if remaining is not None:
                remaining -= len(rows)

    def export_jsonl(self, stream: TextIO, after_seq: int = 0) -> int:
        """Write the entries after ``after_seq`` to ``stream`` as JSON lines.

        Each line is one canonical JSON object with ``seq``, ``ts``, ``kind``,
        ``body``, ``prev_hash`` and ``hash``. Returns how many lines were written.
        Exporting does not verify: run :meth:`verify` (or check the export).
        """
        written = 0
        for entry in self.iter_entries(after_seq):
            stream.write(entry.to_json() + "\n")
            written += 1
        return written

    def verify(self, public_keys: Mapping[str, Ed25519PublicKey] | None = None) -> VerifyReport:
        """Replay the whole chain and check it against every checkpoint and the anchor.

        ``public_keys`` (``{key_id: key}``) defaults to this log's own signer; after
        a key rotation, pass every key that ever signed checkpoints.
        """
        keys = self._signer.public_keys() if public_keys is None else public_keys
        return verify_chain(self._backend, keys, self._anchor_path)
