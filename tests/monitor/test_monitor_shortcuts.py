"""The learner's and the hot path's shortcuts give exactly what the plain code gives:
facts and observations built through their slots, a closed breaker's kept state, the
breaker rules' order, and the facts carried to an agent's next call."""

from __future__ import annotations

import random
from dataclasses import fields
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from proctor.model import ActionClass, Label, Outcome
from proctor.monitor import (
    AnomalyFacts,
    Baselines,
    BaselineSettings,
    Breakers,
    BreakerSettings,
    BreakerStatus,
    Observation,
    action_burst,
    denials,
    error_rate,
)
from proctor.monitor._baseline import fingerprint
from proctor.monitor._events import BreakerState
from proctor.monitor._facts import build_facts
from proctor.monitor._profile import AgentProfile
from proctor.monitor._scoring import (
    BURST,
    BURST_BITS,
    RATE,
    RATE_Z,
    Ahead,
    Pace,
    _denials,
    _learned_facts,
    _learning_facts,
    assess,
)
from proctor.monitor._stats import ramp

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

facts_values = st.tuples(
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.floats(min_value=0.0, max_value=1.0),
    st.floats(min_value=0.0, max_value=1.0),
    st.lists(st.text(max_size=8), max_size=3).map(tuple),
    st.booleans(),
)


@given(facts_values)
def test_built_facts_are_the_facts_the_constructor_makes(values: tuple[object, ...]) -> None:
    built = build_facts(*values)  # type: ignore[arg-type]
    made = AnomalyFacts(*values)  # type: ignore[arg-type]
    assert built == made
    assert hash(built) == hash(made)
    assert [getattr(built, f.name) for f in fields(AnomalyFacts)] == list(values)


def test_a_keyed_observation_is_the_observation_with_its_key() -> None:
    observation = Observation(
        "bot",
        "tickets.read",
        ActionClass.READ,
        Label.CONFIDENTIAL,
        Outcome.DENY,
        START,
        delegated_to="helper",
        resource="ticket-7",
        decision_id="dec_1",
        call_key_source=lambda: '["ticket-7",{}]',
    )
    expected = Observation(
        "bot",
        "tickets.read",
        ActionClass.READ,
        Label.CONFIDENTIAL,
        Outcome.DENY,
        START,
        "helper",
        '["ticket-7",{}]',
        "ticket-7",
        "dec_1",
        None,
    )
    keyed = observation.keyed()
    assert keyed == expected
    assert [getattr(keyed, f.name) for f in fields(Observation)] == [
        getattr(expected, f.name) for f in fields(Observation)
    ]
    assert keyed.keyed() is keyed


def test_a_closed_breaker_reads_as_closed_again_after_a_trip_and_a_reset() -> None:
    breakers = Breakers(BreakerSettings(rules=(denials(2, timedelta(minutes=1)),)))
    closed = BreakerState("bot", BreakerStatus.CLOSED, breakers.settings.on_trip)
    assert breakers.state("bot", START) == closed
    for n in range(2):
        at = START + timedelta(seconds=n)
        breakers.observe(Observation("bot", "t", None, Label.PUBLIC, Outcome.DENY, at))
    assert breakers.state("bot", START).status is BreakerStatus.OPEN
    breakers.reset("bot", by="dana", reason="a drill")
    assert breakers.state("bot", START) == closed
    assert breakers.state("other", START) == BreakerState(
        "other", BreakerStatus.CLOSED, breakers.settings.on_trip
    )
    breakers.close()


def test_breaker_rules_are_counted_in_their_order_and_the_first_to_trip_wins() -> None:
    rules = (
        error_rate(50.0, 2, timedelta(minutes=5)),  # counts outcomes, never calls
        action_burst("modify_permissions", 2, timedelta(minutes=1)),
        denials(2, timedelta(minutes=1)),
    )
    breakers = Breakers(BreakerSettings(rules=rules))
    trip = None
    for n in range(2):
        at = START + timedelta(seconds=n)
        observation = Observation(
            "bot", "perms.set", ActionClass.MODIFY_PERMISSIONS, Label.PUBLIC, Outcome.DENY, at
        )
        trip = breakers.observe(observation)
    assert trip is not None
    assert trip.rule == rules[1].name
    breakers.close()


def test_the_facts_carried_to_the_next_call_are_those_computed_afresh() -> None:
    """What the learner keeps for the hot path (the previous call's quiet facts reused,
    the held ones built from them) equals computing both from scratch every call."""
    settings = BaselineSettings(learning_calls=30, learning_period=timedelta(minutes=10))
    baselines = Baselines(settings=settings)
    rng = random.Random(5)
    tools = [
        ("tickets.read", ActionClass.READ, Label.INTERNAL),
        ("tickets.close", ActionClass.WRITE, Label.INTERNAL),
        ("records.read", ActionClass.READ, Label.RESTRICTED),
    ]
    at = START
    for n in range(600):
        at += timedelta(seconds=rng.expovariate(1 / 20 if n % 50 < 40 else 3.0))
        tool, action, label = rng.choice(tools)
        outcome = Outcome.DENY if rng.random() < 0.15 else Outcome.ALLOW
        key = f"{tool}#{rng.randrange(4)}"
        observation = Observation("bot", tool, action, label, outcome, at, call_key=key)
        if n == 0:
            baselines.learn(observation)
            continue
        profile = baselines._profiles["bot"]
        moment = at.timestamp()
        high_risk = False
        judged, pace = assess(
            profile,
            tool,
            action.value,
            high_risk,
            label.rank,
            moment,
            None,
            fingerprint(tool, key),
            settings,
        )
        assert baselines.learn(observation) == judged
        assert profile.ahead == _ahead_afresh(profile, moment, judged.rate_zscore, pace, settings)


def _ahead_afresh(
    profile: AgentProfile, at: float, z: float, pace: Pace | None, settings: BaselineSettings
) -> Ahead:
    """:func:`proctor.monitor._scoring.ahead` as it was before its shortcuts."""
    carried: list[tuple[float, str]] = []
    if z > RATE_Z[0]:
        carried.append((RATE * ramp(z, *RATE_Z), f"call rate {z:.0f}σ above its baseline"))  # noqa: RUF001
    if pace is not None:
        carried.append((BURST * ramp(pace[1], *BURST_BITS), pace[2]))
    calm: list[tuple[float, str]] = []
    deny_rate = _denials(profile, calm)
    carried += calm
    if profile.is_learning(at, settings):
        held = _learning_facts(profile, settings, z, deny_rate, carried, None)
        quiet = _learning_facts(profile, settings, 0.0, deny_rate, calm, None)
    else:
        held = _learned_facts(z, deny_rate, carried, False, False, False, False)
        quiet = _learned_facts(0.0, deny_rate, calm, False, False, False, False)
    return at, held, quiet, tuple(carried), tuple(calm)
