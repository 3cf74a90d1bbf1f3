"""The data plane: check a call, record its outcome, explain a decision."""

from __future__ import annotations

from fastapi import APIRouter, Request

from proctor.inventory import Caller
from proctor.server._context import Context, require_admin
from proctor.server._errors import ERROR_RESPONSES
from proctor.wire import (
    CheckIn,
    DecisionOut,
    ExplainOut,
    OutcomeIn,
    OutcomeOut,
    check_from_wire,
    decision_to_wire,
)

# Agent credentials come later; until then the data plane takes an admin key too.
router = APIRouter(
    prefix="/v1", tags=["decisions"], dependencies=[require_admin], responses=ERROR_RESPONSES
)


@router.post("/check")
def check(body: CheckIn, context: Context, request: Request) -> DecisionOut:
    """Decide one tool call (allow, require_approval or deny) and record the decision.

    A refusal is still a 200 answer: the decision says ``deny`` and why. A call by an
    agent nobody registered is also noted as a shadow agent, with its peer address and
    User-Agent.
    """
    caller = Caller(
        address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    return decision_to_wire(context.gateway.check(check_from_wire(body), caller=caller))


@router.post("/outcomes")
def record_outcome(body: OutcomeIn, context: Context) -> OutcomeOut:
    """Record what happened after a decision (succeeded, failed or skipped)."""
    receipt = context.gateway.record_outcome(body.decision_id, body.status, body.summary)
    return OutcomeOut(
        decision_id=receipt.decision_id,
        status=receipt.status,
        audit_seq=receipt.audit_seq,
        violation=receipt.violation,
    )


@router.post("/explain")
def explain(body: CheckIn, context: Context) -> ExplainOut:
    """Decide a call without recording it, and say which policies matched and why."""
    decision, explanation = context.gateway.explain(check_from_wire(body))
    return ExplainOut(
        decision=decision_to_wire(decision),
        explanation=explanation.render() if explanation is not None else None,
    )
