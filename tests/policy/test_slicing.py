"""Slicing hands Cedar only the candidates; it must never change a judgment."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from proctor.model import (
    UNCLASSIFIED_ACTION,
    ActionClass,
    Agent,
    Audience,
    Label,
    Outcome,
    Tool,
)
from proctor.policy import (
    PolicyDocument,
    PolicyEngine,
    PolicyInput,
    RequesterFacts,
    ResourceFacts,
    SessionFacts,
    TaskFacts,
)
from tests.policy.policy_support import BOT, call, engine, task

AGENT_IDS = ["a0", "a1", "a2", "a3"]
GROUPS = ["g0", "g1", "g2"]
INVENTORY = [
    Agent(agent_id, agent_id.upper(), owner, groups=groups)
    for agent_id, owner, groups in [
        ("a0", "alice", ("g0",)),
        ("a1", "bob", ("g0", "g1")),
        ("a2", "alice", ()),
        ("a3", "carol", ("g2",)),
    ]
]
TOOLS = [
    Tool("forum.post", ActionClass.PUBLISH, Label.INTERNAL, audience=Audience.ORGANIZATION),
    Tool("forum.read", ActionClass.READ, Label.PUBLIC),
    Tool("mail.send", ActionClass.SEND_EXTERNAL, Label.CONFIDENTIAL, audience=Audience.PUBLIC),
    Tool("db.drop", ActionClass.DELETE, Label.RESTRICTED),
    Tool("fs.write", ActionClass.WRITE, Label.INTERNAL),
    Tool("acl.grant", ActionClass.MODIFY_PERMISSIONS, Label.CONFIDENTIAL),
]
TOOL_NAMES = [tool.name for tool in TOOLS] + ["forum.evil", "shell.run"]
PATTERNS = ["forum.*", "*.send", "db.?rop", "*", "mail.send", "f*.r*", "[fm]*"]
ACTIONS = [action.value for action in ActionClass] + ["high_risk"]

agent_uid = st.sampled_from(AGENT_IDS).map(lambda a: f'Agent::"{a}"')
group_uid = st.sampled_from(GROUPS).map(lambda g: f'AgentGroup::"{g}"')
action_uid = st.sampled_from(ACTIONS).map(lambda a: f'Action::"{a}"')
tool_uid = st.sampled_from(TOOL_NAMES).map(lambda t: f'Tool::"{t}"')
pattern_uid = st.sampled_from(PATTERNS).map(lambda p: f'ToolPattern::"{p}"')

principal_scope = st.one_of(
    st.just("principal"),
    agent_uid.map(lambda uid: f"principal == {uid}"),
    agent_uid.map(lambda uid: f"principal in {uid}"),
    group_uid.map(lambda uid: f"principal in {uid}"),
    st.just("principal is Agent"),
    group_uid.map(lambda uid: f"principal is Agent in {uid}"),
)
action_scope = st.one_of(
    st.just("action"),
    st.sampled_from(ACTIONS[:-1]).map(lambda a: f'action == Action::"{a}"'),
    st.lists(action_uid, min_size=1, max_size=3, unique=True).map(
        lambda uids: f"action in [{', '.join(uids)}]"
    ),
    st.just('action in Action::"high_risk"'),
)
resource_scope = st.one_of(
    st.just("resource"),
    tool_uid.map(lambda uid: f"resource == {uid}"),
    tool_uid.map(lambda uid: f"resource in {uid}"),
    pattern_uid.map(lambda uid: f"resource in {uid}"),
    st.just("resource is Tool"),
    pattern_uid.map(lambda uid: f"resource is Tool in {uid}"),
)
condition = st.sampled_from(
    [
        "context.approved",
        "context.task.grants_action",
        "resource.known",
        "!context.task.delivers",
        'context.resource.label == "confidential"',
        'principal.owner == "alice"',
        'resource.label == "restricted"',
        'resource.action_class == "unclassified"',
        'principal in AgentGroup::"g1"',
        'resource in ToolPattern::"forum.*"',
        # Validates, but errors when evaluated: the entity does not exist.
        'Agent::"ghost".name == "x"',
    ]
)


@st.composite
def policy(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["permit", "forbid", "hold"]))
    scope = f"({draw(principal_scope)}, {draw(action_scope)}, {draw(resource_scope)})"
    head = '@outcome("approval")\nforbid' if kind == "hold" else kind
    text = f"{head} {scope}"
    for clause in draw(st.lists(condition, max_size=2)):
        text += f"\nwhen {{ {clause} }}"
    if kind == "hold" and draw(st.booleans()):
        text += "\nunless { context.approved }"
    return text + ";"


@st.composite
def policy_input(draw: st.DrawFn) -> PolicyInput:
    agent = draw(st.sampled_from(INVENTORY))
    variant = draw(st.sampled_from(["same", "copy", "regrouped", "stranger"]))
    if variant == "copy":
        agent = replace(agent)
    elif variant == "regrouped":
        agent = replace(agent, groups=tuple(draw(st.lists(st.sampled_from(GROUPS), unique=True))))
    elif variant == "stranger":
        agent = Agent("a9", "Stranger", "alice", groups=("g1",))
    name = draw(st.sampled_from(TOOL_NAMES))
    tool = next((t for t in TOOLS if t.name == name), None)
    action = tool.action_class.value if tool else UNCLASSIFIED_ACTION
    facts = TaskFacts("t", "p", "bob", "read", *draw(st.tuples(*[st.booleans()] * 5)))
    label = draw(st.sampled_from([label.value for label in Label]))
    resource = ResourceFacts(draw(st.sampled_from(["", "r1"])), draw(st.booleans()), label, "")
    requester = RequesterFacts("internal", draw(st.booleans()), draw(st.booleans()))
    session = SessionFacts(
        label=draw(st.sampled_from(["", *(label.value for label in Label)])),
        untrusted=draw(st.booleans()),
        injected=draw(st.booleans()),
        over_clearance=draw(st.booleans()),
    )
    approved = draw(st.booleans())
    return PolicyInput(
        agent, name, tool, action, facts, resource, requester, session, approved=approved
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    policies=st.lists(policy(), max_size=12),
    include_defaults=st.booleans(),
    inputs=st.lists(policy_input(), min_size=1, max_size=4),
)
def test_sliced_and_unsliced_evaluation_agree(
    policies: list[str], include_defaults: bool, inputs: list[PolicyInput]
) -> None:
    loaded = PolicyEngine(
        [PolicyDocument("random.cedar", "\n".join(policies))], include_defaults=include_defaults
    )
    loaded.set_inventory(INVENTORY, TOOLS)
    for facts in inputs:
        sliced = loaded.evaluate(facts)
        unsliced = loaded.evaluate(facts, sliced=False)
        assert sliced == unsliced
        event(sliced.code)
        assert sliced.candidates <= unsliced.candidates == len(loaded.policies())


def test_slicing_skips_policies_scoped_elsewhere() -> None:
    others = "\n".join(
        f'forbid (principal == Agent::"other-{n}", action, resource == Tool::"forum.edit");'
        for n in range(200)
    )
    edit = call("forum.edit", task(action=True))
    judgment = engine(others).evaluate(edit)
    assert judgment.outcome is Outcome.ALLOW
    # Only the defaults that can apply to a known tool's write are candidates; the 200
    # policies about other agents are scoped away.
    assert judgment.candidates == engine().evaluate(edit).candidates < len(engine().policies())


def test_the_caches_stay_bounded() -> None:
    loaded = engine(cache_size=8)
    for n in range(50):
        agent = Agent(f"agent-{n}", "A", "o", groups=(f"group-{n}",))
        loaded.evaluate(call("forum.edit", task(action=True), agent=agent))
        loaded.evaluate(call(f"unknown.tool{n}", task(action=True), agent=BOT))
    info = loaded.cache_info()
    assert info.maxsize == 8
    assert 0 < info.slices <= 8
    assert 0 < info.policy_sets <= 8
    assert 0 < info.entity_sets <= 8
    assert info.misses >= 100


def test_a_repeated_call_reuses_its_slice() -> None:
    loaded = engine()
    facts = call("forum.edit", task(action=True))
    loaded.evaluate(facts)
    before = loaded.cache_info()
    loaded.evaluate(facts)
    after = loaded.cache_info()
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)


def test_tool_patterns_match_tools_in_and_out_of_the_inventory() -> None:
    patterns = """
    @id("no-forum") forbid (principal, action, resource in ToolPattern::"forum.*");
    """
    loaded = engine(patterns)
    assert loaded.evaluate(call("forum.edit", task(action=True))).policy_ids == ("no-forum",)
    unknown = loaded.evaluate(call("forum.shiny", task(action=True)))
    assert set(unknown.policy_ids) == {"no-forum", "deny-unknown-tool"}


def test_concurrent_evaluation_agrees_with_serial_evaluation() -> None:
    loaded = engine(cache_size=4)
    calls = [
        call(name, task(action=True), agent=Agent(f"agent-{n}", "A", "o", groups=(f"g{n % 3}",)))
        for n in range(12)
        for name in ("forum.edit", "forum.post", "shell.run")
    ]
    expected = [loaded.evaluate(facts) for facts in calls]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(5):
            assert list(pool.map(loaded.evaluate, calls)) == expected
    assert loaded.cache_info().slices <= 4
