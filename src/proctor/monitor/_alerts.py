"""Alerts: when an anomaly or a trip is worth a person's attention, once per episode."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from proctor.errors import InvalidInput
from proctor.monitor._breaker_windows import call_summary
from proctor.monitor._events import Trip, TripAction
from proctor.monitor._facts import AnomalyFacts, Observation

if TYPE_CHECKING:
    from proctor.monitor._baseline import Baselines


class AlertKind(StrEnum):
    ANOMALY = "anomaly"
    BREAKER = "breaker"
    #: A call ran that was not allowed, or returned data above its requester's clearance.
    VIOLATION = "violation"
    #: The monitor itself fell so far behind that it stopped learning from calls.
    MONITOR = "monitor"


class Severity(StrEnum):
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class Alert:
    """Something an agent's owner should look at, with the evidence to judge it."""

    id: str
    agent: str
    kind: AlertKind
    severity: Severity
    summary: str
    #: The calls involved and the baseline they differ from; JSON-able.
    evidence: Mapping[str, Any] = field(hash=False)
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "agent": self.agent,
            "kind": str(self.kind),
            "severity": str(self.severity),
            "summary": self.summary,
            "evidence": dict(self.evidence),
            "created_at": self.created_at.isoformat(),
        }


class AlertRule:
    """Turns anomaly facts into alerts: a call of a learned agent scoring at least
    ``threshold`` raises one, unless the same agent already had a call that high
    within ``quiet_period`` (each such call extends it). One episode, one alert."""

    def __init__(
        self,
        threshold: float = 0.7,
        quiet_period: timedelta = timedelta(minutes=30),
        *,
        baselines: Baselines | None = None,
        max_agents: int = 10_000,
    ):
        if not 0.0 < threshold <= 1.0:
            raise InvalidInput("the alert threshold must be in (0, 1]")
        if quiet_period < timedelta(0) or max_agents < 1:
            raise InvalidInput("quiet_period >= 0 and max_agents >= 1")
        self.threshold = threshold
        self.quiet_period = quiet_period
        self._baselines = baselines
        self._max_agents = max_agents
        self._lock = threading.Lock()
        self._last_high: OrderedDict[str, datetime] = OrderedDict()

    def consider(self, observation: Observation, facts: AnomalyFacts) -> Alert | None:
        """The alert this call raises, if any (call it once per observed call)."""
        if facts.learning or facts.anomaly_score < self.threshold:
            return None
        agent, at = observation.agent, observation.at
        with self._lock:
            last = self._last_high.get(agent)
            self._last_high[agent] = at if last is None else max(last, at)
            self._last_high.move_to_end(agent)
            while len(self._last_high) > self._max_agents:
                self._last_high.popitem(last=False)
            if last is not None and at - last < self.quiet_period:
                return None
        evidence: dict[str, Any] = {
            "call": call_summary(observation, facts.anomaly_score),
            "facts": facts.as_dict(),
        }
        if self._baselines is not None:
            evidence["baseline"] = self._baselines.describe(agent)
        reason = facts.reasons[0] if facts.reasons else "unusual behaviour"
        return Alert(
            id=_new_id(),
            agent=agent,
            kind=AlertKind.ANOMALY,
            severity=Severity.HIGH if facts.anomaly_score >= 0.9 else Severity.MEDIUM,
            summary=f"{agent}: {reason} (anomaly score {facts.anomaly_percent})",
            evidence=evidence,
            created_at=at,
        )

    def for_trip(self, trip: Trip) -> Alert:
        """The alert for a tripped breaker (always raised: trips are rare by design)."""
        return Alert(
            id=_new_id(),
            agent=trip.agent,
            kind=AlertKind.BREAKER,
            severity=Severity.CRITICAL if trip.on_trip is TripAction.DENY else Severity.HIGH,
            summary=f"{trip.agent}: breaker tripped by {trip.rule}; {_WHILE_OPEN[trip.on_trip]}",
            evidence={"rule": trip.rule, "on_trip": str(trip.on_trip), **dict(trip.evidence)},
            created_at=trip.at,
        )


def violation_alert(
    agent: str, tool: str, decision_id: str, problems: list[str], at: datetime
) -> Alert:
    """The alert for an outcome that broke the rules (always raised, like a trip)."""
    return Alert(
        id=_new_id(),
        agent=agent,
        kind=AlertKind.VIOLATION,
        severity=Severity.HIGH,
        summary=f"{agent}: {problems[0]}"
        + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""),
        evidence={"decision_id": decision_id, "tool": tool, "problems": list(problems)},
        created_at=at,
    )


def overload_alert(agent: str, waiting: int, at: datetime) -> Alert:
    """The alert for a learner so far behind that calls go unlearned (``agent`` made the
    first call that was dropped): until it catches up no breaker rule counts them and
    every check's anomaly facts say the monitor is unavailable (score 1.0)."""
    return Alert(
        id=_new_id(),
        agent=agent,
        kind=AlertKind.MONITOR,
        severity=Severity.CRITICAL,
        summary=(
            f"the monitor is {waiting:,} calls behind and has stopped learning from calls; "
            "until it catches up, every check's anomaly score is 1.0 (fail closed)"
        ),
        evidence={"waiting": waiting, "first_dropped_agent": agent},
        created_at=at,
    )


_WHILE_OPEN = {
    TripAction.HOLD: "its calls are held for approval",
    TripAction.DENY: "its calls are denied",
}


def _new_id() -> str:
    return "alert_" + secrets.token_hex(10)
