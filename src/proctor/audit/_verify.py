"""Verification: replay the chain from entry 1 and hold it against every checkpoint.

Entries are read in batches by key (``seq > last``), so memory stays flat however
long the log is and no read holds a transaction open for the whole walk. The
checkpoints from the table and from the anchor file are merged by seq and
checked when the walk reaches their entry; those beyond the last entry are
evidence of truncation.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from proctor.audit._anchor import AnchorFormatError, read_checkpoints
from proctor.audit._backend import Backend, checkpoint_from_row, stored_ts_text
from proctor.audit._chain import GENESIS_HASH, Checkpoint, entry_hash, json_string
from proctor.audit._signer import signature_is_valid
from proctor.errors import StoreError

_ENTRY_BATCH = 5000
_CHECKPOINT_BATCH = 1000
_KIND_CACHE_LIMIT = 1024


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of :meth:`AuditLog.verify`.

    ``entries`` and ``checkpoints`` count what was checked and found sound (up to
    the first problem); ``first_bad_seq`` is the earliest entry that cannot be
    trusted and ``problem`` says why, in a sentence.
    """

    ok: bool
    entries: int
    checkpoints: int
    first_bad_seq: int | None = None
    problem: str | None = None

    def __str__(self) -> str:
        if self.ok:
            return f"ok: {self.entries} entries, {self.checkpoints} checkpoints verified"
        return f"FAILED: {self.problem}"


class _Tampered(Exception):
    def __init__(self, first_bad_seq: int | None, problem: str) -> None:
        super().__init__(problem)
        self.first_bad_seq = first_bad_seq
        self.problem = problem


@dataclass(frozen=True)
class _Sourced:
    seq: int
    source: str
    checkpoint: Checkpoint


def verify_chain(
    backend: Backend, public_keys: Mapping[str, Ed25519PublicKey], anchor_path: Path | None
) -> VerifyReport:
    """Check the chain stored behind ``backend``; see :class:`VerifyReport`."""
    verifier = _Verifier(backend, public_keys, anchor_path)
    try:
        verifier.run()
    except _Tampered as tampered:
        return VerifyReport(
            False, verifier.entries, verifier.checkpoints, tampered.first_bad_seq, tampered.problem
        )
    except AnchorFormatError as exc:
        return VerifyReport(False, verifier.entries, verifier.checkpoints, None, str(exc))
    return VerifyReport(True, verifier.entries, verifier.checkpoints)


