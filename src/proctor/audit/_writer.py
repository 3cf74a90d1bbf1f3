"""Appending to the chain: group commit, and signing checkpoints as it grows.

An appender queues its entry. If no one is writing, it becomes the leader: it
takes every queued entry, writes them in one transaction, commits, hands each
appender its entry and wakes them all. Appenders that arrive while a leader
writes wait; when it is done, those whose entries it carried return, and one of
the rest leads the next batch. A lone appender leads itself and commits inline,
with no hand-off to another thread. Bodies are canonicalized before queueing,
so the leader does only the hashing and the write.

Followers wait on a condition, not on the write itself: waiting on a lock would
make them file through it one by one after each commit while the queue stays
short, and batches would rarely form.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from proctor.audit._anchor import append_checkpoint
from proctor.audit._backend import Backend, HeadMoved, Prepare, Prepared, StoredRow
from proctor.audit._chain import AuditEntry, Checkpoint, checkpoint_statement, entry_hash, format_ts
from proctor.audit._signer import CheckpointSigner
from proctor.errors import ProctorError, StoreError

_log = logging.getLogger("proctor.audit")

# A collision with another writer costs one reload; after that the backend reads
# the head under its lock, so needing more than a few attempts means a fault.
_WRITE_ATTEMPTS = 4


@dataclass(frozen=True)
class AuditStats:
    """What one :class:`AuditLog` has written since it was opened.

    ``commits`` below ``entries`` is group commit at work: one transaction
    carried the entries of several concurrent appenders.
    """

    entries: int
    commits: int
    checkpoints: int


@dataclass(eq=False, slots=True)
class _Pending:
    """One appender's entries (kind, kind JSON, body JSON) and the rows stored with them."""

    items: tuple[tuple[str, str, str], ...]
    rows: tuple[StoredRow, ...] = ()
    entries: list[AuditEntry] | None = None
    error: ProctorError | None = None

    @property
    def settled(self) -> bool:
        return self.entries is not None or self.error is not None


