"""The sliding windows one agent's breaker rules count in, each bounded by its rule."""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime
from functools import cache
from typing import Any

from proctor.model import Outcome
from proctor.monitor._facts import AnomalyFacts, Observation, OutcomeObservation
from proctor.monitor._rules import ActionBurst, AnomalyRun, BreakerRule, Denials, ErrorRate

#: Outcomes an error-rate rule keeps at most (the oldest drop out first).
MAX_OUTCOMES = 1024
#: A call made again (the same tool and fingerprint) counts once towards the denial
#: and error-rate rules for its first this many repeats: agents retry a denied or
#: failed call, and poll for a result, and one refused or failing call is one piece
#: of evidence, not three. Every repeat beyond counts again (an agent hammering one
#: call trips as before, a few calls later).
FREE_REPEATS = 3
#: The agent's latest calls remembered to recognise a repeat.
REPEAT_MEMORY = 8

#: A call as a rule remembers it: the observation and its anomaly score, if known.
Seen = tuple[Observation, float | None]


class RuleWindows:
    """Per-rule recent events of one agent; :meth:`call` and :meth:`outcome` say which
    rule (if any) tripped and with what evidence."""

    __slots__ = ("_call_rules", "_failed", "_outcome_rules", "_recent", "_rules", "_windows")

    def __init__(self, rules: tuple[BreakerRule, ...]):
        self._rules = rules
        self._call_rules, self._outcome_rules = _plan(rules)
        self._windows: list[deque[Any]] = [deque(maxlen=_capacity(rule)) for rule in rules]
        # Failures inside each error-rate window, kept in step with it.
        self._failed = [0] * len(rules)
        # The latest calls: (tool, fingerprint, times made again, counted). A tool's
        # outcome belongs to its latest call here (the gateway reports it right after).
        self._recent: deque[tuple[str, str | None, int, bool]] = deque(maxlen=REPEAT_MEMORY)

    def clear(self) -> None:
        for window in self._windows:
            window.clear()
        self._failed = [0] * len(self._rules)
        self._recent.clear()

    def _counted(self, observation: Observation) -> bool:
        """Remember the call; False when it is one of the first :data:`FREE_REPEATS`
        repeats of a recent call (it counts towards no denial or error-rate rule)."""
        tool, key = observation.tool, observation.call_key
        again = 0
        if key is not None:
            recent = self._recent
            for i in range(len(recent) - 1, -1, -1):
                if recent[i][0] == tool and recent[i][1] == key:
                    again = recent[i][2] + 1
                    del recent[i]
                    break
        counted = again == 0 or again > FREE_REPEATS
        self._recent.append((tool, key, again, counted))
        return counted

    def _outcome_counted(self, tool: str) -> bool:
        """Whether the outcome of ``tool``'s latest call counts (see :meth:`_counted`)."""
        for known, _, _, counted in reversed(self._recent):
            if known == tool:
                return counted
        return True

    def size(self) -> int:
        return sum(len(window) for window in self._windows)

    def call(
        self, observation: Observation, facts: AnomalyFacts | None
    ) -> tuple[BreakerRule, dict[str, Any]] | None:
        """Count one decided call; the first rule it trips, with the evidence."""
        at = observation.at
        score = facts.anomaly_score if facts is not None and not facts.learning else None
        seen: Seen = (observation, None if facts is None else facts.anomaly_score)
        counted = self._counted(observation)
        windows = self._windows
        for kind, index, rule in self._call_rules:
            window = windows[index]
            if kind == _DENIALS:
                if observation.outcome is not Outcome.DENY or not counted:
                    continue
                window.append(seen)
                if len(window) == rule.count and at - window[0][0].at <= rule.within:
                    return rule, _call_evidence(rule, window)
            elif kind == _ACTION_BURST:
                if observation.action is not rule.action:
                    continue
                window.append(seen)
                if len(window) == rule.count and at - window[0][0].at <= rule.within:
                    return rule, _call_evidence(rule, window)
            else:
                if score is None or score < rule.above:
                    window.clear()
                    continue
                window.append(seen)
                if len(window) == rule.calls:
                    return rule, _call_evidence(rule, window)
        return None

    def outcome(self, outcome: OutcomeObservation) -> tuple[BreakerRule, dict[str, Any]] | None:
        """Count one tool outcome; the error-rate rule it trips, with the evidence."""
        if not self._outcome_counted(outcome.tool):
            return None
        for index, rule in self._outcome_rules:
            window = self._windows[index]
            if len(window) == window.maxlen:
                self._failed[index] -= window.popleft().failed
            window.append(outcome)
            self._failed[index] += outcome.failed
            horizon = outcome.at - rule.within
            while window and window[0].at < horizon:
                self._failed[index] -= window.popleft().failed
            failed = self._failed[index]
            if len(window) >= rule.min_calls and failed * 100.0 >= rule.percent * len(window):
                evidence = {
                    "rule": rule.name,
                    "threshold": {
                        "percent": rule.percent,
                        "min_calls": rule.min_calls,
                        "within_s": rule.within.total_seconds(),
                    },
                    "failed": failed,
                    "outcomes": len(window),
                    "recent_outcomes": [
                        {"at": _iso(seen.at), "tool": seen.tool, "failed": seen.failed}
                        for seen in list(window)[-20:]
                    ],
                }
                return rule, evidence
        return None


