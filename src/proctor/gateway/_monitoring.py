"""What the monitor says of a call, as the gateway acts on it: a tripped breaker holds
or denies, a rate limit refuses with a retry-after, and the anomaly facts go to Cedar
as ``context.monitor``. After the decision is recorded, the call is handed to the
monitor's learner, with its fingerprint computed there (off the hot path)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial

from proctor.gateway._acting import Acting
from proctor.gateway._decisions import refusal
from proctor.model import ActionClass, CheckRequest, Decision, Label, Outcome, Reason, Tool
from proctor.monitor import (
    AnomalyFacts,
    BreakerState,
    CallKey,
    Monitor,
    Observation,
    Screen,
    TripAction,
)
from proctor.policy import MonitorFacts, ResourceFacts

BREAKER_OPEN = "breaker_open"
#: Who may lift a breaker's hold: the owner of the tripped agent.
BREAKER_APPROVER = "agent_owner"


@dataclass(frozen=True, slots=True)
class Watched:
    """One call as the monitor saw it before it was judged."""

    screen: Screen
    agent: str
    tool: str
    action: ActionClass | None
    label: Label
    at: datetime
    #: Whether the monitor learns (and so fingerprints the call).
    keyed: bool

    def refusal(self, decision_id: str, request: CheckRequest) -> Decision | None:
        """The deny a tripped breaker (``on_trip: deny``) or a rate limit gives, if any."""
        breaker = self.screen.breaker
        if breaker.tripped and breaker.on_trip is TripAction.DENY:
            return refusal(decision_id, request, BREAKER_OPEN, breaker_text(breaker, "denied"))
        limit = self.screen.limit
        if limit.allowed:
            return None
        denied = refusal(decision_id, request, limit.code or "rate_limited", limit.message())
        wait = max(1, math.ceil(limit.retry_after.total_seconds()))
        return replace(denied, retry_after_s=wait)

    def held(self, decision: Decision) -> Decision:
        """``decision`` held for the agent's owner while its breaker is open (``on_trip:
        hold``); a deny stays a deny: a breaker never lets more through."""
        breaker = self.screen.breaker
        if not breaker.tripped or decision.outcome is Outcome.DENY:
            return decision
        reason = Reason(
            policy_id="breaker",
            text=breaker_text(breaker, "held for its owner's approval"),
            effect=Outcome.REQUIRE_APPROVAL,
            approver=BREAKER_APPROVER,
        )
        holds = tuple(r for r in decision.reasons if r.effect is Outcome.REQUIRE_APPROVAL)
        return replace(
            decision,
            outcome=Outcome.REQUIRE_APPROVAL,
            code=BREAKER_OPEN,
            reasons=(reason, *holds),
            obligations=(),
        )

    def policy_facts(self) -> MonitorFacts:
        facts = self.screen.facts
        return MonitorFacts(
            learning=facts.learning,
            new_tool=facts.new_tool,
            new_action_class=facts.new_action_class,
            new_delegate=facts.new_delegate,
            label_escalation=facts.label_escalation,
            rate_zscore=facts.rate_sigma,
            deny_rate=facts.deny_percent,
            anomaly_score=facts.anomaly_percent,
            why="; ".join(facts.reasons),
        )

    @property
    def facts(self) -> AnomalyFacts:
        return self.screen.facts

    def observation(self, decision: Decision) -> Observation:
        """The recorded ``decision`` as the monitor learns from it."""
        request = decision.request
        key_source = partial(fingerprint, request) if self.keyed and request is not None else None
        return Observation(
            self.agent,
            self.tool,
            self.action,
            self.label,
            decision.outcome,
            self.at,
            resource=request.resource if request is not None else None,
            decision_id=decision.id,
            call_key_source=key_source,
        )


def watch(
    monitor: Monitor,
    acting: Acting,
    request: CheckRequest,
    tool: Tool | None,
    resource: ResourceFacts,
    *,
    count: bool,
) -> Watched:
    """Screen a call whose agent and task are sound, before Cedar judges it."""
    at = monitor.now()
    action = tool.action_class if tool is not None else None
    label = Label(resource.label)
    key = CallKey(acting.agent_id, acting.task_id, acting.requester, request.tool)
    screen = monitor.before(key, action, label, at, count=count)
    # Only a monitor that learns reads the fingerprint, on its learner thread.
    keyed = monitor.setup.enabled
    return Watched(screen, acting.agent_id, request.tool, action, label, at, keyed)


def fingerprint(request: CheckRequest) -> str:
    """The call's arguments and resource as one canonical string: equal for a repeated
    call, so a loop repeating itself shows (the monitor keeps only a hash of it).
    Computed on the monitor's learner thread: arguments a caller changes after its
    check returned are not what it was judged on, and may give another key."""
    return json.dumps([request.resource, request.arguments], sort_keys=True, separators=(",", ":"))


def breaker_text(breaker: BreakerState, then: str) -> str:
    """``forum-bot's breaker is open (tripped by …) since 10:42 UTC; calls are …``."""
    since = f" since {breaker.opened_at:%H:%M:%S} UTC" if breaker.opened_at else ""
    until = (
        f"; it half-opens at {breaker.cool_down_until:%H:%M:%S} UTC"
        if breaker.cool_down_until
        else ""
    )
    return (
        f"{breaker.agent}'s circuit breaker is open (tripped by {breaker.rule}){since}: its "
        f"calls are {then}; a person may reset it with `proctor breaker reset "
        f"{breaker.agent} --reason ...`{until}"
    )