class ChainWriter:
    """The one writer of a process: owns the in-memory chain head and whose turn it is."""

    def __init__(
        self,
        backend: Backend,
        signer: CheckpointSigner,
        *,
        checkpoint_every: int,
        checkpoint_interval_s: float,
        anchor_path: Path | None,
        anchor_fsync: bool,
    ) -> None:
        self._backend = backend
        self._signer = signer
        self._every = checkpoint_every
        self._interval = checkpoint_interval_s
        self._anchor_path = anchor_path
        self._anchor_fsync = anchor_fsync
        self._turn = threading.Condition(threading.Lock())
        self._leading = False
        self._queue: list[_Pending] = []
        self._closed = False
        self._anchor_error: OSError | None = None
        self._entries_written = self._commits = self._checkpoints_written = 0
        self._load()

    def _load(self) -> None:
        # Checkpoint first: one is committed with or after its entry, so a head
        # read afterwards is never behind it unless entries were removed.
        self._last_checkpoint = self._backend.last_checkpoint()
        self.head = self._backend.load_head()
        self._checkpoint_clock = time.monotonic()
        self._fault: str | None = None
        last = self._last_checkpoint
        if last is not None and last.seq > self.head[0]:
            # Appending would reuse sequence numbers a signed checkpoint vouches for.
            self._fault = (
                f"the audit log ends at entry {self.head[0]} but a checkpoint covers entry "
                f"{last.seq}: it has been truncated; appends are refused until it is examined"
            )

    def _position(self) -> tuple[tuple[int, str], int]:
        """The head and the last signed seq: a collision must have moved one of them."""
        last = self._last_checkpoint
        return self.head, 0 if last is None else last.seq

    @property
    def stats(self) -> AuditStats:
        """Counts since this writer was created."""
        return AuditStats(self._entries_written, self._commits, self._checkpoints_written)

    def append(self, kind: str, kind_json: str, body_json: str) -> AuditEntry:
        """Commit one entry (alone or in a leader's batch); :class:`StoreError` if not."""
        return self.append_all(((kind, kind_json, body_json),))[0]

    def append_all(
        self, items: Sequence[tuple[str, str, str]], rows: Sequence[StoredRow] = ()
    ) -> list[AuditEntry]:
        """Commit consecutive entries and ``rows`` in one transaction (in a leader's
        batch or alone): all of them, or none and :class:`StoreError`."""
        pending = _Pending(tuple(items), tuple(rows))
        with self._turn:
            self._queue.append(pending)
            while self._leading and not pending.settled:
                self._turn.wait()
            if pending.settled:
                batch = None
            else:
                self._leading = True
                batch, self._queue = self._queue, []
        if batch is not None:
            try:
                self._lead(batch)
            finally:
                self._hand_over()
        if pending.entries is None:
            raise pending.error or StoreError("the audit entry was not written")
        return pending.entries

    def _hand_over(self) -> None:
        with self._turn:
            self._leading = False
            self._turn.notify_all()

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Lead without entries (checkpoint, close): wait for the current leader."""
        with self._turn:
            while self._leading:
                self._turn.wait()
            self._leading = True
        try:
            yield
        finally:
            self._hand_over()

    def _lead(self, batch: list[_Pending]) -> None:
        """Write ``batch`` in one transaction and settle every entry in it."""
        settled = False
        try:
            prepared = self._write(partial(self._prepare_entries, batch))
            entries = iter(prepared.entries)
            for pending in batch:
                pending.entries = [next(entries) for _ in pending.items]
            settled = True
        except ProctorError as exc:
            for pending in batch:
                pending.error = exc
            settled = True
        finally:
            if not settled:
                interrupted = StoreError("the audit write was interrupted")
                for pending in batch:
                    pending.error = interrupted

    def _write(self, prepare: Prepare) -> Prepared:
        if self._closed:
            raise StoreError("the audit log is closed")
        for _attempt in range(_WRITE_ATTEMPTS):
            if self._fault is not None:
                raise StoreError(self._fault)
            try:
                prepared = self._backend.write(self.head, prepare)
            except HeadMoved as collision:
                before = self._position()
                self._load()
                if self._position() == before:
                    raise StoreError(
                        f"the store refused the audit write: {collision}"
                    ) from collision
                continue
            self.head = prepared.head
            if prepared.entries:
                self._entries_written += len(prepared.entries)
                self._commits += 1
            if prepared.checkpoint is not None:
                self._checkpoint_stored(prepared.checkpoint)
            return prepared
        raise StoreError("other writers kept extending the audit chain; nothing was written")

    def _prepare_entries(self, batch: list[_Pending], head: tuple[int, str]) -> Prepared:
        now = datetime.now(UTC)
        ts = format_ts(now)
        seq, digest = head
        entries = []
        for kind, kind_json, body_json in (item for pending in batch for item in pending.items):
            seq += 1
            prev, digest = digest, entry_hash(digest, seq, ts, kind_json, body_json)
            entries.append(AuditEntry(seq, now, kind, body_json, prev, digest))
        last_signed = 0 if self._last_checkpoint is None else self._last_checkpoint.seq
        due = seq - last_signed >= self._every or (
            time.monotonic() - self._checkpoint_clock >= self._interval
        )
        checkpoint = self._sign(seq, digest, now) if due else None
        rows = [row for pending in batch for row in pending.rows]
        return Prepared((seq, digest), entries, [ts] * len(entries), checkpoint, rows)

    def _prepare_checkpoint(self, head: tuple[int, str]) -> Prepared:
        last = self._last_checkpoint
        if head[0] == 0 or (last is not None and last.seq >= head[0]):
            return Prepared(head)
        return Prepared(head, checkpoint=self._sign(*head, datetime.now(UTC)))

    def _sign(self, seq: int, digest: str, now: datetime) -> Checkpoint:
        signature = self._signer.sign(checkpoint_statement(seq, digest, format_ts(now)))
        return Checkpoint(seq, digest, now, self._signer.key_id, signature.hex())

    def _checkpoint_stored(self, checkpoint: Checkpoint) -> None:
        self._last_checkpoint = checkpoint
        self._checkpoint_clock = time.monotonic()
        self._checkpoints_written += 1
        self._anchor_error = None
        if self._anchor_path is None:
            return
        try:
            append_checkpoint(self._anchor_path, checkpoint, fsync=self._anchor_fsync)
        except OSError as exc:
            # The entries are committed: failing the append now would invite a
            # retry that records the decision twice. A lagging anchor only weakens
            # truncation detection, so say so loudly and go on.
            _log.error("could not write the audit anchor file %s: %s", self._anchor_path, exc)
            self._anchor_error = exc

    def checkpoint(self) -> Checkpoint | None:
        """Sign the head unless already signed; the covering checkpoint, or ``None``."""
        with self._exclusive():
            prepared = self._write(self._prepare_checkpoint)
            if prepared.checkpoint is not None and self._anchor_error is not None:
                raise StoreError(
                    f"checkpoint {prepared.checkpoint.seq} is stored but could not be written "
                    f"to the anchor file: {self._anchor_error}"
                )
            return self._last_checkpoint if self.head[0] else None

    def close(self) -> None:
        """Sign the head, then refuse further writes and release the backend."""
        with self._exclusive():
            if self._closed:
                return
            try:
                if self._fault is None:
                    self._write(self._prepare_checkpoint)
            finally:
                self._closed = True
                self._backend.close()
