"""The hot path's facts (``Baselines.screen``) against the exact facts the learner
computes (``Baselines.learn``): what is judged for the call itself is the same; the
rate, burst and denial evidence is the agent's latest call's, for a minute."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from proctor.model import ActionClass, Label, Outcome
from proctor.monitor import Baselines, BaselineSettings, Observation

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
READ, WRITE, PERMS = ActionClass.READ, ActionClass.WRITE, ActionClass.MODIFY_PERMISSIONS
SETTINGS = BaselineSettings(learning_calls=50, learning_period=timedelta(hours=1))
TOOLS = (
    ("tickets.read", READ, Label.INTERNAL),
    ("kb.search", READ, Label.PUBLIC),
    ("tickets.update", WRITE, Label.INTERNAL),
)


def learn(
    baselines: Baselines,
    tool: str,
    action: ActionClass | None,
    label: Label,
    at: datetime,
    *,
    key: str | None = None,
    outcome: Outcome = Outcome.ALLOW,
) -> None:
    baselines.learn(Observation("bot", tool, action, label, outcome, at, call_key=key))


def steady(baselines: Baselines, *, calls: int = 400, seed: int = 3) -> datetime:
    """``calls`` calls a minute apart on average; returns the last call's time."""
    rng = random.Random(seed)
    at = START
    for _ in range(calls):
        at += timedelta(seconds=rng.expovariate(1 / 60))
        name, action, label = rng.choice(TOOLS)
        learn(baselines, name, action, label, at, key=f"{name}#{rng.randrange(10_000)}")
    return at


def test_learn_returns_the_facts_the_call_had_just_before_it() -> None:
    judged, learned = Baselines(settings=SETTINGS), Baselines(settings=SETTINGS)
    rng = random.Random(11)
    at = START
    for n in range(600):
        at += timedelta(seconds=rng.expovariate(1 / 30 if n % 100 < 90 else 2.0))
        name, action, label = rng.choice(TOOLS)
        key = f"{name}#{rng.randrange(5)}"
        facts = judged.facts("bot", name, action, label, at, call_key=key)
        observation = Observation("bot", name, action, label, Outcome.ALLOW, at, call_key=key)
        judged.observe(observation, facts)
        assert learned.learn(observation) == facts
    assert judged.state("bot") == learned.state("bot")


def test_the_hot_path_judges_the_call_itself_exactly() -> None:
    baselines = Baselines(settings=SETTINGS)
    at = steady(baselines)
    cases = [
        ("tickets.read", READ, Label.INTERNAL, None),
        ("repo.set_permissions", PERMS, Label.CONFIDENTIAL, None),
        ("tickets.read", READ, Label.RESTRICTED, None),
        ("tickets.update", WRITE, Label.INTERNAL, "helper-bot"),
        ("unknown.tool", None, Label.INTERNAL, None),
    ]
    for tool, action, label, delegate in cases:
        later = at + timedelta(minutes=5)  # past the carried evidence: nothing else differs
        hot = baselines.screen("bot", tool, action, label, later, delegated_to=delegate)
        exact = baselines.facts("bot", tool, action, label, later, delegated_to=delegate)
        assert (hot.learning, hot.new_tool, hot.new_action_class) == (
            exact.learning,
            exact.new_tool,
            exact.new_action_class,
        )
        assert (hot.label_escalation, hot.new_delegate) == (
            exact.label_escalation,
            exact.new_delegate,
        )
        assert hot.deny_rate == exact.deny_rate
        assert abs(hot.anomaly_score - exact.anomaly_score) < 1e-9, (tool, hot, exact)


def test_a_loop_the_learner_found_shows_on_the_next_call_for_a_minute() -> None:
    baselines = Baselines(settings=SETTINGS)
    at = steady(baselines)
    for _ in range(12):  # the same write every second: a loop
        at += timedelta(seconds=1)
        learn(baselines, "tickets.update", WRITE, Label.INTERNAL, at, key="same")
    exact = baselines.facts("bot", "tickets.update", WRITE, Label.INTERNAL, at, call_key="same")
    soon = baselines.screen("bot", "kb.search", READ, Label.PUBLIC, at + timedelta(seconds=1))
    assert exact.anomaly_score >= 0.9
    assert soon.anomaly_score >= 0.9
    assert any("repeating recent calls" in reason for reason in soon.reasons)
    later = baselines.screen("bot", "kb.search", READ, Label.PUBLIC, at + timedelta(minutes=2))
    assert later.anomaly_score < 0.5
    assert later.rate_zscore == 0.0


def test_a_learning_agent_is_learning_on_the_hot_path_too() -> None:
    baselines = Baselines(settings=SETTINGS)
    first = baselines.screen("new-bot", "kb.search", READ, Label.PUBLIC, START)
    assert first.learning
    assert first.new_tool
    assert first.anomaly_score >= 0.5
    baselines.learn(Observation("new-bot", "kb.search", READ, Label.PUBLIC, Outcome.ALLOW, START))
    second = baselines.screen(
        "new-bot", "kb.search", READ, Label.PUBLIC, START, delegated_to="helper"
    )
    assert second.learning
    assert second.new_delegate


def test_the_rest_of_an_anomalous_episode_is_learned_dampened() -> None:
    baselines = Baselines(settings=SETTINGS)
    at = steady(baselines)
    for n in range(8):  # a permission spree: the first change is new, the rest follow
        at += timedelta(seconds=20)
        learn(baselines, "repo.set_permissions", PERMS, Label.CONFIDENTIAL, at, key=f"r{n}")
    [weight, *_] = baselines.state("bot")["tools"]["repo.set_permissions"]
    # Eight calls at a tenth of their weight (a little decayed), not one plus seven.
    assert 0.7 < weight < 0.85


def test_a_send_right_after_reading_data_above_the_tools_usual_labels_is_flagged() -> None:
    baselines = Baselines(settings=SETTINGS)
    at = steady(baselines)
    send = ("tickets.reply", ActionClass.SEND_EXTERNAL, Label.INTERNAL)
    for n in range(40):  # it sends now and then, as part of its work
        at += timedelta(seconds=60)
        learn(baselines, *send, at, key=f"reply{n}")
    quiet = baselines.facts("bot", *send, at + timedelta(seconds=30))
    assert not any("sends out after" in reason for reason in quiet.reasons)
    for n in range(3):  # restricted records through tools that touch internal data
        at += timedelta(seconds=20)
        learn(baselines, "tickets.read", READ, Label.RESTRICTED, at, key=f"secret{n}")
    facts = baselines.facts("bot", *send, at + timedelta(seconds=30))
    assert facts.anomaly_score >= 0.7
    assert any("sends out after 3 of its last 16 calls" in reason for reason in facts.reasons)
    # Long after those reads, a send is ordinary again.
    much_later = baselines.facts("bot", *send, at + timedelta(minutes=10))
    assert not any("sends out after" in reason for reason in much_later.reasons)
