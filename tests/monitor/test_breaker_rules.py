"""Breaker rules and settings as written in proctor.yaml."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proctor.errors import InvalidInput
from proctor.model import ActionClass
from proctor.monitor import (
    DEFAULT_RULES,
    ActionBurst,
    AnomalyRun,
    BreakerSettings,
    Denials,
    ErrorRate,
    TripAction,
    parse_duration,
    parse_rule,
    parse_rules,
)


def test_the_mapping_form_parses_every_rule_kind() -> None:
    rules = parse_rules(
        [
            {"denials": {"count": 5, "within": "1m"}},
            {"anomaly": {"above": 0.9, "calls": 3}},
            {"error_rate": {"percent": 50, "min_calls": 10, "within": "5m"}},
            {"action_burst": {"action": "modify_permissions", "count": 5, "within": 60}},
        ]
    )
    assert rules == (
        Denials(5, timedelta(minutes=1)),
        AnomalyRun(0.9, 3),
        ErrorRate(50.0, 10, timedelta(minutes=5)),
        ActionBurst(ActionClass.MODIFY_PERMISSIONS, 5, timedelta(seconds=60)),
    )


def test_settings_parse_from_a_mapping() -> None:
    settings = BreakerSettings.from_mapping(
        {
            "on_trip": "deny",
            "cool_down": "30m",
            "probe_calls": 3,
            "rules": [{"denials": {"count": 2, "within": "10s"}}],
        }
    )
    assert settings.on_trip is TripAction.DENY
    assert settings.cool_down == timedelta(minutes=30)
    assert settings.probe_calls == 3
    assert settings.rules == (Denials(2, timedelta(seconds=10)),)
    assert BreakerSettings.from_mapping({}).rules == DEFAULT_RULES


@pytest.mark.parametrize(
    "entry",
    [
        {"denial": {"count": 5, "within": "1m"}},
        {"denials": {"count": 5}},
        {"denials": {"count": 5, "within": "1m", "extra": 1}},
        {"denials": {"count": 0, "within": "1m"}},
        {"denials": {"count": True, "within": "1m"}},
        {"denials": {"count": 5, "within": "forever"}},
        {"denials": {"count": 5, "within": "2d"}},
        {"anomaly": {"above": 1.5, "calls": 3}},
        {"anomaly": {"above": "high", "calls": 3}},
        {"error_rate": {"percent": 0, "min_calls": 10, "within": "5m"}},
        {"action_burst": {"action": "launch_missiles", "count": 5, "within": "1m"}},
        {"denials": {"count": 5, "within": "1m"}, "anomaly": {"above": 0.9, "calls": 3}},
        {"denials": [5, "1m"]},
    ],
)
def test_malformed_rules_are_refused_with_a_message(entry: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_rule(entry)
    assert refused.value.message


@pytest.mark.parametrize(
    "raw",
    [{"on_trip": "ignore"}, {"cool_down": "-5m"}, {"probe_calls": 0}, {"colour": "red"}],
)
def test_malformed_settings_are_refused(raw: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        BreakerSettings.from_mapping(raw)


def test_rules_must_be_a_list() -> None:
    with pytest.raises(InvalidInput):
        parse_rules({"denials": {"count": 5, "within": "1m"}})  # type: ignore[arg-type]


@given(
    st.integers(0, 10**6) | st.floats(0, 10**6, allow_nan=False),
    st.sampled_from(["", "ms", "s", "m", "h", "d"]),
    st.sampled_from(["", " "]),
)
def test_durations_parse_to_their_value(number: float, unit: str, space: str) -> None:
    sizes = {"": 1.0, "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
    text = f"{number}{space}{unit}"
    seconds = float(f"{number}") * sizes[unit]
    if seconds >= 10 * 365 * 86400:
        with pytest.raises(InvalidInput):
            parse_duration(text)
        return
    if "e" in f"{number}":  # exponent notation is not a duration
        with pytest.raises(InvalidInput):
            parse_duration(text)
        return
    assert parse_duration(text).total_seconds() == pytest.approx(seconds, rel=1e-9, abs=1e-6)


@given(st.text(max_size=20))
def test_any_text_parses_or_is_refused_cleanly(text: str) -> None:
    try:
        duration = parse_duration(text)
    except InvalidInput:
        return
    assert duration >= timedelta(0)


@pytest.mark.parametrize("value", [True, None, -1, float("nan"), float("inf"), [], "1 week"])
def test_non_durations_are_refused(value: object) -> None:
    with pytest.raises(InvalidInput):
        parse_duration(value)
