"""What bounding every call by its requester costs, with a large directory.

    python bench/directory.py                 # 10,000 people, 1,000 groups, 100,000 grants
    python bench/directory.py --quick         # 1,000 people, 100 groups, 10,000 grants

A real gateway gets a directory of N people in nested groups and grants on resources
(each resource's own access list, plus pattern rules), 1,000 agents with a task each
for a random person, and resources those calls touch. The same calls are timed:

* with the intersection (the normal path: the precomputed directory answers whether
  the requester may make the call, and the default policy ``deny-beyond-requester``
  judges it);
* without it: the directory's answer replaced by "may do anything" inside this
  script (the gateway has no switch to turn the bound off), so the difference is what
  the lookup costs on the hot path;

and, on the captured policy inputs, Cedar with and without the default policy that
judges the requester's facts. Rebuilding the precomputed view is timed too.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proctor.admin import Admin
from proctor.directory import (
    AccessLevel,
    AccessRule,
    Bound,
    Grant,
    Group,
    TargetKind,
    put_group,
)
from proctor.gateway import Gateway
from proctor.model import ActionClass, Agent, Capabilities, Label, Outcome, Resource, Tool, ToolCall
from proctor.policy import PolicyEngine, default_documents

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check import capture_inputs, percentile, timed

SEED = 1010
AGENTS = 1_000
CALLS = 5_000
WARMUP = 2_000


@dataclass(frozen=True)
class Size:
    people: int
    groups: int
    grants: int

    @property
    def resources(self) -> int:
        return self.grants // 5


FULL = Size(10_000, 1_000, 100_000)
QUICK = Size(1_000, 100, 10_000)


def build(admin: Admin, size: Size, rng: random.Random) -> list[tuple[str, ToolCall]]:
    """The directory, the inventory, the tasks; the calls to time (token, call)."""
    runtime = admin.runtime
    started = time.perf_counter()
    for n in range(size.people):
        runtime.people.add(f"u{n}", f"User {n}", clearance=Label.CONFIDENTIAL)
    for g in range(size.groups):
        members = tuple(sorted({f"u{rng.randrange(size.people)}" for _ in range(20)}))
        nested = tuple(sorted({f"g{rng.randrange(g + 1, size.groups)}"
                               for _ in range(2) if g + 1 < size.groups}))  # fmt: skip
        put_group(admin, Group(f"g{g}", f"group {g}", members, nested), actor="bench")
    rules = []
    for r in range(size.resources):
        grants = {Grant(f"group:g{rng.randrange(size.groups)}", AccessLevel.READ) for _ in range(4)}
        grants.add(Grant(f"u{rng.randrange(size.people)}", AccessLevel.WRITE))
        rules.append(AccessRule(TargetKind.RESOURCE, f"doc:{r}", tuple(sorted(grants, key=str))))
    runtime.directory.store.put_rules(rules)
    runtime.directory.invalidate()
    print(f"  directory written in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    admin.put_tool(Tool("docs.read", ActionClass.READ, Label.INTERNAL), actor="bench")
    touched = rng.sample(range(size.resources), 200)
    for r in touched:
        admin.put_resource(Resource(f"doc:{r}", "owner", Label.INTERNAL), actor="bench")
    index = runtime.directory.index
    readers = {r: _readers(index, f"doc:{r}", size) for r in touched}
    calls = []
    tokens = []
    for k in range(AGENTS):
        resource = rng.choice(touched)
        requester = rng.choice(readers[resource])
        admin.put_agent(Agent(f"a{k}", f"agent {k}", "ops"), actor="bench")
        task = admin.create_task(
            agent_id=f"a{k}",
            requester=requester,
            purpose="read one document",
            capabilities=Capabilities(actions=frozenset({ActionClass.READ})),
            actor="bench",
        )
        token = admin.issue_task_token(task.id, actor="bench").token
        tokens.append((token, f"doc:{resource}"))
    for _ in range(CALLS + WARMUP):
        token, resource = rng.choice(tokens)
        calls.append((token, ToolCall("docs.read", {"page": rng.randrange(50)}, resource)))
    return calls


def _readers(index: Any, resource: str, size: Size) -> list[str]:
    """People who may read ``resource`` (a call the intersection allows)."""
    grants = index.grants(TargetKind.RESOURCE, resource) or ()
    found = []
    for n in range(size.people):
        principal = index.principal(f"u{n}")
        if any(grant.subject in principal.subjects for grant in grants):
            found.append(principal.id)
        if len(found) >= 5:
            break
    return found or [next(g.subject for g in grants if not g.subject.startswith("group:"))]


def measure(size: Size, workdir: Path) -> dict[str, float]:
    rng = random.Random(SEED)
    with Gateway.open(workdir / "directory") as gateway:
        admin = Admin(gateway)
        calls = build(admin, size, rng)
        started = time.perf_counter()
        gateway.runtime.directory.refresh()
        rebuild_ms = (time.perf_counter() - started) * 1000
        warm, timed_calls = calls[:WARMUP], calls[WARMUP:]
        for token, call in warm:
            gateway.check(token, call)
        outcomes = [gateway.check(token, call).outcome for token, call in timed_calls[:200]]
        assert outcomes.count(Outcome.ALLOW) == len(outcomes), "every timed call is allowed"

        def check(item: tuple[str, ToolCall]) -> None:
            gateway.check(*item)

        with_bound = timed(check, timed_calls)
        index = gateway.runtime.directory.index
        bound_alone = timed(
            lambda _: index.bound(("u1",), ActionClass.READ, Label.INTERNAL, "doc:1", "docs.read"),
            range(len(timed_calls)),
        )
        unbounded = Bound(Label.RESTRICTED, True, True, AccessLevel.READ)
        original = index.bound
        index.bound = lambda *args, **kwargs: unbounded  # type: ignore[method-assign]
        try:
            without_bound = timed(check, timed_calls)
        finally:
            index.bound = original  # type: ignore[method-assign]
        inputs = capture_inputs(gateway, timed_calls[:2000])
    judged_with, judged_without = _cedar_cost(inputs)
    return {
        "people": size.people,
        "groups": size.groups,
        "grants": size.grants,
        "rebuild_ms": rebuild_ms,
        "with_p50": percentile(with_bound, 0.5),
        "with_p99": percentile(with_bound, 0.99),
        "without_p50": percentile(without_bound, 0.5),
        "without_p99": percentile(without_bound, 0.99),
        "bound_p50": percentile(bound_alone, 0.5),
        "cedar_with_p50": percentile(judged_with, 0.5),
        "cedar_without_p50": percentile(judged_without, 0.5),
    }


def _cedar_cost(inputs: Sequence[Any]) -> tuple[list[int], list[int]]:
    """Cedar alone on the same inputs, with and without ``deny-beyond-requester``."""
    every = default_documents()
    without = [document for document in every if "deny-beyond-requester" not in document.text]
    with_engine = PolicyEngine(every, include_defaults=False)
    without_engine = PolicyEngine(without, include_defaults=False)
    for engine in (with_engine, without_engine):
        agents = {facts.agent.id: facts.agent for facts in inputs}
        tools = {facts.tool.name: facts.tool for facts in inputs if facts.tool}
        engine.set_inventory(agents.values(), tools.values())
        for facts in inputs:
            engine.evaluate(facts)
    return timed(with_engine.evaluate, inputs), timed(without_engine.evaluate, inputs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the directory")
    args = parser.parse_args(argv)
    size = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory() as workdir:
        row = measure(size, Path(workdir))
    delta = row["with_p50"] - row["without_p50"]
    print(
        f"{row['people']:,} people, {row['groups']:,} groups, {row['grants']:,} grants "
        f"(precomputed view rebuilt in {row['rebuild_ms']:.0f} ms)"
    )
    print(
        f"full check p50/p99 µs: with the intersection {row['with_p50']:.0f} / "
        f"{row['with_p99']:.0f}, without {row['without_p50']:.0f} / {row['without_p99']:.0f}"
    )
    print(f"the directory lookup alone: p50 {row['bound_p50']:.1f} µs")
    cedar = row["cedar_with_p50"] - row["cedar_without_p50"]
    print(
        f"Cedar p50 with / without deny-beyond-requester: {row['cedar_with_p50']:.0f} / "
        f"{row['cedar_without_p50']:.0f} µs ({cedar:+.1f} µs)"
    )
    verdict = "met" if delta + max(cedar, 0.0) <= 20 else "NOT met"
    print(
        f"intersection cost at p50: {delta:+.1f} µs on the hot path, {cedar:+.1f} µs in Cedar "
        f"(target: within 20 µs): {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
