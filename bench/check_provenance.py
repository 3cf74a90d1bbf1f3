"""What value provenance adds to a whole check, side by side with it off.

    python bench/check_provenance.py               # 1,000 recorded values, 4,000 checks
    python bench/check_provenance.py --values 10000 --calls 8000
    python bench/check_provenance.py --json

A real gateway on a fresh SQLite store, one task whose session holds the requested
number of recorded values (invoices from the accounting system recorded through
``record_outcome(result=...)``, as an agent's SDK reports them; trusted, so that the
calls below are allowed and the time is provenance's, not an approval's). Then the same payment
call is checked again and again, through ``gateway.check`` end to end (token, facts,
Cedar, reasons, audit append), under two catalog entries that differ in one thing:

* on: ``bank.transfer`` declares ``iban`` and ``to`` as its target arguments, so
  every check attributes them (one matching a recorded value, one new);
* off: ``bank.transfer_plain`` declares no targets, so provenance is not consulted.

Calls alternate between the two in rounds, so drift of the machine hits both alike.
Provenance's cost on the hot path is the median, over rounds, of the difference
between the two medians of a round (taken moments apart), in wall time and in the
checking thread's CPU time (steadier on a shared machine). Target: under
30 us at 1,000 recorded values.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from proctor.admin import Admin
from proctor.directory import Human, put_human
from proctor.gateway import Gateway
from proctor.model import ActionClass, Agent, Capabilities, Label, OutcomeStatus, Tool, ToolCall

TARGET_US = 30.0
ROUND = 50


def iban(rng: random.Random) -> str:
    bban = "".join(rng.choice("0123456789") for _ in range(18))
    return f"DE{98 - int(bban + '131400') % 97:02d}{bban}"


def invoice(rng: random.Random, n: int) -> dict[str, Any]:
    return {
        "from": f"billing{n}@vendor{rng.randrange(10**6)}.example",
        "subject": f"Invoice INV-{n:05d}",
        "body": (
            f"Please pay {rng.randrange(100, 9999)}.{rng.randrange(100):02d} EUR to "
            f"{iban(rng)} before the due date. Portal: https://pay.vendor{n}.example/i/{n}. "
            f"Call +49 30 {rng.randrange(10**7):07d} with questions."
        ),
    }


def set_up(gateway: Gateway, values: int, rng: random.Random) -> tuple[str, list[str]]:
    admin = Admin(gateway)
    put_human(admin, Human("dana", "Dana", None, frozenset(), Label.CONFIDENTIAL), actor="b")
    admin.put_agent(Agent("payer", "Accounts payable", "finance"), actor="b")
    # Trusted records: a call using their values is allowed, as a held call would time
    # the approval machinery instead of provenance.
    admin.put_tool(Tool("erp.invoices", ActionClass.READ), actor="b")
    admin.put_tool(Tool("bank.transfer", ActionClass.SPEND, targets=("iban", "to")), actor="b")
    admin.put_tool(Tool("bank.transfer_plain", ActionClass.SPEND), actor="b")
    task = admin.create_task(
        agent_id="payer",
        requester="dana",
        purpose="Pay this month's open invoices",
        capabilities=Capabilities(actions=frozenset({ActionClass.READ, ActionClass.SPEND})),
        actor="b",
    )
    token = admin.issue_task_token(task.id, actor="dana").token
    recorded: list[str] = []
    n = 0
    while gateway.runtime.provenance.summary(task.id).values < values:
        n += 1
        output = invoice(rng, n)
        read = gateway.check(token, ToolCall("erp.invoices", {"page": n}))
        gateway.record_outcome(token, read.id, OutcomeStatus.SUCCEEDED, "read", result=output)
        recorded.append(output["body"].split(" to ", 1)[1].split(" ", 1)[0])
    return token, recorded


def measure(values: int, calls: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    with (
        tempfile.TemporaryDirectory(prefix="proctor-bench-") as directory,
        Gateway.open(Path(directory)) as gateway,
    ):
        token, recorded = set_up(gateway, values, rng)
        samples: dict[str, list[float]] = {"on": [], "off": []}
        differences: list[float] = []
        cpu_differences: list[float] = []
        tools = {"on": "bank.transfer", "off": "bank.transfer_plain"}
        for warm in range(200):
            gateway.check(token, ToolCall(tools["on" if warm % 2 else "off"], {"iban": "x"}))
        for start in range(0, calls, ROUND):
            medians: dict[str, float] = {}
            cpu_medians: dict[str, float] = {}
            for mode in ("on", "off") if start // ROUND % 2 else ("off", "on"):
                taken: list[float] = []
                cpu: list[float] = []
                for i in range(start, min(start + ROUND, calls)):
                    arguments = {
                        "iban": rng.choice(recorded),
                        "to": f"vendor{i}@new-partner{i}.example",
                        "amount": 1000 + i,
                        "reference": f"INV-{i:05d}",
                    }
                    call = ToolCall(tools[mode], arguments)
                    began = time.perf_counter_ns()
                    began_cpu = time.thread_time_ns()
                    gateway.check(token, call)
                    cpu.append((time.thread_time_ns() - began_cpu) / 1000)
                    taken.append((time.perf_counter_ns() - began) / 1000)
                samples[mode].extend(taken)
                medians[mode] = statistics.median(taken)
                cpu_medians[mode] = statistics.median(cpu)
            differences.append(medians["on"] - medians["off"])
            cpu_differences.append(cpu_medians["on"] - cpu_medians["off"])
    figures = {
        mode: {
            "p50_us": statistics.median(found),
            "p99_us": statistics.quantiles(found, n=100)[98],
        }
        for mode, found in samples.items()
    }
    # Each round's two medians were taken moments apart: their difference is robust to
    # the machine's drift, and the median of the differences to its bursts.
    added = statistics.median(differences)
    # The same in the checking thread's CPU time, which a busy machine's other
    # processes (and this one's background threads) do not lengthen.
    added_cpu = statistics.median(cpu_differences)
    return {
        "values": values,
        "calls": calls,
        **figures,
        "added_p50_us": added,
        "added_cpu_p50_us": added_cpu,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=4411)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = measure(args.values, args.calls, args.seed)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    on, off = result["on"], result["off"]
    print(f"check with provenance, {args.values} recorded values, {args.calls} calls each")
    print(f"  on : p50 {on['p50_us']:8.1f} us   p99 {on['p99_us']:8.1f} us")
    print(f"  off: p50 {off['p50_us']:8.1f} us   p99 {off['p99_us']:8.1f} us")
    verdict = "met" if result["added_p50_us"] < TARGET_US else "NOT met"
    print(
        f"  provenance adds {result['added_p50_us']:.1f} us to the p50 "
        f"(target < {TARGET_US:.0f} us: {verdict}); "
        f"in the thread's CPU time {result['added_cpu_p50_us']:.1f} us"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
