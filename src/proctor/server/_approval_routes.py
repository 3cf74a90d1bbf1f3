"""Approval requests over HTTP: list, show, approve, deny, watch live (SSE), deliveries.

People decide with their personal API key: an admin key is not a person, and an
agent's task token is refused before any route runs. Reading requests needs the
role ``approver``, ``admin`` or ``auditor`` (they hold a call's full arguments).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from proctor.approvals import ApprovalRequest, ApprovalStatus
from proctor.errors import Forbidden
from proctor.people import Person, Role
from proctor.server._context import Context, Principal, require_role
from proctor.server._errors import ERROR_RESPONSES
from proctor.server._feed import approval_feed, resume_point
from proctor.store import utcnow
from proctor.wire import ApprovalOut, ApproveIn, DeliveryOut, DenyIn

router = APIRouter(prefix="/v1/approvals", tags=["approvals"], responses=ERROR_RESPONSES)

Reader = Annotated[Principal, require_role(Role.APPROVER, Role.ADMIN, Role.AUDITOR)]
Decider = Annotated[Principal, require_role(Role.APPROVER, Role.ADMIN)]
#: How often a stream looks at the store for changes made by other processes.
_STREAM_POLL_S = 0.5


def _person(context: Context, principal: Principal) -> Person:
    if principal.kind != "person":
        raise Forbidden(
            "approvals are decided by a person with their own API key, so the log says "
            "who; an admin key is nobody in particular",
            code="person_required",
        )
    return context.runtime.people.get(principal.id)


@router.get("")
def list_approvals(
    context: Context,
    _reader: Reader,
    status: Annotated[ApprovalStatus | None, Query(description="Only this status.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ApprovalOut]:
    """Approval requests, newest first (pending ones past their expiry are expired first)."""
    found = context.runtime.approvals.list(status=status, limit=limit)
    return [ApprovalOut.from_model(request) for request in found]


@router.get("/stream", response_class=EventSourceResponse)
async def stream(
    context: Context,
    _reader: Reader,
    last_event_id: Annotated[str | None, Header()] = None,
) -> AsyncIterator[ServerSentEvent]:
    """Every change to a request, live, as Server-Sent Events (``approval.created``,
    ``approval.signed``, ``approval.approved``, ``approval.denied``,
    ``approval.expired``, ``approval.used``).

    Changes made in this process arrive as they happen; changes made by other
    gateway processes on the same store are found by looking at the store twice a
    second (a request that changed twice in between shows its latest state).
    Reconnecting with ``Last-Event-ID`` resumes from that change. The stream opens
    with the comment ``: listening`` once it is subscribed.
    """
    approvals = context.runtime.approvals
    since = resume_point(last_event_id) or utcnow()
    sent = _SentEvents()
    with approval_feed(approvals) as feed:
        # A comment (ignored by EventSource clients): from here on no change is missed,
        # so a client can wait for it before it acts.
        yield ServerSentEvent(comment="listening")
        while True:
            for request in feed.drain():
                if sent.first_time(request):
                    yield _event(request)
            for request in await run_in_threadpool(approvals.changed_since, since):
                since = max(since, request.updated_at or since)
                if sent.first_time(request):
                    yield _event(request)
            await feed.wait(_STREAM_POLL_S)


class _SentEvents:
    """Which request states a stream has sent (bounded), so no state is sent twice."""

    def __init__(self, limit: int = 10_000) -> None:
        self._sent: OrderedDict[str, None] = OrderedDict()
        self._limit = limit

    def first_time(self, request: ApprovalRequest) -> bool:
        key = f"{request.id} {request.last_event} {len(request.signoffs)}"
        if key in self._sent:
            return False
        self._sent[key] = None
        if len(self._sent) > self._limit:
            self._sent.popitem(last=False)
        return True


@router.get("/{approval_id}")
def show(approval_id: str, context: Context, _reader: Reader) -> ApprovalOut:
    """One request: the call, its context, who may answer, what they said."""
    return ApprovalOut.from_model(context.runtime.approvals.get(approval_id))


@router.get("/{approval_id}/deliveries")
def deliveries(approval_id: str, context: Context, _reader: Reader) -> list[DeliveryOut]:
    """Every attempt to notify people about the request, oldest first."""
    context.runtime.approvals.get(approval_id)
    attempts = context.runtime.deliveries.list(f"approval:{approval_id}")
    return [
        DeliveryOut(
            delivery_id=a.delivery_id,
            event=a.event,
            target=a.target,
            attempt=a.attempt,
            attempted_at=a.attempted_at,
            status_code=a.status_code,
            error=a.error,
            delivered=a.delivered,
        )
        for a in attempts
    ]


@router.post("/{approval_id}/approve")
def approve(approval_id: str, body: ApproveIn, context: Context, principal: Decider) -> ApprovalOut:
    """Sign off every rule of the request this person may answer; once every rule is
    signed the request is approved. 403 ``not_an_approver`` if they may answer none."""
    person = _person(context, principal)
    approved = context.runtime.approvals.approve(approval_id, person, body.reason, scope=body.scope)
    return ApprovalOut.from_model(approved)


@router.post("/{approval_id}/deny")
def deny(approval_id: str, body: DenyIn, context: Context, principal: Decider) -> ApprovalOut:
    """Deny the request; the held call is denied (a second answer is 409)."""
    person = _person(context, principal)
    return ApprovalOut.from_model(context.runtime.approvals.deny(approval_id, person, body.reason))


def _event(request: ApprovalRequest) -> ServerSentEvent:
    stamp = (request.updated_at or request.created_at).isoformat()
    return ServerSentEvent(
        event=f"approval.{request.last_event}",
        id=f"{stamp} {request.id}",
        data=ApprovalOut.from_model(request).model_dump(mode="json"),
    )
