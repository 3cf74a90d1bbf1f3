"""Behavioural baselines: what a steady agent looks like, and what departs from it."""

from __future__ import annotations

import json
import random
import threading
from datetime import UTC, datetime, timedelta

import pytest

from proctor.errors import InvalidInput
from proctor.model import ActionClass, Label, Outcome
from proctor.monitor import AnomalyFacts, Baselines, BaselineSettings, Observation

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
READ, WRITE = ActionClass.READ, ActionClass.WRITE
#: A support bot's tools: (name, action class, label, weight).
TOOLS = (
    ("tickets.read", READ, Label.INTERNAL, 5),
    ("kb.search", READ, Label.PUBLIC, 3),
    ("tickets.update", WRITE, Label.INTERNAL, 2),
)


def train(
    baselines: Baselines,
    agent: str = "support-bot",
    *,
    days: float = 2.0,
    per_hour: float = 60.0,
    seed: int = 7,
    start: datetime = START,
) -> datetime:
    """Feed ``days`` of steady traffic (Poisson arrivals, a fixed tool mix); returns
    the time of the last call."""
    rng = random.Random(seed)
    at, end = start, start + timedelta(days=days)
    while True:
        at += timedelta(seconds=rng.expovariate(per_hour / 3600.0))
        if at >= end:
            return at
        name, action, label, _ = rng.choices(TOOLS, [t[3] for t in TOOLS])[0]
        facts = baselines.facts(agent, name, action, label, at)
        baselines.observe(Observation(agent, name, action, label, Outcome.ALLOW, at), facts)


def call(
    baselines: Baselines,
    tool: str,
    action: ActionClass | None,
    label: Label,
    at: datetime,
    *,
    agent: str = "support-bot",
    outcome: Outcome = Outcome.ALLOW,
    delegated_to: str | None = None,
) -> AnomalyFacts:
    """One call as the gateway makes it: facts before, observation after."""
    facts = baselines.facts(agent, tool, action, label, at, delegated_to=delegated_to)
    observation = Observation(agent, tool, action, label, outcome, at, delegated_to)
    baselines.observe(observation, facts)
    return facts


@pytest.fixture
def trained() -> tuple[Baselines, datetime]:
    baselines = Baselines()
    return baselines, train(baselines)


def test_a_steady_agent_looks_normal(trained: tuple[Baselines, datetime]) -> None:
    baselines, last = trained
    facts = baselines.facts("support-bot", "tickets.read", READ, Label.INTERNAL, last)
    assert not facts.learning
    assert not (facts.new_tool)
    assert not (facts.new_action_class)
    assert not (facts.label_escalation)
    assert not facts.new_delegate
    assert abs(facts.rate_zscore) < 3
    assert facts.anomaly_score < 0.3
    assert facts.reasons == ()


def test_steady_traffic_rarely_scores_high() -> None:
    """A day of steady traffic after learning: no call reaches the alert level."""
    baselines = Baselines()
    last = train(baselines)
    rng = random.Random(99)
    at, high = last, 0
    for _ in range(1500):
        at += timedelta(seconds=rng.expovariate(60 / 3600.0))
        name, action, label, _ = rng.choices(TOOLS, [t[3] for t in TOOLS])[0]
        high += call(baselines, name, action, label, at).anomaly_score >= 0.7
    assert high == 0


def test_first_use_of_a_tool_is_flagged_with_a_reason(trained: tuple[Baselines, datetime]) -> None:
    baselines, last = trained
    facts = baselines.facts("support-bot", "kb.export", READ, Label.INTERNAL, last)
    assert facts.new_tool
    assert not facts.new_action_class
    assert "first use of kb.export" in facts.reasons
    assert facts.anomaly_score >= 0.7


def test_first_use_of_an_action_class_is_flagged(trained: tuple[Baselines, datetime]) -> None:
    baselines, last = trained
    facts = baselines.facts(
        "support-bot", "repo.set_permissions", ActionClass.MODIFY_PERMISSIONS, Label.INTERNAL, last
    )
    assert facts.new_tool
    assert facts.new_action_class
    assert facts.reasons[0] == "first use of action class modify_permissions"
    assert facts.anomaly_score >= 0.9


