"""The anchor file: checkpoints copied outside the database, one JSON line each.

Whoever can rewrite the database can also empty the checkpoint table; a copy of
each checkpoint kept elsewhere (another disk, an append-only file, a log shipper)
still says how long the chain was and what its hash was at that point.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from proctor.audit._chain import Checkpoint, parse_ts


class AnchorFormatError(Exception):
    """A line of the anchor file that is not a checkpoint record."""

    def __init__(self, line_number: int, reason: str) -> None:
        super().__init__(f"anchor file line {line_number}: {reason}")
        self.line_number = line_number


def append_checkpoint(path: Path, checkpoint: Checkpoint, *, fsync: bool) -> None:
    """Append ``checkpoint`` as one line, in a single ``write`` to an ``O_APPEND`` file.

    The file is opened for each checkpoint rather than held, so a rotated or
    replaced anchor file is written where its path now points.
    """
    line = (checkpoint.to_json() + "\n").encode()
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        written = os.write(descriptor, line)
        if written != len(line):
            raise OSError(f"short write to {path}: {written} of {len(line)} bytes")
        if fsync:
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_checkpoints(path: Path) -> Iterator[Checkpoint]:
    """The checkpoints in ``path`` in file order; none if the file does not exist.

    A last line without its newline is a write cut short by a crash and is
    skipped; any other line that is not a checkpoint raises :class:`AnchorFormatError`.
    """
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed in the finally below
    except FileNotFoundError:
        return
    try:
        for number, line in enumerate(handle, start=1):
            if not line.endswith(b"\n"):
                return
            yield _parse_line(number, line)
    finally:
        handle.close()


def _parse_line(number: int, line: bytes) -> Checkpoint:
    try:
        record = json.loads(line)
    except ValueError as exc:
        raise AnchorFormatError(number, f"not JSON ({exc})") from exc
    if not isinstance(record, dict):
        raise AnchorFormatError(number, "not a JSON object")
    try:
        seq, hash_hex, signed_at, key_id, signature = (
            record["seq"],
            record["hash"],
            record["signed_at"],
            record["key_id"],
            record["signature"],
        )
    except KeyError as exc:
        raise AnchorFormatError(number, f"missing field {exc}") from exc
    if type(seq) is not int or seq < 1:
        raise AnchorFormatError(number, f"seq {seq!r} is not a positive integer")
    if not all(isinstance(value, str) for value in (hash_hex, signed_at, key_id, signature)):
        raise AnchorFormatError(number, "hash, signed_at, key_id and signature must be strings")
    try:
        moment = parse_ts(signed_at)
    except ValueError as exc:
        raise AnchorFormatError(number, f"signed_at {signed_at!r} is not a timestamp") from exc
    return Checkpoint(seq, hash_hex, moment, key_id, signature)
