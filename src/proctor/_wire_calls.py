"""The HTTP API's shapes for one call: its check and decision, its outcome, the approval
request a held call waits on, which tools an agent may see; and the bases every shape
shares.

:mod:`proctor.wire` re-exports all of them. They live apart so that a client that only
checks calls (the Claude Code hook, a process started for every tool call) loads these,
not the admin shapes and everything those need.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from proctor.approvals import ApprovalRequest, ApprovalScope, ApprovalStatus, Signoff
from proctor.model import (
    CheckRequest,
    Decision,
    Label,
    Obligation,
    Outcome,
    OutcomeStatus,
    Reason,
    ToolCall,
)

#: An agent, task, requester, owner or resource id.
Id = Annotated[str, StringConstraints(min_length=1, max_length=300)]
#: A tool name or tool-name pattern.
ToolName = Annotated[str, StringConstraints(min_length=1, max_length=200)]
#: A short human-readable name.
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
#: Free text for people: purposes, descriptions, summaries.
Text = Annotated[str, StringConstraints(max_length=4096)]


class WireIn(BaseModel):
    """Base of every request body: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class WireOut(BaseModel):
    """Base of every response body: unknown fields are ignored by readers."""

    model_config = ConfigDict(extra="ignore")


class ErrorOut(WireOut):
    """Every error the API answers: a stable ``code`` and a message for a person."""

    code: str
    message: str


# -- check and outcome -------------------------------------------------------------


class CheckIn(WireIn):
    """One tool call an agent wants to make; its task token says who makes it."""

    tool: ToolName
    arguments: dict[str, Any] = Field(default_factory=dict)
    resource: Id | None = None


class ExplainIn(CheckIn):
    """A call to explain: which agent, on which task, would make it."""

    agent_id: Id
    task_id: Id


class ReasonOut(WireOut):
    """Why the decision came out as it did, tied to the policy that said so."""

    policy_id: str
    text: str
    effect: Outcome
    approver: str | None = None


class ObligationOut(WireOut):
    """Something the caller must do when acting on an allowed call."""

    kind: str
    params: dict[str, Any] = Field(default_factory=dict)


class DecisionOut(WireOut):
    """The answer to a check; ``message`` is the reasons in one line."""

    decision_id: str
    outcome: Outcome
    code: str
    reasons: list[ReasonOut]
    obligations: list[ObligationOut] = Field(default_factory=list)
    risk: int = 0
    audit_seq: int | None = None
    decided_at: datetime | None = None
    message: str = ""
    agent_id: str | None = None
    task_id: str | None = None
    chain: list[str] = Field(default_factory=list)
    #: Held: the approval request to answer; allowed after approval: the approval used.
    approval_id: str | None = None
    #: Allowed after approval: the people who signed it off.
    reviewed_by: list[str] = Field(default_factory=list)
    #: Rate limited: whole seconds until the call may be made again.
    retry_after_s: int | None = None


class ExplainOut(WireOut):
    """A decision that was not recorded, with the policies that matched and why."""

    decision: DecisionOut
    explanation: str | None


class OutcomeIn(WireIn):
    """What happened after a decision, and what the call took in: ``label`` of the data
    it returned (else the resource's or tool's), ``untrusted`` whether that came from
    outside the organization (else what the catalog says of the tool)."""

    decision_id: Id
    status: OutcomeStatus
    summary: Text = ""
    label: Label | None = None
    untrusted: bool | None = None
    #: What the tool returned (JSON): screened for instructions aimed at the agent, and
    #: its values recorded as keyed digests for value provenance.
    result: Any = None


class OutcomeOut(WireOut):
    """The outcome's audit entry; ``violation`` means a call ran that was not allowed, or
    returned data above the requester's clearance (``problems`` says which);
    ``injection`` says why the result was flagged as carrying instructions."""

    decision_id: str
    status: OutcomeStatus
    audit_seq: int
    violation: bool
    problems: list[str] = Field(default_factory=list)
    injection: str = ""


# -- the approval request a held call waits on -----------------------------------------


class SignoffOut(WireOut):
    rule: str
    by: str
    at: datetime
    reason: str
    scope: ApprovalScope


