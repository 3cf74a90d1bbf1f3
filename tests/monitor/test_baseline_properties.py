"""Whatever agents do, a baseline's memory stays within its bounds."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from proctor.model import ActionClass, Label, Outcome
from proctor.monitor import Baselines, BaselineSettings, Observation, OutcomeObservation
from proctor.monitor._profile import KEY_TIMES, REPEAT_WINDOW
from proctor.monitor._stats import poisson_tail_bits

START = datetime(2026, 3, 2, tzinfo=UTC)
SMALL = BaselineSettings(
    learning_calls=5,
    learning_period=timedelta(minutes=10),
    max_tools=4,
    max_delegates=2,
    recent_calls=8,
    mix_half_life_calls=10,
    max_agents=3,
)
ACTIONS = [*ActionClass, None]

call_strategy = st.tuples(
    st.integers(0, 5),  # agent
    st.integers(0, 10_000),  # tool: far more distinct tools than the bound
    st.sampled_from(ACTIONS),
    st.sampled_from(list(Label)),
    st.sampled_from(list(Outcome)),
    st.floats(0.0, 7200.0, allow_nan=False),  # seconds since the previous call
    st.one_of(st.none(), st.integers(0, 50)),  # delegate
    st.booleans(),  # a tool outcome reported, failed or not
    st.one_of(st.none(), st.integers(0, 6)),  # call fingerprint: few values, so repeats
)


def check_bounded(state: dict[str, Any], bounds: BaselineSettings) -> None:
    assert len(state["tools"]) <= bounds.max_tools
    assert all(len(entry[2]) <= KEY_TIMES for entry in state["tools"].values())
    assert all(len(entry[3]) == len(Label) for entry in state["tools"].values())
    assert all(len(entry[4]) == 6 for entry in state["tools"].values())
    # The dampened part of a tool's count is part of it, never more.
    assert all(len(entry) == 6 for entry in state["tools"].values())
    assert all(0.0 <= entry[5] <= entry[0] * (1 + 1e-9) for entry in state["tools"].values())
    assert all(math.isfinite(x) for entry in state["tools"].values() for x in entry[3] + entry[4])
    assert len(state["actions"]) <= len(ActionClass) + 1
    assert all(len(entry[1]) <= KEY_TIMES for entry in state["actions"].values())
    assert len(state["labels"]) == len(Label)
    assert all(len(times) <= KEY_TIMES for times in state["label_times"])
    assert len(state["delegates"]) <= bounds.max_delegates
    assert len(state["recent"]) <= bounds.recent_calls
    assert len(state["novelties"]) <= 4
    assert len(state["rate_mean"]) == len(state["rate_dev"])
    assert all(math.isfinite(value) for value in state["rate_mean"] + state["rate_dev"])


def check_fingerprints_bounded(baselines: Baselines, bounds: BaselineSettings) -> None:
    """The fingerprints (memory only, never saved) stay within their bound too."""
    for profile in baselines._profiles.values():
        assert len(profile.tool_keys) <= bounds.max_tools
        assert all(len(keys) <= 2 * REPEAT_WINDOW for keys in profile.tool_keys.values())
        assert set(profile.tool_keys) <= set(profile.tools)
        assert set(profile.tool_damped) == set(profile.tools)


@settings(max_examples=60, deadline=None)
@given(st.lists(call_strategy, min_size=1, max_size=400))
def test_per_agent_state_stays_within_its_bounds(calls: list[Any]) -> None:
    baselines = Baselines(settings=SMALL)
    at = START
    for agent_n, tool_n, action, label, outcome, gap, delegate_n, failed, key_n in calls:
        at += timedelta(seconds=gap)
        agent, tool = f"agent-{agent_n}", f"tool-{tool_n}"
        delegate = None if delegate_n is None else f"sub-{delegate_n}"
        key = None if key_n is None else f"args-{key_n}"
        facts = baselines.facts(agent, tool, action, label, at, delegated_to=delegate, call_key=key)
        assert 0.0 <= facts.anomaly_score <= 1.0
        observation = Observation(agent, tool, action, label, outcome, at, delegate, key)
        baselines.observe(observation, facts)
        baselines.observe_outcome(OutcomeObservation(agent, tool, failed, at))
        assert baselines.agents_in_memory() <= SMALL.max_agents
        check_fingerprints_bounded(baselines, SMALL)
    for agent_n in range(6):
        state = baselines.state(f"agent-{agent_n}")
        check_bounded(state, SMALL)
        json.dumps(state, allow_nan=False)


def test_a_long_run_over_thousands_of_tools_stays_bounded() -> None:
    """50,000 calls spread over 20,000 distinct tools, 500 delegates, every label, with
    fingerprints."""
    bounds = BaselineSettings()
    baselines = Baselines(settings=bounds)
    at = START
    sizes = []
    for n in range(50_000):
        at += timedelta(seconds=1 + n % 7)
        action = list(ActionClass)[n % len(ActionClass)]
        label = list(Label)[n % len(Label)]
        observation = Observation(
            "agent",
            f"tool-{(n * 7919) % 20_000}",
            action,
            label,
            Outcome.ALLOW,
            at,
            f"d-{n % 500}",
            f"k-{n % 50}",
        )
        baselines.observe(observation)
        if n % 5000 == 4999:
            state = baselines.state("agent")
            check_bounded(state, bounds)
            sizes.append(len(json.dumps(state)))
    # The saved state stops growing once the bounds are reached.
    assert max(sizes) < 20_000
    assert max(sizes[2:]) - min(sizes[2:]) < 500


@given(st.integers(1, 40), st.floats(1e-9, 60.0))
def test_poisson_surprise_matches_the_direct_sum(k: int, mu: float) -> None:
    logs = [-mu + i * math.log(mu) - math.lgamma(i + 1) for i in range(k + 400)]
    if mu < k:  # sum the upper tail in log space: it may be far below 1e-300
        top = max(logs[k:])
        log_tail = top + math.log(sum(math.exp(x - top) for x in logs[k:]))
    else:
        log_tail = math.log(1.0 - sum(math.exp(x) for x in logs[:k]))
    bits = poisson_tail_bits(k, mu)
    assert math.isclose(bits, -log_tail / math.log(2), rel_tol=1e-6, abs_tol=1e-6)
    assert poisson_tail_bits(k + 1, mu) >= bits