def test_an_unknown_tool_is_a_new_action_class(trained: tuple[Baselines, datetime]) -> None:
    baselines, last = trained
    facts = baselines.facts("support-bot", "mystery", None, Label.INTERNAL, last)
    assert facts.new_action_class
    assert "first use of action class unclassified" in facts.reasons


def test_touching_a_more_sensitive_label_is_an_escalation(
    trained: tuple[Baselines, datetime],
) -> None:
    baselines, last = trained
    one_step = baselines.facts("support-bot", "tickets.read", READ, Label.CONFIDENTIAL, last)
    two_steps = baselines.facts("support-bot", "tickets.read", READ, Label.RESTRICTED, last)
    assert one_step.label_escalation
    assert two_steps.label_escalation
    assert "touches confidential data; normally at most internal" in one_step.reasons
    assert two_steps.anomaly_score > one_step.anomaly_score
    usual = baselines.facts("support-bot", "kb.search", READ, Label.PUBLIC, last)
    assert not usual.label_escalation


def test_a_runaway_loop_raises_the_rate_and_the_score(trained: tuple[Baselines, datetime]) -> None:
    """One tool called every second (60 times the agent's rate) is caught within ten calls."""
    baselines, last = trained
    at = last + timedelta(seconds=60)
    scores, zscores = [], []
    for _ in range(10):
        at += timedelta(seconds=1)
        facts = call(baselines, "tickets.update", WRITE, Label.INTERNAL, at)
        scores.append(facts.anomaly_score)
        zscores.append(facts.rate_zscore)
    assert max(scores) >= 0.7
    assert max(zscores) > 4
    assert any("calls of" in reason for reason in facts.reasons)


def test_a_brief_pair_of_calls_is_not_a_burst(trained: tuple[Baselines, datetime]) -> None:
    baselines, last = trained
    call(baselines, "tickets.read", READ, Label.INTERNAL, last + timedelta(seconds=30))
    facts = call(baselines, "tickets.read", READ, Label.INTERNAL, last + timedelta(seconds=31))
    assert facts.anomaly_score < 0.7


def test_a_run_of_denials_raises_the_deny_rate(trained: tuple[Baselines, datetime]) -> None:
    baselines, last = trained
    at = last
    for _ in range(8):
        at += timedelta(seconds=60)
        call(baselines, "tickets.update", WRITE, Label.INTERNAL, at, outcome=Outcome.DENY)
    facts = baselines.facts("support-bot", "tickets.update", WRITE, Label.INTERNAL, at)
    assert facts.deny_rate == pytest.approx(8 / 16)
    assert facts.deny_percent == 50
    assert any("calls denied" in reason for reason in facts.reasons)


def test_a_first_delegation_is_flagged(trained: tuple[Baselines, datetime]) -> None:
    baselines, last = trained
    at = last + timedelta(minutes=1)
    facts = call(baselines, "tickets.read", READ, Label.INTERNAL, at, delegated_to="helper-bot")
    assert facts.new_delegate
    assert "first delegation to helper-bot" in facts.reasons
    again = baselines.facts(
        "support-bot", "tickets.read", READ, Label.INTERNAL, at, delegated_to="helper-bot"
    )
    assert not again.new_delegate


def test_a_new_agent_starts_learning_with_conservative_facts() -> None:
    baselines = Baselines()
    facts = baselines.facts("fresh-bot", "kb.search", READ, Label.PUBLIC, START)
    assert facts.learning
    assert facts.new_tool
    assert facts.new_action_class
    assert facts.label_escalation
    assert facts.anomaly_score == BaselineSettings().learning_floor
    assert facts.reasons[0].startswith("learning:")


def test_learning_needs_both_enough_calls_and_a_day() -> None:
    baselines = Baselines(settings=BaselineSettings(learning_calls=300))
    busy = train(baselines, days=0.5, per_hour=1200)  # ~6,000 calls in half a day
    assert baselines.facts("support-bot", "kb.search", READ, Label.PUBLIC, busy).learning
    quiet = Baselines(settings=BaselineSettings(learning_calls=300))
    last = train(quiet, days=3.0, per_hour=3)  # ~216 calls in three days
    assert quiet.facts("support-bot", "kb.search", READ, Label.PUBLIC, last).learning
    later = train(quiet, days=2.0, per_hour=3, start=last)
    assert not quiet.facts("support-bot", "kb.search", READ, Label.PUBLIC, later).learning


