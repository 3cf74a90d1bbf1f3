"""The replays share one data directory in ``proctor demo``: they must not redefine
each other's agents, tools, resources or people; and a scenario's steps must make
sense before anything is played."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import pytest

from proctor.demo import FORUM, SCENARIOS, Step
from proctor.errors import InvalidInput, NotFound
from proctor.model import Outcome


def _definitions(kind: str) -> dict[str, set[object]]:
    found: dict[str, set[object]] = defaultdict(set)
    for scenario in SCENARIOS:
        things: tuple[object, ...] = {
            "agent": (scenario.agent,),
            "tool": scenario.tools,
            "resource": scenario.resources,
            "person": scenario.people,
        }[kind]
        for thing in things:
            key = getattr(thing, "name", None) if kind == "tool" else getattr(thing, "id", None)
            found[str(key)].add(thing)
    return found


@pytest.mark.parametrize("kind", ["agent", "tool", "resource", "person"])
def test_no_scenario_redefines_what_another_registers(kind: str) -> None:
    clashes = {key: things for key, things in _definitions(kind).items() if len(things) > 1}
    assert clashes == {}


def test_scenario_names_are_unique() -> None:
    names = [scenario.name for scenario in SCENARIOS]
    assert len(names) == len(set(names)) == 4


def test_a_step_key_used_twice_is_refused() -> None:
    twice = (*FORUM.steps, FORUM.steps[0])
    with pytest.raises(InvalidInput, match="appears twice"):
        replace(FORUM, steps=twice)


def test_a_trace_to_a_later_step_is_refused() -> None:
    first = replace(FORUM.steps[0], traced_to="widen-access")
    with pytest.raises(InvalidInput, match="not an earlier step"):
        replace(FORUM, steps=(first, *FORUM.steps[1:]))


def test_a_requester_who_is_not_cast_is_refused() -> None:
    with pytest.raises(InvalidInput, match="is not cast"):
        replace(FORUM, requester="nobody")


def test_a_step_that_expects_nothing_is_refused() -> None:
    empty = Step("nothing", "expects nothing", "forum.read_thread", frozenset())
    with pytest.raises(InvalidInput, match="expects nothing"):
        replace(FORUM, steps=(empty,))


def test_a_step_both_denied_and_approved_is_refused() -> None:
    both = Step(
        "both",
        "is both",
        "forum.post",
        frozenset({Outcome.REQUIRE_APPROVAL}),
        denied_because="no",
        approved_because="yes",
    )
    with pytest.raises(InvalidInput, match="both denied and approved"):
        replace(FORUM, steps=(both,))


def test_an_unknown_step_key_is_not_found() -> None:
    with pytest.raises(NotFound):
        FORUM.step("post-to-twitter")
