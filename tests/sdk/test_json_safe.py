"""What @guarded sends for a call's arguments is always plain JSON."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from proctor.sdk._arguments import MAX_REPR, json_safe

_JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False)
)
JSON = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
_ODD_SCALARS = (
    _JSON_SCALARS
    | st.floats()
    | st.binary()
    | st.complex_numbers()
    | st.sampled_from([len, ValueError("x"), Ellipsis, range(3)])
    | st.just(object())
)
ANYTHING = st.recursive(
    _ODD_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.frozensets(st.integers() | st.text(), max_size=4)
        | st.dictionaries(st.integers() | st.text() | st.booleans(), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(JSON)
def test_json_values_are_sent_exactly(value: Any) -> None:
    assert json_safe(value) == value


@given(ANYTHING)
def test_anything_becomes_plain_json(value: Any) -> None:
    text = json.dumps(json_safe(value), allow_nan=False)
    assert json.loads(text) == json_safe(value)


def test_deep_nesting_is_cut_to_a_repr() -> None:
    value: Any = []
    for _ in range(100):
        value = [value]
    depth, node = 0, json_safe(value)
    while isinstance(node, list):
        depth, node = depth + 1, node[0] if node else None
    assert depth <= 17
    assert isinstance(node, str)
    assert len(node) <= MAX_REPR


def test_a_repr_that_raises_is_still_recorded() -> None:
    class Hostile:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    assert json_safe(Hostile()) == "<Hostile (repr failed)>"


def test_non_finite_floats_are_sent_as_text() -> None:
    assert json_safe([math.nan, math.inf]) == ["nan", "inf"]
