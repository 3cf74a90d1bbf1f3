"""The precomputed directory answers exactly what walking the directory would answer,
and no call is ever allowed that the requester alone would be denied."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proctor.admin import Admin
from proctor.directory import (
    LEVEL_FOR_ACTION,
    AccessLevel,
    AccessRule,
    DirectoryIndex,
    Grant,
    Group,
    TargetKind,
    put_access,
    put_group,
)
from proctor.gateway import Gateway
from proctor.model import (
    ActionClass,
    Agent,
    Capabilities,
    Label,
    Outcome,
    Resource,
    Tool,
    ToolCall,
)
from proctor.people import Person
from tests.conftest import ensure_person, task_token

PEOPLE = ("p0", "p1", "p2", "p3")
GROUPS = ("g0", "g1", "g2", "g3")
RESOURCES = ("repo:a/x", "repo:a/y", "repo:b/z")
PATTERNS = (*RESOURCES, "repo:a/*", "repo:*", "*")
TOOLS = {
    "t.read": (ActionClass.READ, Label.PUBLIC),
    "t.write": (ActionClass.WRITE, Label.INTERNAL),
    "t.share": (ActionClass.MODIFY_PERMISSIONS, Label.CONFIDENTIAL),
}
LABELS = list(Label)
SUBJECTS = (*PEOPLE, *(f"group:{g}" for g in GROUPS))


@st.composite
def directories(draw: st.DrawFn) -> tuple[list[Person], list[Group], list[AccessRule]]:
    now = datetime.now(UTC)
    people = [
        Person(p, p, frozenset(), now, draw(st.booleans()) and draw(st.booleans()),
               clearance=draw(st.sampled_from(LABELS)))
        for p in PEOPLE
    ]  # fmt: skip
    groups = []
    for index, group in enumerate(GROUPS):
        # Nesting only towards later groups: no cycle, as the store guarantees.
        nested = draw(st.lists(st.sampled_from(GROUPS[index + 1 :] or ("g3",)), max_size=2))
        groups.append(
            Group(
                group,
                group,
                people=tuple(draw(st.lists(st.sampled_from(PEOPLE), max_size=3, unique=True))),
                groups=tuple(sorted({g for g in nested if g != group})),
                clearance=draw(st.none() | st.sampled_from(LABELS)),
            )
        )
    rules = []
    for kind, patterns in ((TargetKind.RESOURCE, PATTERNS), (TargetKind.TOOL, ("t.*", *TOOLS))):
        for pattern in draw(st.lists(st.sampled_from(patterns), max_size=3, unique=True)):
            grants = draw(
                st.dictionaries(st.sampled_from(SUBJECTS), st.sampled_from(list(AccessLevel)))
            )
            rules.append(AccessRule(kind, pattern, tuple(Grant(s, lv) for s, lv in grants.items())))
    return people, groups, rules


def reference(
    people: Sequence[Person],
    groups: Sequence[Group],
    rules: Sequence[AccessRule],
    requester: str,
    action: ActionClass,
    label: Label,
    resource: str | None,
    tool: str,
    unlisted_open: bool,
) -> bool:
    """May ``requester`` make the call? Answered by walking everything, every time."""
    person = next((p for p in people if p.id == requester), None)
    if person is None or person.disabled:
        return False
    by_id = {g.id: g for g in groups}

    def member_of(group_id: str, seen: frozenset[str] = frozenset()) -> bool:
        group = by_id.get(group_id)
        if group is None or group_id in seen:
            return False
        if requester in group.people:
            return True
        return any(member_of(inner, seen | {group_id}) for inner in group.groups)

    mine = {g for g in by_id if member_of(g)}
    clearances = [person.clearance.rank]
    clearances += [c.rank for g in mine if (c := by_id[g].clearance) is not None]
    if max(clearances) < label.rank:
        return False
    subjects = {requester, *(f"group:{g}" for g in mine)}
    needs = LEVEL_FOR_ACTION[action]

    def holds(kind: TargetKind, target: str) -> bool:
        matching = [
            r
            for r in rules
            if r.kind is kind and r.grants and fnmatch.fnmatchcase(target, r.pattern)
        ]
        if not matching:
            return unlisted_open
        levels = [g.level.rank for r in matching for g in r.grants if g.subject in subjects]
        return bool(levels) and max(levels) >= needs.rank

    return (resource is None or holds(TargetKind.RESOURCE, resource)) and holds(
        TargetKind.TOOL, tool
    )


@settings(max_examples=400, deadline=None)
@given(
    directory=directories(),
    requester=st.sampled_from((*PEOPLE, "stranger")),
    tool=st.sampled_from(list(TOOLS)),
    resource=st.none() | st.sampled_from(RESOURCES),
    label=st.sampled_from(LABELS),
    unlisted_open=st.booleans(),
)
def test_the_precomputed_view_agrees_with_walking_the_directory(
    directory: tuple[list[Person], list[Group], list[AccessRule]],
    requester: str,
    tool: str,
    resource: str | None,
    label: Label,
    unlisted_open: bool,
) -> None:
    people, groups, rules = directory
    index = DirectoryIndex.build(people, groups, rules, unlisted_open=unlisted_open)
    action = TOOLS[tool][0]
    bound = index.bound((requester,), action, label, resource, tool)
    expected = reference(
        people, groups, rules, requester, action, label, resource, tool, unlisted_open
    )
    assert (bound.cleared and bound.permitted) == expected, bound.why
    assert (not expected) == bool(bound.why)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(directory=directories(), calls=st.lists(st.tuples(
    st.sampled_from(PEOPLE), st.sampled_from(list(TOOLS)), st.none() | st.sampled_from(RESOURCES)
), min_size=1, max_size=6))  # fmt: skip
def test_no_call_is_allowed_that_the_requester_alone_would_be_denied(
    tmp_path_factory: pytest.TempPathFactory,
    directory: tuple[list[Person], list[Group], list[AccessRule]],
    calls: list[tuple[str, str, str | None]],
) -> None:
    """Through the real gateway, with an agent and tasks that grant everything."""
    people, groups, rules = directory
    home = tmp_path_factory.mktemp("bound") / "home"
    with Gateway.open(home) as gateway:
        admin = Admin(gateway)
        admin.put_agent(Agent("bot", "bot", "ops"), actor="t")
        for name, (action, tool_label) in TOOLS.items():
            admin.put_tool(Tool(name, action, tool_label), actor="t")
        for number, resource in enumerate(RESOURCES):
            admin.put_resource(Resource(resource, "ops", LABELS[number % 4]), actor="t")
        tokens = {}
        for person in people:
            ensure_person(admin, person.id, clearance=person.clearance)
            tokens[person.id] = task_token(admin, admin.create_task(
                agent_id="bot", requester=person.id, purpose="everything",
                capabilities=Capabilities(frozenset(ActionClass), tuple(TOOLS)), actor="t",
            ))  # fmt: skip
            if person.disabled:
                gateway.runtime.people.disable(person.id)
        for group in groups:
            put_group(admin, group, actor="t")
        for rule in rules:
            put_access(admin, rule, actor="t")
        snapshot = gateway.runtime.inventory.snapshot
        for requester, tool, resource in calls:
            decision = gateway.check(tokens[requester], ToolCall(tool, {}, resource))
            label = snapshot.data_label(snapshot.tools[tool], resource)
            alone = reference(
                people, groups, rules, requester, TOOLS[tool][0], label, resource, tool, True
            )
            if decision.outcome is Outcome.ALLOW:
                assert alone, f"{requester} may not {tool} on {resource}, yet it was allowed"
            if not alone:
                assert decision.outcome is Outcome.DENY
