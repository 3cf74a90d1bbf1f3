"""How much a decision costs, and whether it stays flat as the policy set grows.

    python bench/check.py            # 10, 100, 1,000 and 10,000 policies
    python bench/check.py --quick    # smoke run: 10 and 100 policies, fewer calls
    python bench/check.py --json     # the figures, machine-readably
    python bench/check.py --sizes 100,5000
    python bench/check.py --monitor  # monitoring off / on / on with rate limits, 100 policies

For each policy count, a real gateway is opened on a fresh data directory with
1,000 agents in 50 groups, 200 tools in 20 teams, 200 resources and one task per
agent, and N generated policies (mostly scoped to an agent or group, a tool or a
team's tool pattern, and an action class, with conditions on the call's facts).
Two things are timed in the same run, over the same calls:

* full: ``gateway.check`` end to end, as an agent calls it with its task token:
  token verification (EdDSA signature, claims, revocation), facts, Cedar judgment
  (sliced), reasons and the durable audit append;
* raw: one ``cedarpy.is_authorized`` call handed every policy (defaults plus all N)
  as one pre-parsed PolicySet, the same entities and the same request and context
  the gateway built for that call (captured from the gateway, not rebuilt here).

Token verification alone is timed too (``verify``), over the same tokens.

With ``--monitor`` the same workload goes through three gateways that differ only in
their monitor settings (``monitor: {enabled: false}``; the defaults; the defaults and
three declared rate limits matching every call), in interleaved rounds, and the script
prints what monitoring adds to the p50 (issue 7: under 20 µs).

docs/benchmarks.md explains the figures and records a run.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import cedarpy

from proctor.admin import Admin
from proctor.gateway import Gateway
from proctor.model import (
    ActionClass,
    Agent,
    Audience,
    Capabilities,
    Deliverable,
    Label,
    Outcome,
    Resource,
    Tool,
    ToolCall,
)
from proctor.monitor import parse_rate_limits
from proctor.policy import PolicyInput, default_documents

AGENTS = 1_000
GROUPS = 50
TEAMS = 20
TOOLS = 200
RESOURCES = 200
REQUESTERS = 300
FULL_SIZES = (10, 100, 1_000, 10_000)
QUICK_SIZES = (10, 100)
TARGET_P99_US = 300.0
#: Issue 4: the full check *with token verification* under 400 µs p99 at 1,000 policies.
TARGET_VERIFIED_P99_US = 400.0
TARGET_VERIFIED_AT = 1_000
TARGET_FLATNESS = 2.0
SEED = 4411

_CLASSES = (
    [ActionClass.READ] * 8
    + [ActionClass.WRITE] * 5
    + [ActionClass.EXECUTE] * 2
    + [ActionClass.PUBLISH] * 2
    + [ActionClass.SEND_EXTERNAL, ActionClass.DELETE, ActionClass.MODIFY_PERMISSIONS]
)
_HIGH_RISK = ("publish", "send_external", "delete", "modify_permissions", "spend")


@dataclass(frozen=True)
class Plan:
    """How many calls to time per size."""

    warmup: int
    full: int
    raw_small: int
    raw_large: int


FULL_PLAN = Plan(warmup=2_000, full=5_000, raw_small=2_000, raw_large=150)
QUICK_PLAN = Plan(warmup=300, full=1_000, raw_small=300, raw_large=30)


@dataclass(frozen=True)
class Row:
    policies: int
    full_p50_us: float
    full_p99_us: float
    full_cpu_p50_us: float
    full_cpu_p99_us: float
    raw_p50_us: float
    raw_p99_us: float
    engine_p50_us: float
    engine_p99_us: float
    audit_p50_us: float
    audit_p99_us: float
    verify_p50_us: float
    verify_p99_us: float
    verify_cold_p50_us: float
    verify_cold_p99_us: float
    full_calls: int
    raw_calls: int
    mean_candidates: float
    slice_cache_hit_rate: float
    outcomes: dict[str, int]
    #: Full-check p50 and p99 (µs) of the calls of each outcome: a held call also
    #: opens an approval request (a store write and its audit entry) and asks Cedar
    #: a second time, so it costs several times an allowed one.
    by_outcome: dict[str, tuple[float, float]]
    #: The same for the checking thread's CPU time: on a shared machine, the wall-clock
    #: tail is mostly other processes; this one is the check's own work.
    cpu_by_outcome: dict[str, tuple[float, float]]
    setup_s: float

    @property
    def speedup(self) -> float:
        return self.raw_p50_us / self.full_p50_us if self.full_p50_us else 0.0


# -- the inventory --------------------------------------------------------------


def team_of_tool(j: int) -> int:
    return j % TEAMS


def tool_name(j: int) -> str:
    return f"team{team_of_tool(j)}.t{j}"


def groups_of(k: int) -> tuple[str, ...]:
    first = f"g{k % GROUPS}"
    # A quarter of the agents also belong to a second group.
    return (first, f"g{(k * 7 + 3) % GROUPS}") if k % 4 == 0 else (first,)


def team_of_agent(k: int) -> int:
    return (k % GROUPS) % TEAMS


def tools_of_team(m: int) -> list[str]:
    return [tool_name(j) for j in range(TOOLS) if team_of_tool(j) == m]


def resources_of_team(m: int) -> list[str]:
    return [f"doc:team{m}/r{i}" for i in range(RESOURCES // TEAMS)]


def make_tools() -> list[Tool]:
    tools = []
    for j in range(TOOLS):
        action = _CLASSES[j % len(_CLASSES)]
        label = (
            Label.CONFIDENTIAL if j % 10 == 0 else Label.PUBLIC if j % 17 == 0 else Label.INTERNAL
        )
        audience = None
        if action in (ActionClass.PUBLISH, ActionClass.SEND_EXTERNAL):
            audience = (Audience.TEAM, Audience.ORGANIZATION, Audience.PUBLIC)[j % 3]
        tools.append(Tool(tool_name(j), action, label, f"bench tool {j}", audience))
    return tools


def populate(admin: Admin) -> dict[str, str]:
    """Register agents, tools, resources and one task per agent; the task id per agent."""
    for tool in make_tools():
        admin.put_tool(tool, actor="bench")
    for m in range(TEAMS):
        for i, resource_id in enumerate(resources_of_team(m)):
            label = (Label.INTERNAL, Label.CONFIDENTIAL, Label.PUBLIC)[i % 3]
            admin.put_resource(Resource(resource_id, f"user{m * 10 + i}", label), actor="bench")
    for n in range(REQUESTERS):
        # Cleared for confidential data: every call of the workload is one its requester
        # may make, so the figures are those of the full path, intersection included.
        admin.runtime.people.add(f"user{n}", f"User {n}", clearance=Label.CONFIDENTIAL)
    tasks: dict[str, str] = {}
    for k in range(AGENTS):
        agent = Agent(f"a{k}", f"agent {k}", f"team{team_of_agent(k)}-lead", groups=groups_of(k))
        admin.put_agent(agent, actor="bench")
        actions = [{ActionClass.READ}, {ActionClass.READ, ActionClass.WRITE}][k % 2]
        patterns = (f"team{team_of_agent(k)}.*",) if k % 3 == 0 else ()
        deliverable = Deliverable("summary for the team", Audience.TEAM) if k % 5 == 0 else None
        task = admin.create_task(
            agent_id=agent.id,
            requester=f"user{k % REQUESTERS}",
            purpose=f"bench task for agent {k}",
            capabilities=Capabilities(frozenset(actions), patterns),
            deliverable=deliverable,
            actor="bench",
        )
        tasks[agent.id] = task.id
    return tasks


# -- the policies ---------------------------------------------------------------


def make_policies(count: int, rng: random.Random) -> str:
    """``count`` policies of the shapes a large deployment accumulates."""
    texts = []
    for i in range(count):
        k = rng.randrange(AGENTS)
        m = team_of_agent(k)
        group = rng.choice(groups_of(k))
        tool = rng.choice(tools_of_team(m))
        action = rng.choice(("read", "write", "execute", "publish", "delete"))
        head = f'@id("bench-{i}")\n'
        roll = rng.random()
        if roll < 0.45:
            texts.append(
                f'{head}@reason("agent a{k} may {action} team{m} tools")\n'
                f'permit (principal == Agent::"a{k}", action == Action::"{action}", '
                f'resource in ToolPattern::"team{m}.*")\n'
                'when { context.resource.label != "restricted" && context.task.grants_tool };'
            )
        elif roll < 0.70:
            texts.append(
                f'{head}permit (principal in AgentGroup::"{group}", '
                f'action == Action::"{action}", resource == Tool::"{tool}")\n'
                'when { resource.label == "public" || context.task.grants_tool_by_name };'
            )
        elif roll < 0.85:
            texts.append(
                f'{head}@outcome("approval")\n@approver("agent_owner")\n'
                f'forbid (principal == Agent::"a{k}", '
                'action in [Action::"publish", Action::"send_external"], '
                f'resource in ToolPattern::"team{m}.*")\n'
                'when { context.resource.label == "confidential" }\n'
                "unless { context.approved };"
            )
        elif roll < 0.98:
            texts.append(
                f'{head}@reason("only the requester\'s own documents may be deleted")\n'
                f'forbid (principal in AgentGroup::"{group}", action == Action::"delete", '
                f'resource == Tool::"{tool}")\n'
                "when { context.resource.known && "
                "context.resource.owner != context.task.requester };"
            )
        else:
            texts.append(
                f'{head}forbid (principal, action == Action::"{rng.choice(_HIGH_RISK)}", '
                f'resource in ToolPattern::"team{m}.*")\n'
                'when { resource.audience == "public" && '
                'context.resource.label == "confidential" };'
            )
    return "\n\n".join(texts) + "\n"


# -- the calls ------------------------------------------------------------------


Call = tuple[str, ToolCall]


def issue_tokens(admin: Admin, tasks: dict[str, str]) -> dict[str, str]:
    """Each agent's task token, as its launcher would hand it over."""
    return {
        agent: admin.issue_task_token(task_id, actor="bench").token
        for agent, task_id in tasks.items()
    }


