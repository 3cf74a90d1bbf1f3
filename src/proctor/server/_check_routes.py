"""The data plane: an agent checks a call and records its outcome with its task token;
an admin asks what would happen ("explain")."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from proctor.errors import Unauthorized
from proctor.gateway import MAX_APPROVAL_WAIT
from proctor.inventory import Caller
from proctor.server._context import Context, require_admin
from proctor.server._errors import ERROR_RESPONSES
from proctor.server._feed import approval_feed
from proctor.wire import (
    ApprovalOut,
    CheckIn,
    DecisionOut,
    ExplainIn,
    ExplainOut,
    OutcomeIn,
    OutcomeOut,
    check_from_wire,
    decision_to_wire,
    explain_from_wire,
)

router = APIRouter(prefix="/v1", tags=["decisions"], responses=ERROR_RESPONSES)
#: How often a waiting agent's request looks at the store for other processes' decisions.
_WAIT_POLL_S = 0.5

_task_token = HTTPBearer(
    auto_error=False,
    scheme_name="TaskToken",
    description="The agent's task token: `Authorization: Bearer <JWT issued by Proctor>`",
)


def _presented_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_task_token)],
) -> str:
    """The bearer value as presented; an empty string when there is none.

    A check never fails at this layer: a missing or bad token is a recorded ``deny``.
    """
    return credentials.credentials if credentials is not None else ""


def _required_token(token: Annotated[str, Depends(_presented_token)]) -> str:
    if not token:
        raise Unauthorized(
            "this route needs the agent's task token: send 'Authorization: Bearer <token>'",
            code="missing_token",
        )
    return token


@router.post("/check")
def check(
    body: CheckIn,
    context: Context,
    request: Request,
    response: Response,
    token: Annotated[str, Depends(_presented_token)],
) -> DecisionOut:
    """Decide one tool call (allow, require_approval or deny) and record the decision.

    The task token in ``Authorization`` says which agent calls, for whom, on which
    task, holding what. A refusal is still a 200 answer: the decision says ``deny``
    and why (``missing_token``, ``token_expired``, ``agent_suspended``, ...). A caller
    whose token Proctor did not sign is also noted as a shadow agent, with its peer
    address and User-Agent. A rate-limited call also gets a ``Retry-After`` header.
    """
    caller = Caller(
        address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    decision = context.gateway.check(token, check_from_wire(body), caller=caller)
    if decision.retry_after_s is not None:
        response.headers["Retry-After"] = str(decision.retry_after_s)
    return decision_to_wire(decision)


@router.post("/outcomes")
def record_outcome(
    body: OutcomeIn, context: Context, token: Annotated[str, Depends(_required_token)]
) -> OutcomeOut:
    """Record what happened after a decision, with the task token the call was made under."""
    receipt = context.gateway.record_outcome(
        token,
        body.decision_id,
        body.status,
        body.summary,
        label=body.label,
        untrusted=body.untrusted,
        result=body.result,
    )
    return OutcomeOut(
        decision_id=receipt.decision_id,
        status=receipt.status,
        audit_seq=receipt.audit_seq,
        violation=receipt.violation,
        problems=list(receipt.problems),
        injection=receipt.injection,
    )


@router.post("/decisions/{decision_id}/wait")
async def wait_for_approval(
    decision_id: str,
    context: Context,
    token: Annotated[str, Depends(_required_token)],
    timeout_s: Annotated[
        float, Query(ge=0, le=MAX_APPROVAL_WAIT.total_seconds(), description="Seconds.")
    ] = 30,
) -> ApprovalOut:
    """Long-poll the approval request a held decision opened: answers as soon as people
    decide, or with the request still pending when ``timeout_s`` runs out.

    Only the agent the decision was made for may wait (its task token). When the
    answer is ``approved``, check the same call again: it is allowed under this
    decision's id, and its outcome is recorded against it.
    """
    gateway = context.gateway
    approvals = gateway.runtime.approvals
    request = await run_in_threadpool(gateway.approval_for, token, decision_id)
    deadline = asyncio.get_running_loop().time() + timeout_s
    with approval_feed(approvals) as feed:
        while not request.decided:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            # Woken at once by a decision in this process; other processes' decisions
            # are seen on the next look at the store.
            await feed.wait(min(remaining, _WAIT_POLL_S))
            feed.drain()
            request = await run_in_threadpool(approvals.get, request.id)
    return ApprovalOut.from_model(request)


@router.post("/explain", dependencies=[require_admin])
def explain(body: ExplainIn, context: Context) -> ExplainOut:
    """What would happen if the task's agent made this call: decided, not recorded,
    with the policies that matched and why. Needs an admin key."""
    decision, explanation = context.gateway.explain(explain_from_wire(body))
    return ExplainOut(
        decision=decision_to_wire(decision),
        explanation=explanation.render() if explanation is not None else None,
    )
