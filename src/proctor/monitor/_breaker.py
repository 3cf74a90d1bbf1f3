"""Circuit breakers: the system's automatic stop for one agent.

``closed`` → a rule trips → ``open`` (calls held or denied, ``on_trip``) → after the
cool-down ``half_open`` (the next calls are probes) → ``probe_calls`` good probes →
``closed``; a bad probe opens it again. A person may close it at any time with a
reason. The kill switch is a person's hard stop for everyone; a breaker is this.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from proctor.errors import Conflict, InvalidInput, StoreError
from proctor.monitor._breaker_windows import RuleWindows, call_summary
from proctor.monitor._events import (
    BreakerEvent,
    BreakerState,
    BreakerStatus,
    HalfOpen,
    Listeners,
    Reset,
    Trip,
    TripAction,
)
from proctor.monitor._facts import AnomalyFacts, Observation, OutcomeObservation
from proctor.monitor._monitor_store import BREAKERS_VERSION_KEY, BreakerRecord, BreakerStore
from proctor.monitor._rules import BreakerRule, anomaly, denials, error_rate, parse_duration
from proctor.monitor._rules import action_burst as _action_burst
from proctor.monitor._rules import parse_rules as _parse_rules
from proctor.store import ChangeWatch, utcnow

_log = logging.getLogger("proctor.monitor")
#: Who the store names for the breaker's own transitions.
SYSTEM_ACTOR = "proctor"

DEFAULT_RULES: tuple[BreakerRule, ...] = (
    denials(5, timedelta(minutes=1)),
    anomaly(0.9, 5),
    error_rate(50.0, 10, timedelta(minutes=5)),
    _action_burst("modify_permissions", 8, timedelta(minutes=1)),
)


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    """The rules and what a trip does; :meth:`from_mapping` reads ``proctor.yaml``."""

    rules: tuple[BreakerRule, ...] = DEFAULT_RULES
    on_trip: TripAction = TripAction.HOLD
    cool_down: timedelta = timedelta(minutes=15)
    #: Good calls a half-open breaker needs before it closes.
    probe_calls: int = 5
    #: A half-open probe scoring at least this (not learning) opens the breaker again.
    probe_max_score: float = 0.7
    #: Closed agents whose windows are kept in memory (tripped ones are always kept).
    max_agents: int = 10_000

    def __post_init__(self) -> None:
        if self.cool_down < timedelta(0) or self.probe_calls < 1 or self.max_agents < 1:
            raise InvalidInput("cool_down >= 0, probe_calls >= 1 and max_agents >= 1")
        if not 0.0 < self.probe_max_score <= 1.0:
            raise InvalidInput("probe_max_score must be in (0, 1]")

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> BreakerSettings:
        """``{on_trip, cool_down, probe_calls, probe_max_score, rules}``, all optional."""
        known = {"on_trip", "cool_down", "probe_calls", "probe_max_score", "rules"}
        unknown = set(raw) - known
        if unknown:
            raise InvalidInput(f"unknown breaker settings: {', '.join(sorted(map(str, unknown)))}")
        values: dict[str, Any] = {}
        if "rules" in raw:
            values["rules"] = _parse_rules(raw["rules"])
        if "on_trip" in raw:
            try:
                values["on_trip"] = TripAction(raw["on_trip"])
            except ValueError:
                raise InvalidInput("on_trip is hold or deny") from None
        if "cool_down" in raw:
            values["cool_down"] = parse_duration(raw["cool_down"])
        if "probe_calls" in raw:
            if isinstance(raw["probe_calls"], bool) or not isinstance(raw["probe_calls"], int):
                raise InvalidInput("probe_calls is a whole number")
            values["probe_calls"] = raw["probe_calls"]
        if "probe_max_score" in raw:
            score = raw["probe_max_score"]
            if isinstance(score, bool) or not isinstance(score, int | float):
                raise InvalidInput("probe_max_score is a number in (0, 1]")
            values["probe_max_score"] = float(score)
        return cls(**values)


@dataclass(slots=True)
class _Tripped:
    status: BreakerStatus
    rule: str
    opened_at: datetime
    trips: int
    probes: int = 0
    evidence: Mapping[str, Any] = field(default_factory=dict)


class Breakers:
    """Every agent's breaker. :meth:`state` is the hot path (memory only);
    :meth:`observe` and :meth:`observe_outcome` count after the decision and return
    the :class:`Trip` when a rule trips. Subscribe to :attr:`listeners` for every
    event (trips, half-opens, resets) to audit and alert them."""

    def __init__(
        self,
        settings: BreakerSettings | None = None,
        *,
        store: BreakerStore | None = None,
        clock: Callable[[], datetime] = utcnow,
        poll_interval_s: float = 1.0,
    ):
        self._settings = settings or BreakerSettings()
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()
        self.listeners = Listeners()
        self._tripped: dict[str, _Tripped] = {}
        self._windows: OrderedDict[str, RuleWindows] = OrderedDict()
        # Closed states already built (read without the lock: a race builds one twice).
        self._closed_states: dict[str, BreakerState] = {}
        self._watch: ChangeWatch | None = None
        self._version = 0
        if store is not None:
            self._watch = ChangeWatch(store.database, BREAKERS_VERSION_KEY, poll_interval_s)
            self._reload()

    @property
    def settings(self) -> BreakerSettings:
        return self._settings

    def state(self, agent: str, at: datetime | None = None) -> BreakerState:
        """The agent's breaker now (or at ``at``); an open breaker whose cool-down is
        over turns half-open here."""
        if self._watch is not None and self._watch.moved_since(self._version):
            self._reload()
        tripped = self._tripped.get(agent)
        if tripped is None:
            return self._closed_state(agent)
        moment = at or self._clock()
        event: HalfOpen | None = None
        with self._lock:
            tripped = self._tripped.get(agent)
            if tripped is None:
                return self._closed_state(agent)
            event = self._maybe_half_open(agent, tripped, moment)
            state = self._state_of(agent, tripped)
        if event is not None:
            self.listeners.publish(event)
        return state

    def _closed_state(self, agent: str) -> BreakerState:
        """The agent's closed breaker, as :meth:`state` returns it: one value per agent,
        kept for the next call (at most ``max_agents``; they are built again after)."""
        closed = self._closed_states.get(agent)
        if closed is None:
            if len(self._closed_states) >= self._settings.max_agents:
                self._closed_states.clear()
            closed = BreakerState(agent, BreakerStatus.CLOSED, self._settings.on_trip)
            self._closed_states[agent] = closed
        return closed

    def tripped(self) -> list[BreakerState]:
        """Every breaker that is open or half-open, read as :meth:`state` reads it (an
        open breaker past its cool-down turns half-open here)."""
        with self._lock:
            agents = list(self._tripped)
        states = (self.state(agent) for agent in agents)
        return [state for state in states if state.status is not BreakerStatus.CLOSED]

    def observe(self, observation: Observation, facts: AnomalyFacts | None = None) -> Trip | None:
        """Count one decided call (with its anomaly facts, if known)."""
        agent = observation.agent
        events: list[BreakerEvent] = []
        trip: Trip | None = None
        with self._lock:
            tripped = self._tripped.get(agent)
            if tripped is not None:
                half_open = self._maybe_half_open(agent, tripped, observation.at)
                if half_open is not None:
                    events.append(half_open)
                if tripped.status is BreakerStatus.OPEN:
                    return None  # held or denied by the breaker: not the agent's doing
            hit = self._windows_of(agent).call(observation, facts)
            if hit is not None:
                trip = self._open(agent, hit[0].name, hit[1], observation.at)
            elif tripped is not None:
                score = facts.anomaly_score if facts is not None else None
                problem = _bad_probe(observation, facts, self._settings.probe_max_score)
                if problem:
                    evidence = {
                        "rule": "probe",
                        "problem": problem,
                        "calls": [call_summary(observation, score)],
                    }
                    trip = self._open(agent, f"probe failed: {problem}", evidence, observation.at)
                else:
                    tripped.probes += 1
                    if tripped.probes >= self._settings.probe_calls:
                        reason = f"{tripped.probes} good calls after the cool-down"
                        self._close(agent, SYSTEM_ACTOR, reason, observation.at)
                        events.append(Reset(agent, SYSTEM_ACTOR, reason, observation.at, True))
        if trip is not None:
            events.append(trip)
        for event in events:
            self.listeners.publish(event)
        return trip

    def observe_outcome(self, outcome: OutcomeObservation) -> Trip | None:
        """Count one tool outcome (for the error-rate rules)."""
        agent = outcome.agent
        trip: Trip | None = None
        with self._lock:
            tripped = self._tripped.get(agent)
            if tripped is not None and tripped.status is BreakerStatus.OPEN:
                return None
            hit = self._windows_of(agent).outcome(outcome)
            if hit is not None:
                trip = self._open(agent, hit[0].name, hit[1], outcome.at)
        if trip is not None:
            self.listeners.publish(trip)
        return trip

    def reset(self, agent: str, *, by: str, reason: str) -> Reset:
        """A person closes the agent's breaker; ``reason`` is required."""
        by, reason = by.strip(), reason.strip()
        if not by:
            raise InvalidInput("a breaker reset needs the person who resets it")
        if not reason:
            raise InvalidInput("a breaker reset needs a reason", code="reason_required")
        at = self._clock()
        with self._lock:
            if agent not in self._tripped and self._store is not None:
                self._reload_locked()
            if agent not in self._tripped:
                raise Conflict(f"the breaker of {agent} is not tripped", code="breaker_not_tripped")
            self._close(agent, by, reason, at)
        event = Reset(agent, by, reason, at)
        self.listeners.publish(event)
        return event

    def agents_in_memory(self) -> int:
        """Agents whose rule windows are held (tripped agents are always held too)."""
        with self._lock:
            return len(self._windows)

    def close(self) -> None:
        """Deliver the events still queued to the listeners and stop their thread."""
        self.listeners.close()

    # -- under the lock ------------------------------------------------------------

    def _windows_of(self, agent: str) -> RuleWindows:
        windows = self._windows.get(agent)
        if windows is None:
            windows = self._windows[agent] = RuleWindows(self._settings.rules)
            while len(self._windows) > self._settings.max_agents:
                self._windows.popitem(last=False)
        else:
            self._windows.move_to_end(agent)
        return windows

    def _maybe_half_open(self, agent: str, tripped: _Tripped, at: datetime) -> HalfOpen | None:
        if tripped.status is not BreakerStatus.OPEN:
            return None
        if at < tripped.opened_at + self._settings.cool_down:
            return None
        tripped.status = BreakerStatus.HALF_OPEN
        tripped.probes = 0
        return HalfOpen(agent, tripped.rule, at)

    def _state_of(self, agent: str, tripped: _Tripped) -> BreakerState:
        until = tripped.opened_at + self._settings.cool_down
        return BreakerState(
            agent,
            tripped.status,
            self._settings.on_trip,
            rule=tripped.rule,
            opened_at=tripped.opened_at,
            cool_down_until=until if tripped.status is BreakerStatus.OPEN else None,
        )

    def _open(self, agent: str, rule: str, evidence: dict[str, Any], at: datetime) -> Trip:
        previous = self._tripped.get(agent)
        trips = previous.trips + 1 if previous is not None else 1
        self._tripped[agent] = _Tripped(BreakerStatus.OPEN, rule, at, trips, evidence=evidence)
        self._windows_of(agent).clear()
        self._save(BreakerRecord(agent, "open", rule, at, trips, SYSTEM_ACTOR, rule, at, evidence))
        return Trip(agent, rule, self._settings.on_trip, at, evidence=evidence)

    def _close(self, agent: str, by: str, reason: str, at: datetime) -> None:
        tripped = self._tripped.pop(agent)
        self._windows_of(agent).clear()
        self._save(
            BreakerRecord(agent, "closed", tripped.rule, None, tripped.trips, by, reason, at)
        )

    def _save(self, record: BreakerRecord) -> None:
        # Written under the lock so that a concurrent reload never reads the store
        # between a transition in memory and its row: transitions are rare.
        if self._store is None:
            return
        try:
            version = self._store.put(record)
        except StoreError:
            # The transition holds in this process even if the store is down.
            _log.exception("could not save the breaker of %s", record.agent)
            return
        if version == self._version + 1:
            # Only our own write since the last read: nothing to reload for it (a
            # reload runs on the check that notices the counter moved).
            self._version = version

    def _reload(self) -> None:
        with self._lock:
            self._reload_locked()

    def _reload_locked(self) -> None:
        assert self._store is not None
        try:
            version, records = self._store.not_closed()
        except StoreError:
            _log.exception("could not read the breakers; keeping the ones in memory")
            return
        current = {record.agent: record for record in records}
        for agent in list(self._tripped):
            if agent not in current:
                del self._tripped[agent]
        for agent, record in current.items():
            known = self._tripped.get(agent)
            if known is not None and known.opened_at == record.opened_at:
                continue
            opened_at = record.opened_at or record.changed_at
            self._tripped[agent] = _Tripped(
                BreakerStatus.OPEN, record.rule, opened_at, record.trips, evidence=record.evidence
            )
        self._version = version


def _bad_probe(observation: Observation, facts: AnomalyFacts | None, limit: float) -> str:
    if facts is not None and not facts.learning and facts.anomaly_score >= limit:
        return f"anomaly score {facts.anomaly_score:.2f}"
    return ""