def make_requests(tokens: dict[str, str], rng: random.Random, count: int) -> list[Call]:
    """Random agents, each calling one of its team's tools, sometimes on a resource."""
    team_tools = [tools_of_team(m) for m in range(TEAMS)]
    team_resources = [resources_of_team(m) for m in range(TEAMS)]
    requests = []
    for _ in range(count):
        k = rng.randrange(AGENTS)
        m = team_of_agent(k)
        resource = rng.choice(team_resources[m]) if rng.random() < 0.6 else None
        arguments = {"path": f"/team{m}/doc{rng.randrange(1000)}", "limit": rng.randint(1, 50)}
        call = ToolCall(rng.choice(team_tools[m]), arguments, resource)
        requests.append((tokens[f"a{k}"], call))
    return requests


def capture_inputs(gateway: Gateway, requests: Sequence[Call]) -> list[PolicyInput]:
    """The PolicyInput the gateway itself builds for each call (recorded, not rebuilt)."""
    engine = gateway.runtime.policies
    captured: list[PolicyInput] = []
    original = engine.evaluate

    def recording(facts: PolicyInput, *, sliced: bool = True) -> Any:
        captured.append(facts)
        return original(facts, sliced=sliced)

    engine.evaluate = recording  # type: ignore[method-assign]
    try:
        for token, call in requests:
            gateway.check(token, call)
    finally:
        del engine.evaluate
    return captured


