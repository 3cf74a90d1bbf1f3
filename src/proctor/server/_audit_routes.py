"""The audit log over HTTP: read entries in order, verify the chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from proctor.audit import AuditEntry
from proctor.server._context import Context, require_admin
from proctor.server._errors import ERROR_RESPONSES
from proctor.server._schemas import AuditEntryOut, AuditPageOut, VerifyOut

router = APIRouter(
    prefix="/v1/audit", tags=["audit"], dependencies=[require_admin], responses=ERROR_RESPONSES
)

MAX_PAGE = 1000


@router.get("")
def read_audit(
    context: Context,
    after_seq: Annotated[int, Query(ge=0, description="Entries after this seq")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    kind: Annotated[
        list[str] | None, Query(max_length=20, description="Only these kinds (repeatable)")
    ] = None,
) -> AuditPageOut:
    """Entries in seq order, with their hashes, for reading or exporting page by page."""
    kinds = set(kind) if kind else None
    entries = [
        _entry_out(entry)
        for entry in context.runtime.audit.iter_entries(
            after_seq=after_seq, kinds=kinds, limit=limit
        )
    ]
    next_after_seq = entries[-1].seq if entries else after_seq
    return AuditPageOut(entries=entries, next_after_seq=next_after_seq)


@router.get("/verify")
def verify_audit(context: Context) -> VerifyOut:
    """Replay the hash chain from entry 1 and check every signed checkpoint.

    A broken chain is a 200 answer with ``ok: false``: the report is the result.
    """
    report = context.runtime.audit.verify()
    return VerifyOut(
        ok=report.ok,
        entries=report.entries,
        checkpoints=report.checkpoints,
        first_bad_seq=report.first_bad_seq,
        problem=report.problem,
    )


def _entry_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        seq=entry.seq,
        ts=entry.ts,
        kind=entry.kind,
        body=entry.body,
        prev_hash=entry.prev_hash,
        hash=entry.hash,
    )
