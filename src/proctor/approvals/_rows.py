"""Approval requests as table rows, and back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from proctor.approvals._model import ApprovalRequest, ApprovalScope, ApprovalStatus, Signoff
from proctor.store import as_utc


def to_row(request: ApprovalRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "decision_id": request.decision_id,
        "status": request.status.value,
        "call_hash": request.call_hash,
        "agent_id": request.agent_id,
        "task_id": request.task_id,
        "requester": request.requester,
        "purpose": request.purpose,
        "chain": list(request.chain),
        "tool": request.tool,
        "arguments": dict(request.arguments),
        "resource": request.resource,
        "reasons": [dict(reason) for reason in request.reasons],
        "risk": request.risk,
        "approvers": dict(request.approvers),
        "approvals": [_signoff_json(s) for s in request.signoffs],
        "scope": request.scope.value,
        "created_at": request.created_at,
        "expires_at": request.expires_at,
        "decided_at": request.decided_at,
        "decided_by": request.decided_by,
        "decision_reason": request.decision_reason,
        "used_at": request.used_at,
        "updated_at": request.updated_at or request.created_at,
    }


def _signoff_json(signoff: Signoff) -> dict[str, str]:
    return {
        "rule": signoff.rule,
        "by": signoff.by,
        "at": signoff.at.isoformat(),
        "reason": signoff.reason,
        "scope": signoff.scope.value,
    }


def _signoffs(items: Iterable[dict[str, str]]) -> tuple[Signoff, ...]:
    return tuple(
        Signoff(
            item["rule"],
            item["by"],
            as_utc(datetime.fromisoformat(item["at"])),
            item["reason"],
            ApprovalScope(item["scope"]),
        )
        for item in items
    )


def _optional_time(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def from_row(row: Any) -> ApprovalRequest:
    return ApprovalRequest(
        id=row["id"],
        decision_id=row["decision_id"],
        status=ApprovalStatus(row["status"]),
        call_hash=row["call_hash"],
        agent_id=row["agent_id"],
        task_id=row["task_id"],
        requester=row["requester"],
        purpose=row["purpose"],
        chain=tuple(row["chain"]),
        tool=row["tool"],
        arguments=row["arguments"],
        resource=row["resource"],
        reasons=tuple(row["reasons"]),
        risk=row["risk"],
        approvers=row["approvers"],
        signoffs=_signoffs(row["approvals"]),
        scope=ApprovalScope(row["scope"]),
        created_at=as_utc(row["created_at"]),
        expires_at=as_utc(row["expires_at"]),
        decided_at=_optional_time(row["decided_at"]),
        decided_by=row["decided_by"],
        decision_reason=row["decision_reason"],
        used_at=_optional_time(row["used_at"]),
        updated_at=as_utc(row["updated_at"]),
    )