#: The kinds of rule a call counts towards (error-rate rules count outcomes).
_DENIALS, _ACTION_BURST, _ANOMALY_RUN = "denials", "action_burst", "anomaly"
_CallRule = tuple[str, int, Any]


@cache
def _plan(
    rules: tuple[BreakerRule, ...],
) -> tuple[tuple[_CallRule, ...], tuple[tuple[int, ErrorRate], ...]]:
    """The rules a call counts towards, in order, each with its kind and index, and the
    error-rate rules with theirs (worked out once per set of rules, not per agent)."""
    calls: list[_CallRule] = []
    outcomes: list[tuple[int, ErrorRate]] = []
    for index, rule in enumerate(rules):
        if isinstance(rule, Denials):
            calls.append((_DENIALS, index, rule))
        elif isinstance(rule, ActionBurst):
            calls.append((_ACTION_BURST, index, rule))
        elif isinstance(rule, AnomalyRun):
            calls.append((_ANOMALY_RUN, index, rule))
        elif isinstance(rule, ErrorRate):
            outcomes.append((index, rule))
    return tuple(calls), tuple(outcomes)


def _capacity(rule: BreakerRule) -> int:
    if isinstance(rule, Denials | ActionBurst):
        return rule.count
    if isinstance(rule, AnomalyRun):
        return rule.calls
    return MAX_OUTCOMES


def _call_evidence(rule: BreakerRule, window: deque[Seen]) -> dict[str, Any]:
    threshold: dict[str, Any]
    if isinstance(rule, Denials):
        threshold = {"count": rule.count, "within_s": rule.within.total_seconds()}
    elif isinstance(rule, ActionBurst):
        threshold = {
            "action": str(rule.action),
            "count": rule.count,
            "within_s": rule.within.total_seconds(),
        }
    elif isinstance(rule, AnomalyRun):
        threshold = {"above": rule.above, "calls": rule.calls}
    else:
        threshold = {}
    return {
        "rule": rule.name,
        "threshold": threshold,
        "calls": [call_summary(observation, score) for observation, score in list(window)[-20:]],
    }


def call_summary(observation: Observation, score: float | None) -> dict[str, Any]:
    """One call as JSON-able evidence."""
    summary: dict[str, Any] = {
        "at": _iso(observation.at),
        "tool": observation.tool,
        "action": str(observation.action) if observation.action is not None else None,
        "label": str(observation.label),
        "outcome": str(observation.outcome),
    }
    if observation.resource is not None:
        summary["resource"] = observation.resource
    if observation.decision_id is not None:
        summary["decision_id"] = observation.decision_id
    if observation.delegated_to is not None:
        summary["delegated_to"] = observation.delegated_to
    if score is not None:
        summary["anomaly_score"] = round(score, 4)
    return summary


def _iso(at: datetime) -> str:
    return (at if at.tzinfo is not None else at.replace(tzinfo=UTC)).isoformat()