# -- timing ---------------------------------------------------------------------


def timed(
    call: Callable[[Any], Any], items: Sequence[Any], *, cpu: list[int] | None = None
) -> list[int]:
    """Wall-clock nanoseconds per call, with the garbage collector kept out of the loop.

    ``cpu`` collects this thread's CPU time per call too: on a busy machine the
    difference is time the scheduler gave to other processes (or time spent waiting
    on the disk), which wall-clock percentiles cannot tell apart from slow code.
    """
    samples = []
    wall, thread = time.perf_counter_ns, time.thread_time_ns
    gc.collect()
    gc.disable()
    try:
        for item in items:
            cpu_start = thread()
            start = wall()
            call(item)
            samples.append(wall() - start)
            if cpu is not None:
                cpu.append(thread() - cpu_start)
    finally:
        gc.enable()
    return samples


def percentile(samples: Sequence[int], fraction: float) -> float:
    """Nearest-rank percentile, in microseconds."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))
    return ordered[rank] / 1000


def measure(size: int, plan: Plan, workdir: Path) -> Row:
    """Set up a gateway with ``size`` policies and time full checks, their parts, raw Cedar."""
    started = time.perf_counter()
    rng = random.Random(SEED + size)
    with Gateway.open(workdir / f"policies-{size}") as gateway:
        admin = Admin(gateway)
        tasks = populate(admin)
        tokens = issue_tokens(admin, tasks)
        policies = make_policies(size, rng)
        admin.put_policy("bench", policies, actor="bench")
        setup_s = time.perf_counter() - started

        # Steady state: every agent has presented its token before (an agent makes
        # many calls per token); a token's first, uncached check is timed apart below.
        for token in tokens.values():
            gateway.check(token, ToolCall("bench.warmup"))
        for token, call in make_requests(tokens, rng, plan.warmup):
            gateway.check(token, call)
        requests = make_requests(tokens, rng, plan.full)
        engine = gateway.runtime.policies
        before = engine.cache_info()
        outcomes: dict[str, int] = {o.value: 0 for o in Outcome}
        in_order: list[str] = []

        def check(request: Call) -> None:
            outcome = gateway.check(*request).outcome.value
            outcomes[outcome] += 1
            in_order.append(outcome)

        full_cpu: list[int] = []
        full = timed(check, requests, cpu=full_cpu)
        after = engine.cache_info()
        lookups = (after.hits - before.hits) + (after.misses - before.misses)

        inputs = capture_inputs(
            gateway, requests[: plan.raw_small if size <= 1_000 else plan.raw_large]
        )
        candidates = [engine.evaluate(facts).candidates for facts in inputs]
        # Where a full check's time goes: the judgment alone (slices now cached), and
        # the audit append alone (the same decision bodies, appended again).
        judged = timed(engine.evaluate, inputs)
        recorded = [e.body for e in gateway.runtime.audit.tail(len(inputs)) if e.kind == "decision"]
        appended = timed(lambda body: gateway.runtime.audit.append("bench.replay", body), recorded)
        raw = time_raw_cedar(gateway, inputs, policies)
        verify = gateway.runtime.tokens.verify
        verified = timed(verify, [token for token, _ in requests[: len(inputs)]])
        again = dict(list(tasks.items())[: len(inputs)])
        verified_cold = timed(verify, list(issue_tokens(admin, again).values()))

    return Row(
        policies=size,
        full_p50_us=percentile(full, 0.50),
        full_p99_us=percentile(full, 0.99),
        full_cpu_p50_us=percentile(full_cpu, 0.50),
        full_cpu_p99_us=percentile(full_cpu, 0.99),
        raw_p50_us=percentile(raw, 0.50),
        raw_p99_us=percentile(raw, 0.99),
        engine_p50_us=percentile(judged, 0.50),
        engine_p99_us=percentile(judged, 0.99),
        audit_p50_us=percentile(appended, 0.50),
        audit_p99_us=percentile(appended, 0.99),
        verify_p50_us=percentile(verified, 0.50),
        verify_p99_us=percentile(verified, 0.99),
        verify_cold_p50_us=percentile(verified_cold, 0.50),
        verify_cold_p99_us=percentile(verified_cold, 0.99),
        full_calls=len(full),
        raw_calls=len(raw),
        mean_candidates=sum(candidates) / len(candidates),
        slice_cache_hit_rate=(after.hits - before.hits) / lookups if lookups else 0.0,
        outcomes=outcomes,
        by_outcome=_by_outcome(full, in_order),
        cpu_by_outcome=_by_outcome(full_cpu, in_order),
        setup_s=round(setup_s, 2),
    )


def _by_outcome(samples: Sequence[int], outcomes: Sequence[str]) -> dict[str, tuple[float, float]]:
    grouped: dict[str, list[int]] = {}
    for sample, outcome in zip(samples, outcomes, strict=True):
        grouped.setdefault(outcome, []).append(sample)
    return {
        outcome: (percentile(values, 0.50), percentile(values, 0.99))
        for outcome, values in sorted(grouped.items())
    }


def time_raw_cedar(gateway: Gateway, inputs: Sequence[PolicyInput], policies: str) -> list[int]:
    """One unsliced Cedar call per captured input: defaults plus every generated policy."""
    # The request and entities are the engine's own, so raw Cedar judges the same thing.
    engine = gateway.runtime.policies
    cedar_requests = [engine.cedar_inputs(facts)[0] for facts in inputs]
    entities = engine.cedar_inputs(inputs[0])[1]
    every = "\n".join(document.text for document in default_documents()) + "\n" + policies
    policy_set = cedarpy.PolicySet.from_str(every)
    _check_agreement(gateway, inputs, cedar_requests, policy_set, entities)

    def authorize(request: dict[str, Any]) -> None:
        cedarpy.is_authorized(request, policy_set, entities)

    for request in cedar_requests[: max(5, len(cedar_requests) // 10)]:
        authorize(request)
    return timed(authorize, cedar_requests)


def _check_agreement(
    gateway: Gateway,
    inputs: Sequence[PolicyInput],
    requests: Sequence[dict[str, Any]],
    policy_set: cedarpy.PolicySet,
    entities: cedarpy.Entities,
) -> None:
    """Raw Cedar over every policy must permit exactly the calls the sliced engine allows."""
    engine = gateway.runtime.policies
    for facts, request in zip(inputs, requests, strict=True):
        sliced = engine.evaluate(facts).outcome is Outcome.ALLOW
        raw = cedarpy.is_authorized(request, policy_set, entities).allowed
        if sliced != raw:
            raise SystemExit(f"raw Cedar and the gateway disagree on {request}")


# -- monitoring, side by side ----------------------------------------------------

#: Issue 7: monitoring adds under 20 µs to the p50 of an in-process check.
TARGET_MONITOR_US = 20.0
MONITOR_ROUND = 50
#: Calls of the separate pass that times the monitor's own calls.
MONITOR_PARTS = 1_000
MONITOR_PLANS = {False: (2_000, 6_000), True: (500, 1_500)}  # (warm-up, timed) per mode
#: The data directory's settings of each mode.
MONITOR_SETTINGS = {
    "off": "monitor:\n  enabled: false\n",
    "on": "",
    "limits": "",
}
#: The limits of the ``limits`` mode: each matches every call of the workload, and none
#: is ever reached (a refused call would be cheaper, not dearer).
BENCH_LIMITS = (
    "team*: 1000000/minute per agent",
    "*: 1000000/minute per task",
    "*: 1000000/second per global",
)


@dataclass(frozen=True)
class MonitorRow:
    mode: str
    p50_us: float
    p99_us: float
    cpu_p50_us: float
    cpu_p99_us: float
    #: Median over rounds of (this mode's round median - the off round's median).
    added_p50_us: float
    calls: int
    outcomes: dict[str, int]
    #: Timed calls a tripped breaker held or denied (code ``breaker_open``).
    breaker_held: int
    #: Agents whose breaker is open at the end.
    breakers_tripped: int
    #: ``Monitor.before`` and ``Monitor.after`` alone, inside checks (a separate pass).
    before_p50_us: float
    after_p50_us: float
    #: The monitor's learner thread: its CPU per call learned (off the hot path).
    learner_cpu_us: float


def open_mode(workdir: Path, mode: str, size: int) -> tuple[Gateway, dict[str, str]]:
    """A gateway with the bench inventory and ``size`` policies, monitored as ``mode`` says."""
    data_dir = workdir / f"monitor-{mode}-{size}"
    data_dir.mkdir(mode=0o700)
    (data_dir / "settings.yaml").write_text(MONITOR_SETTINGS[mode], encoding="utf-8")
    gateway = Gateway.open(data_dir)
    admin = Admin(gateway)
    tokens = issue_tokens(admin, populate(admin))
    # Same seed in every mode: the same policies.
    admin.put_policy("bench", make_policies(size, random.Random(SEED + size)), actor="bench")
    if mode == "limits":
        rules = parse_rate_limits(BENCH_LIMITS)
        gateway.runtime.monitor.declare_rate_limits(rules, actor="bench")
    return gateway, tokens


class Mode:
    """One monitor setting's gateway, and what its calls took."""

    def __init__(self, name: str, gateway: Gateway, tokens: dict[str, str]):
        self.name = name
        self.gateway = gateway
        self.tokens = tokens
        self.samples: list[int] = []
        self.cpu: list[int] = []
        self.round_medians: list[float] = []
        self.before_ns: list[int] = []
        self.after_ns: list[int] = []
        self.outcomes = {o.value: 0 for o in Outcome}
        self.breaker_held = 0

    def check(self, request: Call) -> None:
        """``request`` is (agent id, call): the agent calls with this gateway's token."""
        decision = self.gateway.check(self.tokens[request[0]], request[1])
        self.outcomes[decision.outcome.value] += 1
        self.breaker_held += decision.code == "breaker_open"

    def warm_up(self, requests: Sequence[Call]) -> None:
        for token in self.tokens.values():
            self.gateway.check(token, ToolCall("bench.warmup"))
        for request in requests:
            self.check(request)
        self.outcomes = {o.value: 0 for o in Outcome}
        self.breaker_held = 0
        self.gateway.runtime.monitor.drain()

    def play_round(self, requests: Sequence[Call]) -> None:
        taken = timed(self.check, requests, cpu=self.cpu)
        # The trips and alerts this round raised are written before the next mode's
        # round starts: each mode bears its own background work.
        self.gateway.runtime.monitor.drain()
        self.samples.extend(taken)
        self.round_medians.append(statistics.median(taken) / 1000)

    def time_parts(self, requests: Sequence[Call]) -> None:
        """Play ``requests`` with the monitor's two calls on the check's path timed
        (apart from the paired rounds, so that the timing wrappers cost them nothing)."""
        monitor = self.gateway.runtime.monitor
        monitor.before = _timing(monitor.before, self.before_ns)  # type: ignore[method-assign]
        monitor.after = _timing(monitor.after, self.after_ns)  # type: ignore[method-assign]
        try:
            for agent, call in requests:
                self.gateway.check(self.tokens[agent], call)
                monitor.drain()
        finally:
            del monitor.before, monitor.after

    def row(self, off: Mode) -> MonitorRow:
        paired = zip(self.round_medians, off.round_medians, strict=True)
        return MonitorRow(
            mode=self.name,
            p50_us=percentile(self.samples, 0.50),
            p99_us=percentile(self.samples, 0.99),
            cpu_p50_us=percentile(self.cpu, 0.50),
            cpu_p99_us=percentile(self.cpu, 0.99),
            added_p50_us=statistics.median(mine - theirs for mine, theirs in paired),
            calls=len(self.samples),
            outcomes=self.outcomes,
            breaker_held=self.breaker_held,
            breakers_tripped=len(self.gateway.runtime.monitor.breakers.tripped()),
            before_p50_us=percentile(self.before_ns, 0.50),
            after_p50_us=percentile(self.after_ns, 0.50),
            learner_cpu_us=_learner_cpu_us(self.gateway),
        )


