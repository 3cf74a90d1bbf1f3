"""What the MCP proxy adds to a ``tools/call`` round trip, over stdio and over HTTP.

The same local MCP server (the SDK's low-level ``Server``, defined below) is called by
the SDK's ``Client`` directly, then through ``proctor mcp-proxy`` on an in-process
gateway (a fresh data directory, default settings): over stdio (the client starts the
proxy, which starts the server), and over streamable HTTP on loopback (the server on
a port, the proxy with ``--listen`` on another), in the per-request era (2026-07-28,
one POST per call) and in a handshake-era session (2025-11-25). Every proxied call is
a full check with the task token, the audit append, and the outcome record with the
result screened (made once the agent has the result; the task's next check records
it first if it comes sooner, so a client that calls again at once still waits for
part of it).

Then the gateway's own share of a proxied call, in this process on the same data
directory: the check, and the outcome record with what the proxy passes on of the
result (screened, recorded for value provenance). The rest of what the proxy adds is
the relay and the second pipe hop.

A machine shared with other work gives noisy figures: ``--repeat N`` runs everything
N times, in turn, and reports the median of each figure.

    python bench/mcp_proxy.py              # 500 calls each, after 50 warm-up calls
    python bench/mcp_proxy.py --calls 2000
    python bench/mcp_proxy.py --stdio-only --repeat 5
    python bench/mcp_proxy.py --json
    python bench/mcp_proxy.py --stdio-only --record-after-answer   # the proxy's option
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio

SERVER_FLAG = "--serve"
HTTP_SERVER_FLAG = "--serve-http"


def _server() -> Any:
    """The benchmark's MCP server: one read-only tool that echoes its argument."""
    import mcp_types as types
    from mcp.server.lowlevel import Server

    async def list_tools(_ctx: Any, _params: Any) -> types.ListToolsResult:
        tool = types.Tool(
            name="echo",
            description="Echo the text.",
            input_schema={"type": "object", "properties": {"text": {"type": "string"}}},
            annotations=types.ToolAnnotations(read_only_hint=True, open_world_hint=False),
        )
        return types.ListToolsResult(tools=[tool])

    async def call_tool(_ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        text = str((params.arguments or {}).get("text", ""))
        return types.CallToolResult(content=[types.TextContent(text=text)])

    return Server("bench", on_list_tools=list_tools, on_call_tool=call_tool)


def serve() -> None:
    """Serve the benchmark's server over stdio."""
    from mcp.server.stdio import stdio_server

    server = _server()

    async def main() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(main)


def serve_http() -> None:
    """Serve it over streamable HTTP on a free loopback port; print the port first."""
    import socket

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    print(f"listening {sock.getsockname()[1]}", flush=True)
    app = _server().streamable_http_app(host="127.0.0.1")
    uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on")).run(sockets=[sock])


@contextmanager
def _started(command: list[str], env: dict[str, str], pattern: str) -> Iterator[str]:
    """Run ``command`` until the block ends; yields what ``pattern`` found in its output."""
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **env},
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            found = re.search(pattern, line)
            if found:
                yield found.group(1)
                return
        raise SystemExit(f"{command[:4]} did not start")
    finally:
        process.terminate()
        process.wait(timeout=20)
        if process.stdout is not None:
            process.stdout.close()


def _token(home: Path) -> str:
    from proctor.admin import Admin
    from proctor.gateway import Gateway
    from proctor.model import ActionClass, Agent, Capabilities

    with Gateway.open(home) as gateway:
        admin = Admin(gateway)
        admin.put_agent(Agent(id="bench-bot", name="Bench", owner="bench"), actor="bench")
        gateway.runtime.people.add("bench", "Bench")  # the requester the agent works for
        task = admin.create_task(
            agent_id="bench-bot",
            requester="bench",
            purpose="benchmark",
            capabilities=Capabilities(actions=frozenset({ActionClass.READ})),
            actor="bench",
        )
        return admin.issue_task_token(task.id, actor="bench").token


async def _round_trips(params: Any, calls: int, warmup: int, mode: str = "auto") -> list[int]:
    from mcp import Client

    timings: list[int] = []
    async with Client(params, mode=mode) as client:
        await client.list_tools()
        for index in range(warmup + calls):
            started = time.perf_counter_ns()
            result = await client.call_tool("echo", {"text": f"call {index}"})
            elapsed = time.perf_counter_ns() - started
            if result.is_error:
                raise SystemExit(f"the call failed: {result.content}")
            if index >= warmup:
                timings.append(elapsed)
    return timings


def _percentile(values: list[int], share: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank] / 1000


def _figures(timings: list[int]) -> dict[str, float]:
    return {"p50_us": _percentile(timings, 0.50), "p99_us": _percentile(timings, 0.99)}


def _added(proxied: dict[str, float], direct: dict[str, float]) -> dict[str, float]:
    return {key: proxied[key] - direct[key] for key in ("p50_us", "p99_us")}


