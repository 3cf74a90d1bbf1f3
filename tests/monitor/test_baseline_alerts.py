"""Alerts: an anomalous episode raises one alert, with the evidence to judge it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from proctor.errors import InvalidInput
from proctor.model import ActionClass, Label, Outcome
from proctor.monitor import (
    AlertKind,
    AlertRule,
    AnomalyFacts,
    Baselines,
    Observation,
    Severity,
    Trip,
    TripAction,
)
from tests.monitor.test_baseline import train

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def call(at: datetime, agent: str = "bot") -> Observation:
    return Observation(
        agent,
        "repo.set_permissions",
        ActionClass.MODIFY_PERMISSIONS,
        Label.INTERNAL,
        Outcome.ALLOW,
        at,
    )


def scored(score: float, *, learning: bool = False) -> AnomalyFacts:
    return AnomalyFacts(
        learning, True, True, False, 0.0, 0.0, score, ("first use of repo.set_permissions",)
    )


def test_one_episode_gives_one_alert() -> None:
    rule = AlertRule(threshold=0.7, quiet_period=timedelta(minutes=30))
    alerts = [
        rule.consider(call(START + timedelta(minutes=m)), scored(0.95)) for m in range(0, 90, 5)
    ]
    raised = [alert for alert in alerts if alert is not None]
    assert len(raised) == 1
    assert raised[0].created_at == START


def test_a_new_episode_after_the_quiet_period_alerts_again() -> None:
    rule = AlertRule(threshold=0.7, quiet_period=timedelta(minutes=30))
    assert rule.consider(call(START), scored(0.9)) is not None
    assert rule.consider(call(START + timedelta(minutes=29)), scored(0.9)) is None
    assert rule.consider(call(START + timedelta(minutes=60)), scored(0.9)) is not None


def test_other_agents_are_not_silenced() -> None:
    rule = AlertRule()
    assert rule.consider(call(START, "a"), scored(0.9)) is not None
    assert rule.consider(call(START, "b"), scored(0.9)) is not None


def test_the_threshold_is_inclusive_and_learning_never_alerts() -> None:
    rule = AlertRule(threshold=0.7)
    assert rule.consider(call(START, "a"), scored(0.69)) is None
    assert rule.consider(call(START, "b"), scored(0.7)) is not None
    assert rule.consider(call(START, "c"), scored(1.0, learning=True)) is None


def test_an_alert_carries_its_evidence_and_the_baseline() -> None:
    baselines = Baselines()
    last = train(baselines, "support-bot")
    rule = AlertRule(baselines=baselines)
    observation = Observation(
        "support-bot",
        "repo.set_permissions",
        ActionClass.MODIFY_PERMISSIONS,
        Label.INTERNAL,
        Outcome.ALLOW,
        last,
    )
    facts = baselines.facts(
        "support-bot", "repo.set_permissions", ActionClass.MODIFY_PERMISSIONS, Label.INTERNAL, last
    )
    alert = rule.consider(observation, facts)
    assert alert is not None
    assert alert.kind is AlertKind.ANOMALY
    assert alert.severity is Severity.HIGH
    assert alert.summary.startswith("support-bot: first use of action class modify_permissions")
    evidence = json.loads(json.dumps(alert.as_dict()))["evidence"]
    assert evidence["call"]["tool"] == "repo.set_permissions"
    assert "first use of repo.set_permissions" in evidence["facts"]["reasons"]
    assert "modify_permissions" not in evidence["baseline"]["action_classes"]
    assert evidence["baseline"]["tools"]
    assert len(evidence["baseline"]["recent_calls"]) == 16


def test_a_trip_becomes_a_breaker_alert() -> None:
    trip = Trip(
        "bot",
        "denials(5 within 1m)",
        TripAction.DENY,
        START,
        {"calls": [], "threshold": {"count": 5}},
    )
    alert = AlertRule().for_trip(trip)
    assert alert.kind is AlertKind.BREAKER
    assert alert.severity is Severity.CRITICAL
    assert "denials(5 within 1m)" in alert.summary
    assert alert.evidence["threshold"] == {"count": 5}
    json.dumps(alert.as_dict())


def test_alert_rule_settings_are_checked() -> None:
    with pytest.raises(InvalidInput):
        AlertRule(threshold=0)
    with pytest.raises(InvalidInput):
        AlertRule(quiet_period=timedelta(minutes=-1))