def _learner_cpu_us(gateway: Gateway) -> float:
    """The monitor's learner thread's CPU per item learned, in µs (0 with none)."""
    items, cpu_s = gateway.runtime.monitor.learner_load()
    return cpu_s * 1e6 / items if items else 0.0


def _timing(function: Callable[..., Any], samples: list[int]) -> Callable[..., Any]:
    def timed_call(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter_ns()
        try:
            return function(*args, **kwargs)
        finally:
            samples.append(time.perf_counter_ns() - started)

    return timed_call


def measure_monitoring(size: int, quick: bool, workdir: Path) -> list[MonitorRow]:
    """The same calls through gateways that differ only in their monitor settings,
    interleaved in rounds of :data:`MONITOR_ROUND` calls (each round in every mode, the
    order rotating), so that drift of the machine falls on every mode alike."""
    modes = [Mode(name, *open_mode(workdir, name, size)) for name in MONITOR_SETTINGS]
    try:
        warmup, count = MONITOR_PLANS[quick]
        # Agent ids stand in for tokens: each mode maps them to its own gateway's tokens.
        agents = {agent: agent for agent in modes[0].tokens}
        rng = random.Random(SEED + size + 7)
        warm, requests = make_requests(agents, rng, warmup), make_requests(agents, rng, count)
        for mode in modes:
            mode.warm_up(warm)
        for number, start in enumerate(range(0, count, MONITOR_ROUND)):
            shift = number % len(modes)
            for mode in modes[shift:] + modes[:shift]:
                mode.play_round(requests[start : start + MONITOR_ROUND])
        parts = make_requests(agents, rng, MONITOR_PARTS)
        for mode in modes:
            mode.time_parts(parts)
        return [mode.row(modes[0]) for mode in modes]
    finally:
        for mode in modes:
            mode.gateway.close()


def print_monitoring(size: int, rows: Sequence[MonitorRow]) -> None:
    print(f"monitoring side by side at {size:,} policies ({rows[0].calls:,} calls per mode)")
    header = (
        f"{'mode':>7} | {'check p50/p99 µs':>17} | {'CPU p50/p99 µs':>15} | "
        f"{'added to p50 µs':>15} | {'before/after p50 µs':>19} | {'breakers open':>13} | "
        f"{'held by one':>11} | outcomes"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        check = f"{row.p50_us:.0f} / {row.p99_us:.0f}"
        cpu = f"{row.cpu_p50_us:.0f} / {row.cpu_p99_us:.0f}"
        added = "-" if row.mode == "off" else f"{row.added_p50_us:+.1f}"
        parts = f"{row.before_p50_us:.1f} / {row.after_p50_us:.1f}"
        counts = ", ".join(f"{name} {n}" for name, n in row.outcomes.items() if n)
        print(
            f"{row.mode:>7} | {check:>17} | {cpu:>15} | {added:>15} | {parts:>19} | "
            f"{row.breakers_tripped:>13} | {row.breaker_held:>11} | {counts}"
        )
    for row in rows:
        if row.learner_cpu_us:
            print(
                f"{row.mode:>7}: the monitor's learner thread spent {row.learner_cpu_us:.1f} µs "
                "of CPU per call learned, off the checking thread"
            )
    worst = max(row.added_p50_us for row in rows if row.mode != "off")
    verdict = "met" if worst < TARGET_MONITOR_US else "NOT met"
    print(
        f"monitoring adds at most {worst:.1f} µs to the p50 (median over rounds of paired "
        f"round medians; target < {TARGET_MONITOR_US:.0f} µs: {verdict})"
    )


# -- report ---------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "cedarpy": metadata.version("cedarpy"),
        "system": platform.system(),
        # Other work on the machine skews every figure; record how busy it was.
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def summary(rows: Sequence[Row]) -> dict[str, Any]:
    first, last = rows[0], rows[-1]
    flatness = last.full_p99_us / first.full_p99_us if first.full_p99_us else 0.0
    under = all(row.full_p99_us < TARGET_P99_US for row in rows)
    at_target = [row for row in rows if row.policies == TARGET_VERIFIED_AT]
    verified_met = at_target[0].full_p99_us < TARGET_VERIFIED_P99_US if at_target else None
    return {
        "flatness": round(flatness, 2),
        "flatness_between": [first.policies, last.policies],
        "p99_target_met": under,
        "flatness_target_met": flatness <= TARGET_FLATNESS,
        "verified_p99_target_met": verified_met,
        "targets_met": under and flatness <= TARGET_FLATNESS and verified_met is not False,
    }


def print_table(rows: Sequence[Row], result: dict[str, Any]) -> None:
    header = (
        f"{'policies':>9} | {'full check p50/p99 µs':>22} | {'raw cedar p50/p99 µs':>22} | "
        f"{'raw/full p50':>12} | {'candidates':>10} | {'slice hits':>10} | "
        f"{'judge p50/p99':>13} | {'audit p50/p99':>13} | {'verify p50/p99':>14} | "
        f"{'full CPU p50/p99':>16}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        full = f"{row.full_p50_us:.0f} / {row.full_p99_us:.0f}"
        raw = f"{row.raw_p50_us:.0f} / {row.raw_p99_us:.0f}"
        judge = f"{row.engine_p50_us:.0f} / {row.engine_p99_us:.0f}"
        audit = f"{row.audit_p50_us:.0f} / {row.audit_p99_us:.0f}"
        cpu = f"{row.full_cpu_p50_us:.0f} / {row.full_cpu_p99_us:.0f}"
        verify = f"{row.verify_p50_us:.0f} / {row.verify_p99_us:.0f}"
        print(
            f"{row.policies:>9,} | {full:>22} | {raw:>22} | {row.speedup:>11.1f}x | "
            f"{row.mean_candidates:>10.1f} | {row.slice_cache_hit_rate:>10.0%} | "
            f"{judge:>13} | {audit:>13} | {verify:>14} | {cpu:>16}"
        )
    low, high = result["flatness_between"]
    print()
    print(f"flatness: full-check p99 at {high:,} / at {low:,} policies = {result['flatness']:.2f}x")
    verdict = "met" if result["targets_met"] else "NOT met"
    print(
        f"targets (full check p99 < {TARGET_P99_US:.0f} µs at every size: "
        f"{'yes' if result['p99_target_met'] else 'no'}; flat within {TARGET_FLATNESS:.0f}x: "
        f"{'yes' if result['flatness_target_met'] else 'no'}): {verdict}"
    )
    for row in rows:
        print(
            f"token verification at {row.policies:,} policies: "
            f"{row.verify_p50_us:.0f} / {row.verify_p99_us:.0f} µs p50/p99 for a token seen "
            f"before, {row.verify_cold_p50_us:.0f} / {row.verify_cold_p99_us:.0f} µs for its "
            "first use (Ed25519 signature check)"
        )
    for row in rows:
        shares = ", ".join(
            f"{outcome} {row.outcomes.get(outcome, 0) / row.full_calls:.0%} {p50:.0f} / {p99:.0f}"
            for outcome, (p50, p99) in row.by_outcome.items()
        )
        print(f"full check p50 / p99 µs by outcome at {row.policies:,} policies: {shares}")
        cpu = ", ".join(
            f"{outcome} {p50:.0f} / {p99:.0f}" for outcome, (p50, p99) in row.cpu_by_outcome.items()
        )
        print(f"  its CPU time in the checking thread, p50 / p99 µs: {cpu}")
    verified = result["verified_p99_target_met"]
    if verified is not None:
        print(
            f"full check with token verification p99 < {TARGET_VERIFIED_P99_US:.0f} µs at "
            f"{TARGET_VERIFIED_AT:,} policies: {'yes' if verified else 'no'}"
        )


def _rounded(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: round(value, 2) if isinstance(value, float) else value for key, value in row.items()
    }


def parse_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(sorted({int(part.replace("_", "")) for part in text.split(",") if part}))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--sizes takes numbers like 10,100,1000: {exc}") from exc
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("--sizes needs at least one positive policy count")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--quick", action="store_true", help="smoke run: sizes 10,100, fewer calls")
    parser.add_argument("--sizes", type=parse_sizes, help="policy counts, e.g. 10,100,1000")
    parser.add_argument("--monitor", action="store_true", help="monitoring off vs on, side by side")
    args = parser.parse_args(argv)
    if args.monitor:
        return main_monitoring(args.sizes or (100,), quick=args.quick, as_json=args.json)
    plan = QUICK_PLAN if args.quick else FULL_PLAN
    sizes = args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    host = machine()  # before the run adds its own load
    started = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory(prefix="proctor-bench-") as workdir:
        for size in sizes:
            if not args.json:
                print(f"measuring {size:,} policies ...", file=sys.stderr, flush=True)
            rows.append(measure(size, plan, Path(workdir)))
    result = summary(rows)
    elapsed = time.perf_counter() - started
    if args.json:
        report = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": host,
            "agents": AGENTS,
            "groups": GROUPS,
            "tools": TOOLS,
            "quick": args.quick,
            "rows": [_rounded(asdict(row) | {"raw_over_full_p50": row.speedup}) for row in rows],
            "targets": {
                "full_p99_us_below": TARGET_P99_US,
                "flat_within": TARGET_FLATNESS,
                "verified_full_p99_us_below_at_1000": TARGET_VERIFIED_P99_US,
            },
            **result,
            "elapsed_s": round(elapsed, 1),
        }
        print(json.dumps(report, indent=2))
    else:
        print_table(rows, result)
        print(
            f"({AGENTS:,} agents in {GROUPS} groups, {TOOLS} tools; {host['cpus']} CPUs, "
            f"load before the run {host['load_average_1m']}; {elapsed:.0f} s)"
        )
    return 0


def main_monitoring(sizes: Sequence[int], *, quick: bool, as_json: bool) -> int:
    host = machine()
    started = time.perf_counter()
    results: dict[int, list[MonitorRow]] = {}
    with tempfile.TemporaryDirectory(prefix="proctor-bench-") as workdir:
        for size in sizes:
            if not as_json:
                print(f"measuring monitoring at {size:,} policies ...", file=sys.stderr, flush=True)
            results[size] = measure_monitoring(size, quick, Path(workdir))
    elapsed = time.perf_counter() - started
    if as_json:
        report = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": host,
            "quick": quick,
            "rate_limits": list(BENCH_LIMITS),
            "target_added_p50_us_below": TARGET_MONITOR_US,
            "sizes": {
                str(size): [_rounded(asdict(row)) for row in rows] for size, rows in results.items()
            },
            "elapsed_s": round(elapsed, 1),
        }
        print(json.dumps(report, indent=2))
        return 0
    for size, rows in results.items():
        print_monitoring(size, rows)
        print()
    print(
        f"({AGENTS:,} agents, {TOOLS} tools; {host['cpus']} CPUs, load before the run "
        f"{host['load_average_1m']}; {elapsed:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
