"""How long from the call that makes an alert to the owner's webhook receiving it.

    python bench/alert_latency.py                 # 30 episodes of each kind
    python bench/alert_latency.py --episodes 100
    python bench/alert_latency.py --json

A real gateway on a fresh data directory whose settings point the webhook at a
loopback HTTP receiver this script starts in a subprocess (so that it does not share
the gateway's interpreter), with a short learning period and a tight breaker rule:

* anomaly: a fresh agent makes its ``TRAINING_CALLS`` ordinary reads, which end its
  learning period; then it changes a permission, an action class it never used: that
  call raises an ``alert.anomaly``;
* breaker: a fresh agent changes permissions ``BURST`` times in a row; the last call
  trips ``action_burst(modify_permissions >= 3 within 1m)``, and its owner is sent an
  ``alert.breaker``.

Each episode is timed from just before the ``gateway.check`` of the call that makes the
alert to the moment the receiver has read the webhook request (both sides read the
same system-wide monotonic clock). The time until the alert is stored (the gateway's
alert store tells its listeners) is printed too: it splits the monitor's work (queue,
baseline or breaker, audit, store) from the delivery (notifier queue, signing, HTTP).
Target: under 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

from proctor.admin import Admin
from proctor.directory import Human, put_human
from proctor.gateway import Gateway
from proctor.model import ActionClass, Agent, Capabilities, Label, Tool, ToolCall
from proctor.monitor import Alert

TARGET_S = 1.0
EPISODES = 30
TRAINING_CALLS = 20
BURST = 3
#: Longer than this and the alert counts as missed.
GIVE_UP_S = 10.0
READ_TOOL = "kb.search"
PERMISSION_TOOL = "repo.set_permissions"
SETTINGS = """\
webhook:
  url: {url}
monitor:
  learning_calls: {training}
  learning_period_s: 0
  breakers:
    rules:
      - denials: {{count: 5, within: 1m}}
      - anomaly: {{above: 0.9, calls: 5}}
      - action_burst: {{action: modify_permissions, count: {burst}, within: 1m}}
"""


# -- the receiver (a subprocess) ------------------------------------------------


def serve() -> None:
    """Print the port, then one JSON line per webhook request: when it was read, the
    event and the agent it is about."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            at = time.monotonic()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            about = json.loads(body).get("proctor", {})
            agent = about.get("alert", {}).get("agent")
            print(json.dumps({"at": at, "event": about.get("event"), "agent": agent}), flush=True)

        def log_message(self, *_args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


class Arrivals:
    """What the receiver subprocess reports, as it reports it."""

    def __init__(self, lines: Iterator[str]):
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(lines,), daemon=True)
        self._thread.start()

    def _read(self, lines: Iterator[str]) -> None:
        for line in lines:
            self._queue.put(json.loads(line))

    def wait_for(self, event: str, agent: str) -> float | None:
        """When the receiver read ``event`` about ``agent`` (None: not within GIVE_UP_S)."""
        deadline = time.monotonic() + GIVE_UP_S
        while (left := deadline - time.monotonic()) > 0:
            try:
                arrived = self._queue.get(timeout=left)
            except queue.Empty:
                return None
            if arrived["event"] == event and arrived["agent"] == agent:
                return float(arrived["at"])
        return None


