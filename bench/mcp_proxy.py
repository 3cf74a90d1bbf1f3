"""What the MCP proxy adds to a ``tools/call`` round trip.

The same local MCP server (the SDK's low-level ``Server`` over stdio, defined below)
is called by the SDK's ``Client`` directly, then through ``proctor mcp-proxy`` on an
in-process gateway (a fresh data directory, default settings). Every proxied call is
a full check with the task token, the audit append, and the outcome record.

    python bench/mcp_proxy.py              # 500 calls each, after 50 warm-up calls
    python bench/mcp_proxy.py --calls 2000
    python bench/mcp_proxy.py --json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

SERVER_FLAG = "--serve"


def serve() -> None:
    """The benchmark's MCP server: one read-only tool that echoes its argument."""
    import mcp_types as types
    from mcp.server.lowlevel import Server
    from mcp.server.stdio import stdio_server

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

    server = Server("bench", on_list_tools=list_tools, on_call_tool=call_tool)

    async def main() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(main)


def _token(home: Path) -> str:
    from proctor.admin import Admin
    from proctor.gateway import Gateway
    from proctor.model import ActionClass, Agent, Capabilities

    with Gateway.open(home) as gateway:
        admin = Admin(gateway)
        admin.put_agent(Agent(id="bench-bot", name="Bench", owner="bench"), actor="bench")
        task = admin.create_task(
            agent_id="bench-bot",
            requester="bench",
            purpose="benchmark",
            capabilities=Capabilities(actions=frozenset({ActionClass.READ})),
            actor="bench",
        )
        return admin.issue_task_token(task.id, actor="bench").token


async def _round_trips(params: Any, calls: int, warmup: int) -> list[int]:
    from mcp import Client

    timings: list[int] = []
    async with Client(params) as client:
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


def main() -> None:
    from mcp import StdioServerParameters

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    options = parser.parse_args()

    server = [sys.executable, __file__, SERVER_FLAG]
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="proctor-bench-mcp-") as scratch:
        home = Path(scratch) / "home"
        token = _token(home)
        direct = StdioServerParameters(command=server[0], args=server[1:])
        proxy_args = ["-m", "proctor", "mcp-proxy", "--data-dir", str(home), "--server", "bench"]
        proxied = StdioServerParameters(
            command=sys.executable,
            args=[*proxy_args, "--", *server],
            env={"PROCTOR_TOKEN": token},
        )
        figures: dict[str, dict[str, float]] = {}
        for name, params in (("direct", direct), ("proxy", proxied)):
            timings = anyio.run(_round_trips, params, options.calls, options.warmup)
            figures[name] = {
                "p50_us": _percentile(timings, 0.50),
                "p99_us": _percentile(timings, 0.99),
            }
    added = {
        "p50_us": figures["proxy"]["p50_us"] - figures["direct"]["p50_us"],
        "p99_us": figures["proxy"]["p99_us"] - figures["direct"]["p99_us"],
    }
    report = {
        "calls": options.calls,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_1m": round(load, 2),
        **figures,
        "added": added,
        "target_met": added["p50_us"] < 1000,
    }
    if options.json:
        print(json.dumps(report, indent=2))
        return
    print(f"tools/call round trips, {options.calls} calls each (load {load:.2f} before)")
    for name in ("direct", "proxy", "added"):
        row = figures.get(name, added)
        print(f"  {name:7} p50 {row['p50_us']:8.0f} µs   p99 {row['p99_us']:8.0f} µs")
    met = "met" if report["target_met"] else "NOT met"
    print(f"target (the proxy adds under 1 ms at p50): {met}")


if __name__ == "__main__":
    if sys.argv[1:] == [SERVER_FLAG]:
        serve()
    else:
        main()
