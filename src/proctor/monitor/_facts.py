"""What the monitor sees of a call, and the anomaly facts it hands to the policies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from proctor.model import ActionClass, Label, Outcome


@dataclass(frozen=True, slots=True)
class Observation:
    """One decided call, as the gateway saw it.

    ``action`` is None for a tool missing from the inventory; ``label`` is the most
    sensitive label the call touches (the resource's, else the tool's);
    ``delegated_to`` is the sub-agent the call hands work to, if any; ``call_key`` is
    a short fingerprint of the call's arguments (equal arguments, equal key), if the
    caller computes one: it lets the monitor recognise the same call made again.
    ``resource`` and ``decision_id`` only go into evidence, so that a person reading
    an alert sees what each call touched and can find its audit entry.
    ``call_key_source``, when ``call_key`` is None, computes the key on the monitor's
    learner thread instead of the caller's (serializing arguments costs µs).
    """

    agent: str
    tool: str
    action: ActionClass | None
    label: Label
    outcome: Outcome
    at: datetime
    delegated_to: str | None = None
    call_key: str | None = None
    resource: str | None = None
    decision_id: str | None = None
    call_key_source: Callable[[], str] | None = None

    def keyed(self) -> Observation:
        """This observation with its ``call_key`` computed from ``call_key_source``."""
        if self.call_key is not None or self.call_key_source is None:
            return self
        call_key = self.call_key_source()
        # Observation(...) with call_key_source None, built through its slots (the
        # learner does this for every call; see build_facts).
        keyed = _new(Observation)
        _set_agent(keyed, self.agent)
        _set_tool(keyed, self.tool)
        _set_action(keyed, self.action)
        _set_label(keyed, self.label)
        _set_outcome(keyed, self.outcome)
        _set_at(keyed, self.at)
        _set_delegated_to(keyed, self.delegated_to)
        _set_call_key(keyed, call_key)
        _set_resource(keyed, self.resource)
        _set_decision_id(keyed, self.decision_id)
        _set_call_key_source(keyed, None)
        return keyed


@dataclass(frozen=True, slots=True)
class OutcomeObservation:
    """What happened when the agent ran a call it was allowed: did the tool fail?"""

    agent: str
    tool: str
    failed: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class AnomalyFacts:
    """How far one call departs from its agent's own normal behaviour.

    ``docs/monitoring.md`` defines every field. Cedar has no floating-point numbers:
    policies read :meth:`as_context`, where scores and rates are whole percents and
    ``rate_zscore`` is rounded toward zero.
    """

    #: The agent is still in its learning period: nothing is known to be normal yet.
    learning: bool
    #: The agent never called this tool before (always true while learning).
    new_tool: bool
    #: The agent never used this action class before (always true while learning).
    new_action_class: bool
    #: The call touches a label above the most sensitive one the agent normally touches.
    label_escalation: bool
    #: Robust z-score of the agent's current call rate against its own baseline.
    rate_zscore: float
    #: Share of the agent's recent calls (up to its last 16) that were denied, 0-1.
    deny_rate: float
    #: Combined evidence that this call is abnormal, 0-1.
    anomaly_score: float
    #: Short human phrases saying why, most telling first.
    reasons: tuple[str, ...] = ()
    #: The call hands work to a sub-agent this agent never delegated to before.
    new_delegate: bool = False

    @property
    def anomaly_percent(self) -> int:
        """``anomaly_score`` as a whole percent, 0-100 (the Cedar-facing value)."""
        return _percent(self.anomaly_score)

    @property
    def deny_percent(self) -> int:
        """``deny_rate`` as a whole percent, 0-100."""
        return _percent(self.deny_rate)

    @property
    def rate_sigma(self) -> int:
        """``rate_zscore`` rounded toward zero and clamped to +-99."""
        return max(-99, min(99, int(self.rate_zscore)))

    def as_context(self) -> dict[str, Any]:
        """The facts as a Cedar record (``context.monitor``): booleans and integers only."""
        return {
            "learning": self.learning,
            "new_tool": self.new_tool,
            "new_action_class": self.new_action_class,
            "new_delegate": self.new_delegate,
            "label_escalation": self.label_escalation,
            "rate_zscore": self.rate_sigma,
            "deny_rate": self.deny_percent,
            "anomaly_score": self.anomaly_percent,
        }

    def as_dict(self) -> dict[str, Any]:
        """The facts as JSON-able values, with the exact floats and the reasons."""
        return {
            "learning": self.learning,
            "new_tool": self.new_tool,
            "new_action_class": self.new_action_class,
            "new_delegate": self.new_delegate,
            "label_escalation": self.label_escalation,
            "rate_zscore": round(self.rate_zscore, 2),
            "deny_rate": round(self.deny_rate, 4),
            "anomaly_score": round(self.anomaly_score, 4),
            "reasons": list(self.reasons),
        }

    @classmethod
    def unavailable(cls, reason: str) -> AnomalyFacts:
        """Facts for when the monitor cannot judge a call: fail closed, score 1.0."""
        return cls(
            learning=True,
            new_tool=True,
            new_action_class=True,
            label_escalation=True,
            rate_zscore=0.0,
            deny_rate=0.0,
            anomaly_score=1.0,
            reasons=(f"monitor unavailable: {reason}",),
            new_delegate=True,
        )


# Each field's slot, set directly: a frozen dataclass's own __init__ goes through
# object.__setattr__ once per field, which makes it twice as slow.
_new = object.__new__
(
    _set_learning,
    _set_new_tool,
    _set_new_action_class,
    _set_label_escalation,
    _set_rate_zscore,
    _set_deny_rate,
    _set_anomaly_score,
    _set_reasons,
    _set_new_delegate,
) = (getattr(AnomalyFacts, field.name).__set__ for field in fields(AnomalyFacts))


(
    _set_agent,
    _set_tool,
    _set_action,
    _set_label,
    _set_outcome,
    _set_at,
    _set_delegated_to,
    _set_call_key,
    _set_resource,
    _set_decision_id,
    _set_call_key_source,
) = (getattr(Observation, field.name).__set__ for field in fields(Observation))


def build_facts(
    learning: bool,
    new_tool: bool,
    new_action_class: bool,
    label_escalation: bool,
    rate_zscore: float,
    deny_rate: float,
    anomaly_score: float,
    reasons: tuple[str, ...],
    new_delegate: bool,
) -> AnomalyFacts:
    """``AnomalyFacts(...)`` with every field given in order: the same value, built in
    half the time (the monitor builds two or three per call)."""
    facts = _new(AnomalyFacts)
    _set_learning(facts, learning)
    _set_new_tool(facts, new_tool)
    _set_new_action_class(facts, new_action_class)
    _set_label_escalation(facts, label_escalation)
    _set_rate_zscore(facts, rate_zscore)
    _set_deny_rate(facts, deny_rate)
    _set_anomaly_score(facts, anomaly_score)
    _set_reasons(facts, reasons)
    _set_new_delegate(facts, new_delegate)
    return facts


def _percent(value: float) -> int:
    return max(0, min(100, round(value * 100)))