@contextmanager
def receiver() -> Iterator[tuple[str, Arrivals]]:
    """The receiver's URL and what arrives there, until the block ends."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}/hooks/alerts", Arrivals(iter(process.stdout))
    finally:
        process.terminate()
        process.wait(timeout=10)


# -- the gateway and the episodes -----------------------------------------------


@dataclass(frozen=True)
class Episode:
    kind: str
    agent: str
    outcome: str
    #: Seconds from the check of the alerting call to the alert being stored / received.
    stored_s: float | None
    received_s: float | None


class Bench:
    """A gateway whose webhook is the receiver, and fresh agents to misbehave in it."""

    def __init__(self, gateway: Gateway, arrivals: Arrivals):
        self.gateway = gateway
        self.admin = Admin(gateway)
        self.arrivals = arrivals
        self._stored: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        gateway.runtime.monitor.alerts.subscribe(self._on_alert)
        put_human(self.admin, Human("dana", "Dana", None, frozenset(), Label.INTERNAL), actor="b")
        self.admin.put_tool(Tool(READ_TOOL, ActionClass.READ, Label.INTERNAL), actor="bench")
        self.admin.put_tool(
            Tool(PERMISSION_TOOL, ActionClass.MODIFY_PERMISSIONS, Label.INTERNAL), actor="bench"
        )

    def _on_alert(self, alert: Alert) -> None:
        with self._lock:
            self._stored[(f"alert.{alert.kind}", alert.agent)] = time.monotonic()

    def fresh_agent(self, name: str) -> str:
        """A new agent, its task (read and change permissions) and its token."""
        self.admin.put_agent(Agent(name, name, "platform-team"), actor="bench")
        actions = frozenset({ActionClass.READ, ActionClass.MODIFY_PERMISSIONS})
        task = self.admin.create_task(
            agent_id=name,
            requester="dana",
            purpose="keep the repositories' permissions tidy",
            capabilities=Capabilities(actions=actions),
            actor="dana",
        )
        return self.admin.issue_task_token(task.id, actor="dana").token

    def episode(self, kind: str, number: int) -> Episode:
        agent = f"{kind}-{number}"
        token = self.fresh_agent(agent)
        before = [READ_TOOL] * TRAINING_CALLS if kind == "anomaly" else [PERMISSION_TOOL] * 2
        for n, tool in enumerate(before):
            self.gateway.check(token, ToolCall(tool, {"n": n}))
        # Whatever the earlier calls queued is learnt before the clock starts.
        self.gateway.runtime.monitor.drain()
        call = ToolCall(PERMISSION_TOOL, {"repository": f"acme/r{number}", "grantee": "ops"})
        started = time.monotonic()
        decision = self.gateway.check(token, call)
        event = f"alert.{kind}"
        received = self.arrivals.wait_for(event, agent)
        with self._lock:
            stored = self._stored.get((event, agent))
        return Episode(
            kind,
            agent,
            decision.outcome.value,
            None if stored is None else stored - started,
            None if received is None else received - started,
        )


def run(episodes: int, workdir: Path) -> list[Episode]:
    """``episodes`` of each kind, alternating, each with a fresh agent."""
    with receiver() as (url, arrivals):
        data_dir = workdir / "alerts"
        data_dir.mkdir(mode=0o700)
        settings = SETTINGS.format(url=url, training=TRAINING_CALLS, burst=BURST)
        (data_dir / "settings.yaml").write_text(settings, encoding="utf-8")
        with Gateway.open(data_dir) as gateway:
            bench = Bench(gateway, arrivals)
            bench.episode("anomaly", 0)  # warm-up: imports, connections, caches
            return [
                bench.episode(kind, number)
                for number in range(1, episodes + 1)
                for kind in ("anomaly", "breaker")
            ]


# -- report ---------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


def figures(episodes: Sequence[Episode], kind: str) -> dict[str, Any]:
    mine = [e for e in episodes if e.kind == kind]
    received = [e.received_s for e in mine if e.received_s is not None]
    stored = [e.stored_s for e in mine if e.stored_s is not None]
    result: dict[str, Any] = {
        "episodes": len(mine),
        "missed": len(mine) - len(received),
        "outcomes": sorted({e.outcome for e in mine}),
    }
    if received:
        result |= {
            "received_median_ms": statistics.median(received) * 1000,
            "received_p95_ms": percentile(received, 0.95) * 1000,
            "received_max_ms": max(received) * 1000,
        }
    if stored:
        result["stored_median_ms"] = statistics.median(stored) * 1000
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=EPISODES, help="of each kind")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve()
        return 0
    load = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory(prefix="proctor-bench-") as workdir:
        episodes = run(args.episodes, Path(workdir))
    result = {kind: figures(episodes, kind) for kind in ("anomaly", "breaker")}
    met = all(r["missed"] == 0 and r["received_max_ms"] < TARGET_S * 1000 for r in result.values())
    if args.json:
        print(json.dumps({**result, "load_average_1m": load, "target_met": met}, indent=2))
        return 0
    print(f"alert latency, check → webhook received ({args.episodes} episodes of each kind)")
    for kind, r in result.items():
        if "received_median_ms" not in r:
            print(f"  {kind:>7}: every alert missed")
            continue
        print(
            f"  {kind:>7}: median {r['received_median_ms']:6.1f} ms   "
            f"p95 {r['received_p95_ms']:6.1f} ms   max {r['received_max_ms']:6.1f} ms   "
            f"(stored after {r['stored_median_ms']:.1f} ms median; missed {r['missed']}; "
            f"alerting call: {', '.join(r['outcomes'])})"
        )
    verdict = "met" if met else "NOT met"
    print(f"target (every alert received within {TARGET_S:.0f} s): {verdict}")
    print(f"({os.cpu_count()} CPUs, load before the run {load})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
