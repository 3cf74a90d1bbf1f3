"""Does evaluation cost stay flat as the policy set grows? (python bench/policy_slicing.py)

Loads the defaults plus N generated policies (mostly scoped to one agent, one tool
or one tool pattern, a few unscoped), 1,000 agents and 500 tools, then times
``PolicyEngine.evaluate`` over a fixed mix of calls after one warm-up pass.
"""

from __future__ import annotations

import random
import statistics
import sys
import time

from proctor.model import ActionClass, Agent, Label, Tool
from proctor.policy import (
    PolicyDocument,
    PolicyEngine,
    PolicyInput,
    RequesterFacts,
    ResourceFacts,
    TaskFacts,
)

AGENTS = 1000
TOOLS = 500
NAMESPACES = 50
CALLS = 2000


def _policies(count: int, rng: random.Random, *, elsewhere: bool = False) -> str:
    """``count`` policies; ``elsewhere``: all scoped to agents and tools no call uses."""
    first_agent, first_tool = (200, 100) if elsewhere else (0, 0)
    conditions = ["context.task.grants_tool", 'resource.label == "restricted"', "true"]
    lines = []
    for number in range(count):
        effect = rng.choice(["permit", "forbid"])
        agent = f'principal == Agent::"agent-{rng.randrange(first_agent, AGENTS)}"'
        tool = rng.randrange(first_tool, TOOLS)
        # One policy in a thousand is unscoped; the rest name an agent and/or a tool.
        shape = 0 if number % 1000 == 0 and not elsewhere else 1 + number % 19
        if shape == 0:
            scope = "principal, action, resource"
        elif shape < 8:
            scope = f'{agent}, action, resource == Tool::"ns{tool % NAMESPACES}.tool{tool}"'
        elif shape < 14:
            scope = f'{agent}, action, resource in ToolPattern::"ns{tool % NAMESPACES}.*"'
        else:
            scope = f'principal, action, resource == Tool::"ns{tool % NAMESPACES}.tool{tool}"'
        condition = 'context.task.requester == "never"' if shape == 0 else rng.choice(conditions)
        lines.append(f'@id("bench-{number}")\n{effect} ({scope}) when {{ {condition} }};')
    return "\n".join(lines)


def _inventory() -> tuple[list[Agent], list[Tool]]:
    agents = [
        Agent(f"agent-{n}", f"Agent {n}", f"owner-{n % 40}", groups=(f"team-{n % 30}",))
        for n in range(AGENTS)
    ]
    classes = list(ActionClass)
    tools = [
        Tool(f"ns{n % NAMESPACES}.tool{n}", classes[n % len(classes)], Label.INTERNAL)
        for n in range(TOOLS)
    ]
    return agents, tools


def _calls(agents: list[Agent], tools: list[Tool], rng: random.Random) -> list[PolicyInput]:
    calls = []
    for _ in range(CALLS):
        agent, tool = rng.choice(agents[:200]), rng.choice(tools[:100])
        task = TaskFacts("task", "bench", "bob", "read", rng.random() < 0.5, False, False, False)
        resource = ResourceFacts("", False, str(tool.label), "")
        requester = RequesterFacts("internal", cleared=True, permitted=True)
        calls.append(
            PolicyInput(agent, tool.name, tool, str(tool.action_class), task, resource, requester)
        )
    return calls


def measure(count: int, *, elsewhere: bool = False) -> tuple[float, float, float, float]:
    """(load seconds, p50 µs, p99 µs, mean candidates) for ``count`` extra policies."""
    rng = random.Random(count)
    agents, tools = _inventory()
    started = time.perf_counter()
    text = _policies(count, rng, elsewhere=elsewhere)
    engine = PolicyEngine([PolicyDocument("bench.cedar", text)])
    engine.set_inventory(agents, tools)
    load = time.perf_counter() - started
    calls = _calls(agents, tools, rng)
    candidates = [engine.evaluate(call).candidates for call in calls]
    timings = []
    for call in calls:
        begin = time.perf_counter_ns()
        engine.evaluate(call)
        timings.append((time.perf_counter_ns() - begin) / 1000)
    timings.sort()
    p99 = timings[int(len(timings) * 0.99)]
    return load, statistics.median(timings), p99, statistics.mean(candidates)


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or [10, 10_000]
    print(f"{'policies':>22} {'load s':>7} {'p50 µs':>7} {'p99 µs':>7} {'candidates':>10}")
    runs = [(count, False) for count in sizes] + [(max(sizes), True)]
    for count, elsewhere in runs:
        load, p50, p99, candidates = measure(count, elsewhere=elsewhere)
        label = f"{count} (scoped elsewhere)" if elsewhere else str(count)
        print(f"{label:>22} {load:>7.2f} {p50:>7.1f} {p99:>7.1f} {candidates:>10.1f}")


if __name__ == "__main__":
    main()
