"""The monitor over HTTP: alerts (listed, shown, streamed live), circuit breakers and
their reset by a person, and the declared rate limits.

Reading needs the role ``approver``, ``admin`` or ``auditor``, as reading approval
requests does: alerts quote an agent's calls. Resetting a breaker needs ``admin``,
or being the agent's owner with the role ``approver`` (the person who answers the
calls the breaker holds). An agent's task token is refused before any route runs.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from proctor.errors import Forbidden, NotFound
from proctor.monitor import MAX_ALERT_PAGE, Alert, BreakerState, BreakerStatus
from proctor.people import Role
from proctor.server._context import Context, Principal, require_role
from proctor.server._errors import ERROR_RESPONSES
from proctor.server._feed import alert_feed, resume_point
from proctor.store import as_utc, utcnow
from proctor.wire import (
    AlertOut,
    BreakerOut,
    BreakerResetIn,
    BreakerResetOut,
    Id,
    RateLimitOut,
)

router = APIRouter(prefix="/v1", tags=["monitoring"], responses=ERROR_RESPONSES)

Reader = Annotated[Principal, require_role(Role.APPROVER, Role.ADMIN, Role.AUDITOR)]
Resetter = Annotated[Principal, require_role(Role.ADMIN, Role.APPROVER)]
#: How often a stream looks at the store for alerts other processes raised.
_STREAM_POLL_S = 0.5
#: How far back a stream looks each time: an alert is stored just after the call
#: that raised it (its ``created_at``), off the caller's thread, so a little later.
_STREAM_LOOKBACK = timedelta(minutes=1)


@router.get("/alerts")
def list_alerts(
    context: Context,
    _reader: Reader,
    agent: Annotated[Id | None, Query(description="Only this agent's alerts.")] = None,
    since: Annotated[datetime | None, Query(description="Only alerts raised from then.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ALERT_PAGE)] = 100,
) -> list[AlertOut]:
    """The newest ``limit`` alerts, oldest first (``since`` without a zone is UTC)."""
    moment = as_utc(since).astimezone(UTC) if since is not None else None
    found = context.runtime.monitor.alerts.list(agent=agent, since=moment, limit=limit)
    return [AlertOut.from_model(alert) for alert in found]


@router.get("/alerts/stream", response_class=EventSourceResponse)
async def stream_alerts(
    context: Context,
    _reader: Reader,
    last_event_id: Annotated[str | None, Header()] = None,
) -> AsyncIterator[ServerSentEvent]:
    """Every new alert, live, as a Server-Sent Event ``alert``.

    Alerts this process raises arrive as they are stored; those raised by other
    gateway processes on the same store are found by looking at the store twice a
    second. Reconnecting with ``Last-Event-ID`` resumes after that alert. The stream
    opens with the comment ``: listening`` once it is subscribed.
    """
    alerts = context.runtime.monitor.alerts
    resumed = resume_point(last_event_id)
    floor = resumed or utcnow()
    sent = _SentAlerts()
    if last_event_id:
        sent.first_time(last_event_id.rsplit(" ", 1)[-1])
    with alert_feed(alerts) as feed:
        # A comment (ignored by EventSource clients): from here on no alert is missed.
        yield ServerSentEvent(comment="listening")
        while True:
            for alert in feed.drain():
                if sent.first_time(alert.id):
                    yield _event(alert)
            stored = await run_in_threadpool(alerts.list, since=floor, limit=MAX_ALERT_PAGE)
            for alert in stored:
                if sent.first_time(alert.id):
                    yield _event(alert)
            floor = max(floor, utcnow() - _STREAM_LOOKBACK)
            await feed.wait(_STREAM_POLL_S)


@router.get("/alerts/{alert_id}")
def show_alert(alert_id: str, context: Context, _reader: Reader) -> AlertOut:
    """One alert with its evidence; 404 ``unknown_alert``."""
    alert = context.runtime.monitor.alerts.get(alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id!r}", code="unknown_alert")
    return AlertOut.from_model(alert)


@router.get("/breakers")
def list_breakers(context: Context, _reader: Reader) -> list[BreakerOut]:
    """Every tripped breaker: open (calls held or denied) or half-open (probing), by agent.

    Each is read as a check reads it, so an open breaker whose cool-down is over
    shows (and turns) half-open.
    """
    breakers = context.runtime.monitor.breakers
    states = sorted((breakers.state(found.agent) for found in breakers.tripped()), key=_agent)
    return [BreakerOut.from_model(s) for s in states if s.status is not BreakerStatus.CLOSED]


@router.get("/breakers/{agent_id}")
def show_breaker(agent_id: str, context: Context, _reader: Reader) -> BreakerOut:
    """One registered agent's breaker, closed or not; 404 ``not_found`` for an agent
    the inventory does not know."""
    state = context.runtime.monitor.breakers.state(agent_id)
    known = agent_id in context.runtime.inventory.snapshot.agents
    if state.status is BreakerStatus.CLOSED and not known:
        raise NotFound(f"no agent {agent_id!r}")
    return BreakerOut.from_model(state)


@router.post("/breakers/{agent_id}/reset")
def reset_breaker(
    agent_id: str, body: BreakerResetIn, context: Context, principal: Resetter
) -> BreakerResetOut:
    """Close a tripped breaker now (audited with who and why): 409
    ``breaker_not_tripped`` if it is closed, 422 ``reason_required`` without a reason."""
    _may_reset(context, principal, agent_id)
    monitor = context.runtime.monitor
    reset = monitor.reset_breaker(agent_id, by=principal.actor, reason=body.reason)
    return BreakerResetOut(
        agent=reset.agent,
        by=reset.by,
        reason=reset.reason,
        at=reset.at,
        breaker=BreakerOut.from_model(monitor.breakers.state(agent_id)),
    )


@router.get("/rate-limits")
def list_rate_limits(context: Context, _reader: Reader) -> list[RateLimitOut]:
    """The rate limits declared in ``proctor.yaml`` (``rate_limits:``), in order."""
    return [RateLimitOut.from_model(rule) for rule in context.runtime.monitor.rate_limits]


def _agent(state: BreakerState) -> str:
    return state.agent


def _may_reset(context: Context, principal: Principal, agent_id: str) -> None:
    """Admins reset any breaker; an approver only the breakers of agents they own."""
    if principal.has_any(Role.ADMIN):
        return
    agent = context.runtime.inventory.snapshot.agents.get(agent_id)
    if principal.kind == "person" and agent is not None and agent.owner == principal.id:
        return
    raise Forbidden(
        f"{principal.actor} may not reset the breaker of {agent_id}: that takes the role "
        "'admin', or owning the agent and the role 'approver'",
        code="not_agent_owner",
    )


class _SentAlerts:
    """Which alerts a stream has sent (bounded), so none is sent twice."""

    def __init__(self, limit: int = 10_000) -> None:
        self._sent: OrderedDict[str, None] = OrderedDict()
        self._limit = limit

    def first_time(self, alert_id: str) -> bool:
        if alert_id in self._sent:
            return False
        self._sent[alert_id] = None
        if len(self._sent) > self._limit:
            self._sent.popitem(last=False)
        return True


def _event(alert: Alert) -> ServerSentEvent:
    return ServerSentEvent(
        event="alert",
        id=f"{alert.created_at.isoformat()} {alert.id}",
        data=AlertOut.from_model(alert).model_dump(mode="json"),
    )