def test_the_learning_floor_is_a_setting() -> None:
    baselines = Baselines(settings=BaselineSettings(learning_floor=0.8))
    assert baselines.facts("new", "t", READ, Label.PUBLIC, START).anomaly_score == 0.8


def test_facts_change_nothing(trained: tuple[Baselines, datetime]) -> None:
    baselines, last = trained
    before = json.dumps(baselines.describe("support-bot"), sort_keys=True)
    for label in Label:
        baselines.facts("support-bot", "never.seen", None, label, last)
    assert json.dumps(baselines.describe("support-bot"), sort_keys=True) == before


def test_anomalous_calls_are_learned_at_a_tenth_of_their_weight(
    trained: tuple[Baselines, datetime],
) -> None:
    """An exfiltration does not teach the baseline that restricted data is normal."""
    baselines, last = trained
    at = last
    for _ in range(3):
        at += timedelta(minutes=1)
        call(baselines, "tickets.read", READ, Label.RESTRICTED, at)
    facts = baselines.facts("support-bot", "tickets.read", READ, Label.RESTRICTED, at)
    assert facts.label_escalation
    undampened = Baselines()
    last = train(undampened)
    for minute in range(3):
        observation = Observation(
            "support-bot",
            "tickets.read",
            READ,
            Label.RESTRICTED,
            Outcome.ALLOW,
            last + timedelta(minutes=minute),
        )
        undampened.observe(observation)  # no facts: learned at full weight
    learned = undampened.facts("support-bot", "tickets.read", READ, Label.RESTRICTED, at)
    assert not learned.label_escalation


def test_cedar_sees_integers_and_booleans_only(trained: tuple[Baselines, datetime]) -> None:
    baselines, last = trained
    facts = baselines.facts("support-bot", "kb.export", READ, Label.RESTRICTED, last)
    context = facts.as_context()
    assert set(context) == {
        "learning",
        "new_tool",
        "new_action_class",
        "new_delegate",
        "label_escalation",
        "rate_zscore",
        "deny_rate",
        "anomaly_score",
    }
    assert all(type(value) in (bool, int) for value in context.values())
    assert context["anomaly_score"] == round(facts.anomaly_score * 100)
    assert 0 <= context["anomaly_score"] <= 100
    json.dumps(facts.as_dict())


def test_scores_are_whole_percents_clamped() -> None:
    facts = AnomalyFacts(False, False, False, False, 250.0, 1.0, 0.706, ())
    assert facts.anomaly_percent == 71
    assert AnomalyFacts(False, False, False, False, 0.0, 0.0, 0.704).anomaly_percent == 70
    assert facts.rate_sigma == 99
    assert facts.deny_percent == 100
    assert AnomalyFacts(False, False, False, False, -3.7, 0.0, 0.0).rate_sigma == -3


def test_unavailable_facts_fail_closed() -> None:
    facts = AnomalyFacts.unavailable("store down")
    assert facts.anomaly_score == 1.0
    assert facts.learning
    assert facts.new_tool
    assert facts.reasons == ("monitor unavailable: store down",)


def test_timestamps_without_a_zone_are_utc(trained: tuple[Baselines, datetime]) -> None:
    baselines, last = trained
    aware = baselines.facts("support-bot", "kb.search", READ, Label.PUBLIC, last)
    naive = baselines.facts(
        "support-bot", "kb.search", READ, Label.PUBLIC, last.replace(tzinfo=None)
    )
    assert aware == naive


def test_settings_refuse_nonsense() -> None:
    with pytest.raises(InvalidInput):
        BaselineSettings(learning_calls=0)
    with pytest.raises(InvalidInput):
        BaselineSettings(learning_floor=1.5)
    with pytest.raises(InvalidInput):
        BaselineSettings(recent_calls=1000)


def test_concurrent_checks_and_observations_lose_nothing() -> None:
    baselines = Baselines()
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            at = START + timedelta(seconds=n)
            for i in range(500):
                agent = f"agent-{i % 3}"
                moment = at + timedelta(seconds=i * 10)
                facts = baselines.facts(agent, f"tool-{i % 5}", READ, Label.INTERNAL, moment)
                observation = Observation(
                    agent, f"tool-{i % 5}", READ, Label.INTERNAL, Outcome.ALLOW, moment
                )
                baselines.observe(observation, facts)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(baselines.describe(f"agent-{n}")["calls"] for n in range(3)) == 2000
