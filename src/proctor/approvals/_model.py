"""What an approval request is: the held call, who may lift it, and what they said."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from proctor.audit import canonical_json


class ApprovalStatus(StrEnum):
    """Where a request stands. Only ``pending`` can change, and only once more."""

    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"
    #: A single-use approval whose call has been allowed: it will not allow another.
    USED = "used"


class ApprovalScope(StrEnum):
    """What an approval covers once every approver has said yes."""

    #: This exact call (same agent, task, tool, arguments and resource), once.
    CALL = "call"
    #: This tool, for this agent, for the rest of the task (an explicit widening).
    TASK_TOOL = "task_tool"


@dataclass(frozen=True, slots=True)
class Signoff:
    """One person's yes, for one approver rule of the request."""

    rule: str
    by: str
    at: datetime
    reason: str
    scope: ApprovalScope


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    """A held call waiting for people (durable: it survives restarts).

    ``approvers`` maps each rule of the policies that held the call
    (``requester``, ``agent_owner``, ``resource_owner``, ``role:<name>``) to the
    person it names, or ``None`` for a role. Every rule needs a sign-off before
    the request is approved; one denial denies it.
    """

    id: str
    decision_id: str
    status: ApprovalStatus
    call_hash: str
    agent_id: str
    task_id: str
    requester: str
    purpose: str
    chain: tuple[str, ...]
    tool: str
    arguments: Mapping[str, Any]
    resource: str | None
    reasons: tuple[Mapping[str, Any], ...]
    risk: int
    approvers: Mapping[str, str | None]
    signoffs: tuple[Signoff, ...]
    scope: ApprovalScope
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision_reason: str | None = None
    used_at: datetime | None = None
    #: When anything about the request last changed (streams and waiters read it).
    updated_at: datetime | None = None

    @property
    def last_event(self) -> str:
        """The event that brought the request where it is: ``created``, ``signed``,
        ``approved``, ``denied``, ``expired`` or ``used``."""
        if self.status is ApprovalStatus.PENDING:
            return "signed" if self.signoffs else "created"
        return self.status.value

    @property
    def waiting_for(self) -> tuple[str, ...]:
        """The rules nobody has signed off yet."""
        done = {signoff.rule for signoff in self.signoffs}
        return tuple(rule for rule in self.approvers if rule not in done)

    @property
    def decided(self) -> bool:
        return self.status is not ApprovalStatus.PENDING

    def is_expired(self, now: datetime) -> bool:
        return self.status is ApprovalStatus.PENDING and now >= self.expires_at


@dataclass(frozen=True, slots=True)
class ApprovalEvent:
    """Something that happened to a request: for notifiers, streams and waiters.

    ``kind`` is ``created``, ``signed`` (one approver of several said yes),
    ``approved``, ``denied``, ``expired`` or ``used``.
    """

    kind: str
    request: ApprovalRequest
    actor: str = ""
    reason: str = ""


ApprovalListener = Callable[[ApprovalEvent], None]


@dataclass(frozen=True, slots=True)
class HeldCall:
    """What the gateway knows about a call it has just held, to open a request for it."""

    decision_id: str
    agent_id: str
    task_id: str
    requester: str
    purpose: str
    chain: tuple[str, ...]
    tool: str
    arguments: Mapping[str, Any]
    resource: str | None
    reasons: tuple[Mapping[str, Any], ...]
    risk: int
    approvers: Mapping[str, str | None]
    ttl_s: int
    call_hash: str = field(default="")


def call_hash(
    agent_id: str, task_id: str, tool: str, arguments: Mapping[str, Any], resource: str | None
) -> str:
    """SHA-256 over the RFC 8785 form of exactly the call: one changed argument, another hash."""
    body = {
        "agent": agent_id,
        "task": task_id,
        "tool": tool,
        "arguments": dict(arguments),
        "resource": resource,
    }
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()