class ApprovalOut(WireOut):
    """An approval request: the held call, who may lift it, and what they said."""

    id: str
    decision_id: str
    status: ApprovalStatus
    agent_id: str
    task_id: str
    requester: str
    purpose: str
    chain: list[str]
    tool: str
    arguments: dict[str, Any]
    resource: str | None
    reasons: list[dict[str, Any]]
    risk: int
    approvers: dict[str, str | None]
    waiting_for: list[str]
    signoffs: list[SignoffOut]
    scope: ApprovalScope
    call_hash: str
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision_reason: str | None = None
    used_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_model(cls, request: ApprovalRequest) -> ApprovalOut:
        return cls(
            id=request.id,
            decision_id=request.decision_id,
            status=request.status,
            agent_id=request.agent_id,
            task_id=request.task_id,
            requester=request.requester,
            purpose=request.purpose,
            chain=list(request.chain),
            tool=request.tool,
            arguments=dict(request.arguments),
            resource=request.resource,
            reasons=[dict(reason) for reason in request.reasons],
            risk=request.risk,
            approvers=dict(request.approvers),
            waiting_for=list(request.waiting_for),
            signoffs=[
                SignoffOut(rule=s.rule, by=s.by, at=s.at, reason=s.reason, scope=s.scope)
                for s in request.signoffs
            ],
            scope=request.scope,
            call_hash=request.call_hash,
            created_at=request.created_at,
            expires_at=request.expires_at,
            decided_at=request.decided_at,
            decided_by=request.decided_by,
            decision_reason=request.decision_reason,
            used_at=request.used_at,
            updated_at=request.updated_at,
        )

    def to_model(self) -> ApprovalRequest:
        return ApprovalRequest(
            id=self.id,
            decision_id=self.decision_id,
            status=self.status,
            call_hash=self.call_hash,
            agent_id=self.agent_id,
            task_id=self.task_id,
            requester=self.requester,
            purpose=self.purpose,
            chain=tuple(self.chain),
            tool=self.tool,
            arguments=self.arguments,
            resource=self.resource,
            reasons=tuple(self.reasons),
            risk=self.risk,
            approvers=self.approvers,
            signoffs=tuple(
                Signoff(rule=s.rule, by=s.by, at=s.at, reason=s.reason, scope=s.scope)
                for s in self.signoffs
            ),
            scope=self.scope,
            created_at=self.created_at,
            expires_at=self.expires_at,
            decided_at=self.decided_at,
            decided_by=self.decided_by,
            decision_reason=self.decision_reason,
            used_at=self.used_at,
            updated_at=self.updated_at,
        )


# -- which tools an agent sees (the MCP proxy) --------------------------------------


class VisibilityIn(WireIn):
    """Tool names (as in the inventory) to judge for the calling agent."""

    tools: list[ToolName] = Field(max_length=1000)


class VisibilityOut(WireOut):
    """The token's agent and task, and which of the names a policy denies it outright."""

    agent_id: str
    task_id: str
    hidden: list[str]


# -- converters ----------------------------------------------------------------------


def check_to_wire(call: ToolCall) -> CheckIn:
    """The request body for ``POST /v1/check``."""
    return CheckIn(tool=call.tool, arguments=dict(call.arguments), resource=call.resource)


def check_from_wire(body: CheckIn) -> ToolCall:
    """The call a ``POST /v1/check`` body describes."""
    return ToolCall(tool=body.tool, arguments=body.arguments, resource=body.resource)


def explain_from_wire(body: ExplainIn) -> CheckRequest:
    """The attributed call a ``POST /v1/explain`` body describes."""
    return CheckRequest(
        agent_id=body.agent_id,
        task_id=body.task_id,
        tool=body.tool,
        arguments=body.arguments,
        resource=body.resource,
    )


def decision_to_wire(decision: Decision) -> DecisionOut:
    """The response body for a decision, with its reasons in one line as ``message``."""
    return DecisionOut(
        decision_id=decision.id,
        outcome=decision.outcome,
        code=decision.code,
        reasons=[
            ReasonOut(policy_id=r.policy_id, text=r.text, effect=r.effect, approver=r.approver)
            for r in decision.reasons
        ],
        obligations=[
            ObligationOut(kind=o.kind, params=dict(o.params)) for o in decision.obligations
        ],
        risk=decision.risk,
        audit_seq=decision.audit_seq,
        decided_at=decision.decided_at,
        message=decision.explain(),
        agent_id=decision.request.agent_id if decision.request else None,
        task_id=decision.request.task_id if decision.request else None,
        chain=list(decision.chain),
        approval_id=decision.approval_id,
        reviewed_by=list(decision.reviewed_by),
        retry_after_s=decision.retry_after_s,
    )


def decision_from_wire(body: DecisionOut, call: ToolCall | None = None) -> Decision:
    """The decision a response describes; ``call`` is the call it answers."""
    request = None
    if call is not None:
        request = CheckRequest(
            agent_id=body.agent_id or "",
            task_id=body.task_id or "",
            tool=call.tool,
            arguments=call.arguments,
            resource=call.resource,
        )
    return Decision(
        id=body.decision_id,
        outcome=body.outcome,
        code=body.code,
        reasons=tuple(
            Reason(policy_id=r.policy_id, text=r.text, effect=r.effect, approver=r.approver)
            for r in body.reasons
        ),
        obligations=tuple(Obligation(kind=o.kind, params=o.params) for o in body.obligations),
        risk=body.risk,
        request=request,
        decided_at=body.decided_at,
        audit_seq=body.audit_seq,
        chain=tuple(body.chain),
        approval_id=body.approval_id,
        reviewed_by=tuple(body.reviewed_by),
        retry_after_s=body.retry_after_s,
    )