def _stdio(home: Path, token: str, options: argparse.Namespace) -> dict[str, dict[str, float]]:
    from mcp import StdioServerParameters

    server = [sys.executable, __file__, SERVER_FLAG]
    direct = StdioServerParameters(command=server[0], args=server[1:])
    proxy_args = ["-m", "proctor", "mcp-proxy", "--data-dir", str(home), "--server", "bench"]
    proxy_args += _ordering(options)
    proxied = StdioServerParameters(
        command=sys.executable, args=[*proxy_args, "--", *server], env={"PROCTOR_TOKEN": token}
    )
    figures = {
        name: _figures(anyio.run(_round_trips, params, options.calls, options.warmup))
        for name, params in (("direct", direct), ("proxy", proxied))
    }
    return {**figures, "added": _added(figures["proxy"], figures["direct"])}


def _http(
    home: Path, token: str, options: argparse.Namespace, mode: str
) -> dict[str, dict[str, float]]:
    server = [sys.executable, __file__, HTTP_SERVER_FLAG]
    with _started(server, {}, r"listening (\d+)") as port:
        upstream = f"http://127.0.0.1:{port}/mcp"
        proxy = [sys.executable, "-m", "proctor", "mcp-proxy", "--data-dir", str(home)]
        proxy += ["--server", "bench", "--listen", "127.0.0.1:0", "--upstream", upstream]
        proxy += _ordering(options)
        with _started(proxy, {"PROCTOR_TOKEN": token}, r"listening on (http://\S+)") as url:
            figures = {
                name: _figures(anyio.run(_round_trips, target, options.calls, options.warmup, mode))
                for name, target in (("direct", upstream), ("proxy", url))
            }
    return {**figures, "added": _added(figures["proxy"], figures["direct"])}


def _ordering(options: argparse.Namespace) -> list[str]:
    """The proxy's option for when it records an outcome (default: before answering)."""
    return ["--record-after-answer"] if options.record_after_answer else []


def _gateway_share(home: Path, token: str, options: argparse.Namespace) -> dict[str, Any]:
    """The gateway's part of a proxied call, timed in this process: the check, and the
    outcome record of a result like the benchmark server's."""
    from proctor.gateway import Gateway
    from proctor.integrations.mcp import CallGate

    checks: list[int] = []
    outcomes: list[int] = []
    with Gateway.open(home) as gateway:
        gate = CallGate(gateway, token, "bench")
        for index in range(options.warmup + options.calls):
            call = gate.tool_call("echo", {"text": f"call {index}"})
            started = time.perf_counter_ns()
            decision = gate.check(call)
            checked = time.perf_counter_ns()
            result = {"content": [{"type": "text", "text": call.arguments["text"]}]}
            gate.report_outcome(decision, result)
            recorded = time.perf_counter_ns()
            if index >= options.warmup:
                checks.append(checked - started)
                outcomes.append(recorded - checked)
    return {"check": _figures(checks), "outcome": _figures(outcomes)}


def _once(options: argparse.Namespace) -> dict[str, Any]:
    """Every transport once, on a fresh data directory; and the gateway's share."""
    runs: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="proctor-bench-mcp-") as scratch:
        home = Path(scratch) / "home"
        token = _token(home)
        runs["stdio"] = _stdio(home, token, options)
        if not options.stdio_only:
            runs["http, 2026-07-28 (a POST per call)"] = _http(home, token, options, "auto")
            runs["http, 2025-11-25 (a session)"] = _http(home, token, options, "legacy")
        runs["gateway, in process"] = _gateway_share(home, token, options)
    return runs


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the runs."""
    first = runs[0]
    return {
        part: {
            row: {key: statistics.median(run[part][row][key] for run in runs) for key in values}
            for row, values in rows.items()
        }
        for part, rows in first.items()
    }


def _print(report: dict[str, Any], options: argparse.Namespace) -> None:
    loads = ", ".join(f"{load:.2f}" for load in report["load_1m"])
    repeat = f", median of {options.repeat} runs" if options.repeat > 1 else ""
    print(f"tools/call round trips, {options.calls} calls each{repeat} (load before: {loads})")
    for part, rows in report["figures"].items():
        print(part)
        for name, row in rows.items():
            print(f"  {name:7} p50 {row['p50_us']:8.0f} µs   p99 {row['p99_us']:8.0f} µs")
    met = "met" if report["target_met"] else "NOT met"
    print(f"target (the proxy adds under 1 ms at p50): {met}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=1, help="runs; medians are reported")
    parser.add_argument("--stdio-only", action="store_true", help="leave HTTP out")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--record-after-answer",
        action="store_true",
        help="run the proxies with --record-after-answer (outcome recorded after the answer)",
    )
    options = parser.parse_args()

    loads: list[float] = []
    runs: list[dict[str, Any]] = []
    for _ in range(max(1, options.repeat)):
        loads.append(round(os.getloadavg()[0], 2))
        runs.append(_once(options))
    figures = _median(runs)
    transports = [part for part in figures if "added" in figures[part]]
    report = {
        "calls": options.calls,
        "repeat": len(runs),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_1m": loads,
        "figures": figures,
        "runs": runs,
        "target_met": all(figures[part]["added"]["p50_us"] < 1000 for part in transports),
    }
    if options.json:
        print(json.dumps(report, indent=2))
        return
    _print(report, options)


if __name__ == "__main__":
    if sys.argv[1:] == [SERVER_FLAG]:
        serve()
    elif sys.argv[1:] == [HTTP_SERVER_FLAG]:
        serve_http()
    else:
        main()
