"""The chain's values and the exact bytes that are hashed and signed.

``docs/audit.md`` states the same construction for people who verify an export
with other tools; change one, change the other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any

#: The ``prev_hash`` of entry 1.
GENESIS_HASH = "0" * 64

#: Domain separation: a checkpoint signature can never be mistaken for another
#: Proctor signature over JSON that happens to have the same fields.
CHECKPOINT_TYPE = "proctor.audit.checkpoint.v1"


@dataclass(frozen=True)
class AuditEntry:
    """One recorded event, linked to the one before it by ``prev_hash``.

    ``body_json`` is the canonical (RFC 8785) text that was hashed and stored;
    ``body`` is that text parsed, on first access.
    """

    seq: int
    ts: datetime
    kind: str
    body_json: str = field(repr=False)
    prev_hash: str
    hash: str

    @property
    def body(self) -> dict[str, Any]:
        """The recorded body (a fresh copy on every access)."""
        parsed: dict[str, Any] = json.loads(self.body_json)
        return parsed

    def to_json(self) -> str:
        """The entry as one canonical JSON object, hashes included (an export line)."""
        return (
            f'{{"body":{self.body_json},"hash":{json_string(self.hash)},'
            f'"kind":{json_string(self.kind)},"prev_hash":{json_string(self.prev_hash)},'
            f'"seq":{self.seq},"ts":"{format_ts(self.ts)}"}}'
        )


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement that the chain had ``hash`` at entry ``seq``."""

    seq: int
    hash: str
    signed_at: datetime
    key_id: str
    signature: str

    def statement(self) -> bytes:
        """The bytes the signature is over."""
        return checkpoint_statement(self.seq, self.hash, format_ts(self.signed_at))

    def to_json(self) -> str:
        """The checkpoint as one canonical JSON object (an anchor-file line)."""
        return (
            f'{{"hash":{json_string(self.hash)},"key_id":{json_string(self.key_id)},'
            f'"seq":{self.seq},"signature":{json_string(self.signature)},'
            f'"signed_at":"{format_ts(self.signed_at)}"}}'
        )


def format_ts(moment: datetime) -> str:
    """RFC 3339 in UTC with exactly six fractional digits: ``2025-01-31T09:15:02.000123Z``.

    A fixed width keeps the text (and so the hash) a function of the instant alone.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    elif moment.utcoffset():
        moment = moment.astimezone(UTC)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
        f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}Z"
    )


def parse_ts(text: str) -> datetime:
    """The inverse of :func:`format_ts`."""
    return datetime.fromisoformat(text)


def json_string(text: str) -> str:
    """A string as RFC 8785 writes it (the same escapes as :func:`json.dumps`)."""
    return json.dumps(text, ensure_ascii=False)


def entry_preimage(seq: int, ts: str, kind_json: str, body_json: str) -> str:
    """The canonical JSON of ``{"seq", "ts", "kind", "body"}`` for one entry.

    RFC 8785 orders members by key, so the object is written out in the order
    body, kind, seq, ts; its parts are already canonical.
    """
    return f'{{"body":{body_json},"kind":{kind_json},"seq":{seq},"ts":"{ts}"}}'


def entry_hash(prev_hash: str, seq: int, ts: str, kind_json: str, body_json: str) -> str:
    """``SHA-256(prev_hash as 64 ASCII hex digits ‖ UTF-8 canonical JSON)``, in hex."""
    preimage = prev_hash + entry_preimage(seq, ts, kind_json, body_json)
    return sha256(preimage.encode()).hexdigest()


def checkpoint_statement(seq: int, hash_hex: str, signed_at: str) -> bytes:
    """The UTF-8 canonical JSON of ``{"hash", "seq", "signed_at", "type"}``."""
    return (
        f'{{"hash":"{hash_hex}","seq":{seq},"signed_at":"{signed_at}","type":"{CHECKPOINT_TYPE}"}}'
    ).encode()