class _Verifier:
    def __init__(
        self,
        backend: Backend,
        public_keys: Mapping[str, Ed25519PublicKey],
        anchor_path: Path | None,
    ) -> None:
        self._backend = backend
        self._keys = public_keys
        self._anchor_path = anchor_path
        self.entries = 0
        self.checkpoints = 0
        self._last_good_checkpoint = 0
        self._previous: _Sourced | None = None

    def run(self) -> None:
        pending = self._checkpoints()
        upcoming = next(pending, None)
        kind_json: dict[str, str] = {}
        expected, chain = 1, GENESIS_HASH
        # The walk stops at the head as it stood when verification began, so a
        # writer appending faster than we verify cannot keep us walking forever.
        end = self._backend.load_head()[0]
        while expected <= end:
            rows = self._backend.entry_rows(expected - 1, min(_ENTRY_BATCH, end - expected + 1))
            if not rows:
                break
            for seq, ts, kind, body, prev_hash, stored_hash in rows:
                if seq > end:
                    break
                if seq != expected:
                    raise _Tampered(expected, _gap(expected, seq))
                if prev_hash != chain:
                    raise _Tampered(seq, _broken_link(seq))
                try:
                    kind_text = kind_json.get(kind)
                    if kind_text is None:
                        if len(kind_json) >= _KIND_CACHE_LIMIT:
                            kind_json.clear()
                        kind_text = kind_json[kind] = json_string(kind)
                    ts_text = stored_ts_text(ts)
                    if ts_text is None or type(body) is not str:
                        raise TypeError("timestamp or body is not text")
                    digest = entry_hash(prev_hash, seq, ts_text, kind_text, body)
                except (TypeError, ValueError) as exc:
                    raise _Tampered(seq, f"entry {seq} is malformed (edited?): {exc}") from exc
                if digest != stored_hash:
                    raise _Tampered(seq, f"entry {seq}: hash does not match its content (edited?)")
                chain = stored_hash
                expected = seq + 1
                self.entries = seq
                while upcoming is not None and upcoming.seq == seq:
                    self._check(upcoming, chain)
                    upcoming = next(pending, None)
        if upcoming is None:
            return
        # A checkpoint past the last entry walked: fine if the log has grown to
        # cover it since we began, evidence of truncation if it has not.
        if self._backend.load_head()[0] < upcoming.seq:
            self._check_beyond_end(upcoming, expected - 1)

    def _check(self, sourced: _Sourced, chain_hash: str) -> None:
        checkpoint = sourced.checkpoint
        if self._previous is not None and self._previous.checkpoint == checkpoint:
            return
        self._check_signature(sourced)
        if checkpoint.hash != chain_hash:
            start = self._last_good_checkpoint + 1
            raise _Tampered(
                start,
                f"checkpoint at entry {checkpoint.seq} ({sourced.source}) does not match the "
                f"chain's hash there: entries {start}-{checkpoint.seq} were rewritten and "
                "re-hashed",
            )
        self._last_good_checkpoint = checkpoint.seq
        self._previous = sourced
        self.checkpoints += 1

    def _check_signature(self, sourced: _Sourced) -> None:
        checkpoint = sourced.checkpoint
        where = f"checkpoint at entry {checkpoint.seq} ({sourced.source})"
        valid = signature_is_valid(
            self._keys, checkpoint.key_id, checkpoint.signature, checkpoint.statement()
        )
        if valid is None:
            raise _Tampered(
                checkpoint.seq, f"{where} is signed by key {checkpoint.key_id}, which is not known"
            )
        if not valid:
            raise _Tampered(checkpoint.seq, f"{where}: signature does not verify (forged?)")

    def _check_beyond_end(self, sourced: _Sourced, last_seq: int) -> None:
        self._check_signature(sourced)
        checkpoint = sourced.checkpoint
        raise _Tampered(
            last_seq + 1,
            f"the log ends at entry {last_seq} but a checkpoint in the {sourced.source} "
            f"covers entry {checkpoint.seq}: entries {last_seq + 1}-{checkpoint.seq} were "
            "removed (truncated?)",
        )

    def _checkpoints(self) -> Iterator[_Sourced]:
        """Checkpoints from the table and the anchor file, merged in seq order."""
        streams = [self._stored_checkpoints()]
        if self._anchor_path is not None:
            streams.append(self._anchored_checkpoints(self._anchor_path))
        return heapq.merge(*streams, key=lambda sourced: sourced.seq)

    def _stored_checkpoints(self) -> Iterator[_Sourced]:
        after = 0
        while rows := self._backend.checkpoint_rows(after, _CHECKPOINT_BATCH):
            for row in rows:
                try:
                    checkpoint = checkpoint_from_row(row)
                except StoreError as exc:
                    raise _Tampered(_as_seq(row[0]), f"{exc} (edited?)") from exc
                if checkpoint.seq < 1:
                    raise _Tampered(None, f"checkpoint table holds an invalid seq {row[0]!r}")
                after = checkpoint.seq
                yield _Sourced(checkpoint.seq, "checkpoint table", checkpoint)

    @staticmethod
    def _anchored_checkpoints(path: Path) -> Iterator[_Sourced]:
        previous = 0
        for number, checkpoint in enumerate(read_checkpoints(path), start=1):
            if checkpoint.seq < previous:
                raise AnchorFormatError(
                    number, f"seq {checkpoint.seq} comes after {previous} (lines out of order)"
                )
            previous = checkpoint.seq
            yield _Sourced(checkpoint.seq, "anchor file", checkpoint)


def _as_seq(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _gap(expected: int, found: object) -> str:
    if isinstance(found, int) and found > expected:
        last_missing = found - 1
        missing = (
            f"entry {expected}" if found == expected + 1 else f"entries {expected}-{last_missing}"
        )
        return f"{missing} missing: the log jumps from entry {expected - 1} to {found} (deleted?)"
    return f"entry {expected} expected but found seq {found!r} (inserted or renumbered?)"


def _broken_link(seq: int) -> str:
    if seq == 1:
        return "entry 1 does not start from the genesis hash (replaced or inserted?)"
    return (
        f"entry {seq} does not follow entry {seq - 1}: its prev_hash is not entry "
        f"{seq - 1}'s hash (entries reordered, inserted or rewritten?)"
    )
