"""Call arguments are untrusted input: any JSON is recorded faithfully, anything else refused."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proctor.gateway import Gateway
from proctor.model import Outcome, ToolCall

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
not_json = st.sampled_from([object(), {1, 2}, b"bytes", float("nan"), complex(1, 2)])


def as_doubles(value: Any) -> Any:
    """JSON numbers are doubles (RFC 8785): compare numbers by value, not by Python type."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list):
        return [as_doubles(item) for item in value]
    return {key: as_doubles(item) for key, item in value.items()}


_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_SETTINGS
@given(arguments=st.dictionaries(st.text(max_size=10), json_values, max_size=5))
def test_any_json_arguments_are_decided_and_recorded_faithfully(
    gateway: Gateway, incident_token: str, arguments: dict[str, Any]
) -> None:
    decision = gateway.check(incident_token, ToolCall("forum.read_thread", arguments))
    assert decision.outcome is Outcome.ALLOW
    entry = gateway.runtime.audit.tail(1)[0]
    assert entry.body["decision_id"] == decision.id
    assert as_doubles(entry.body["arguments"]) == as_doubles(arguments)


@_SETTINGS
@given(
    arguments=st.dictionaries(st.text(max_size=10), json_values, max_size=3),
    bad=not_json,
    key=st.text(max_size=5),
)
def test_a_non_json_value_anywhere_is_refused(
    gateway: Gateway, incident_token: str, arguments: dict[str, Any], bad: object, key: str
) -> None:
    poisoned = {**arguments, key: [{"nested": bad}]}
    decision = gateway.check(incident_token, ToolCall("forum.read_thread", poisoned))
    assert decision.outcome is Outcome.DENY
    assert decision.code == "invalid_input"


def test_integers_too_large_to_record_exactly_are_refused(
    gateway: Gateway, incident_token: str
) -> None:
    decision = gateway.check(incident_token, ToolCall("forum.read_thread", {"id": 2**60}))
    assert decision.code == "invalid_input"
    assert "as strings" in decision.explain()


def test_deeply_nested_arguments_are_refused(gateway: Gateway, incident_token: str) -> None:
    deep: Any = "x"
    for _ in range(40):
        deep = [deep]
    decision = gateway.check(incident_token, ToolCall("forum.read_thread", {"a": deep}))
    assert decision.code == "invalid_input"
    assert "deeper" in decision.explain()


@pytest.mark.parametrize("arguments", [None, [1, 2], "text", 7])
def test_arguments_that_are_not_an_object_are_refused_and_recorded(
    gateway: Gateway, incident_token: str, arguments: Any
) -> None:
    decision = gateway.check(incident_token, ToolCall("forum.read_thread", arguments))
    assert decision.code == "invalid_input"
    assert decision.audit_seq is not None


def test_oversized_names_are_refused_and_recorded_cut_short(
    gateway: Gateway, incident_token: str
) -> None:
    decision = gateway.check(incident_token, ToolCall("t" * 100_000))
    assert decision.code == "invalid_input"
    entry = gateway.runtime.audit.tail(1)[0]
    assert len(entry.body["tool"]) == 300
