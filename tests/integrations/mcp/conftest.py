"""A data directory with an agent and a task, and MCP clients that reach servers through
``proctor mcp-proxy`` (a real subprocess) or directly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import anyio
import pytest
from mcp import Client, StdioServerParameters

from proctor.admin import Admin
from proctor.gateway import Gateway
from proctor.model import ActionClass, Agent, Capabilities

TOY_SERVER = Path(__file__).with_name("toy_server.py")
#: Every test's wait is bounded: no test may hang the suite.
TIMEOUT_S = 60.0

T = TypeVar("T")


def run(test: Callable[[], Awaitable[T]], timeout: float = TIMEOUT_S) -> T:
    """Run an async test body under a deadline."""

    async def bounded() -> T:
        with anyio.fail_after(timeout):
            return await test()

    return anyio.run(bounded)


@dataclass
class Setup:
    """A data directory with agent ``bot`` on a task granting ``read``, and its token."""

    home: Path
    token: str
    task_id: str
    tools_file: Path
    log_file: Path
    env: dict[str, str] = field(default_factory=dict)
    results_file: Path | None = None

    def proxy(self, *upstream: str, server: str = "toy", options: tuple[str, ...] = ()) -> Any:
        """Client parameters that start ``proctor mcp-proxy`` in front of ``upstream``."""
        command = [sys.executable, "-m", "proctor", "mcp-proxy", "--data-dir", str(self.home)]
        command += ["--server", server, *options, "--", *upstream]
        env = {"PROCTOR_TOKEN": self.token, **self.env}
        return StdioServerParameters(command=command[0], args=command[1:], env=env)

    def toy(self, options: tuple[str, ...] = ()) -> Any:
        """The toy server behind the proxy, reading its tools from ``tools_file``."""
        return self.proxy(sys.executable, str(TOY_SERVER), options=options)

    def set_tools(self, tools: list[dict[str, Any]]) -> None:
        self.tools_file.write_text(json.dumps(tools), encoding="utf-8")

    def set_results(self, results: dict[str, dict[str, Any]]) -> None:
        """What the toy server returns for the named tools (wire ``CallToolResult``s)."""
        assert self.results_file is not None
        self.results_file.write_text(json.dumps(results), encoding="utf-8")

    def grant(self, *actions: ActionClass) -> None:
        """A new task for ``bot`` granting ``actions``; the setup's token becomes its token."""
        with Gateway.open(self.home) as gateway:
            admin = Admin(gateway)
            task = admin.create_task(
                agent_id="bot",
                requester="dana",
                purpose="Tidy the notes",
                capabilities=Capabilities(actions=frozenset(actions)),
                actor="dana",
            )
            self.token = admin.issue_task_token(task.id, actor="dana").token
            self.task_id = task.id

    def ran(self) -> list[str]:
        """The tools the toy server really ran, in order."""
        if not self.log_file.exists():
            return []
        return self.log_file.read_text(encoding="utf-8").split()


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    home = tmp_path / "home"
    with Gateway.open(home) as gateway:
        admin = Admin(gateway)
        admin.put_agent(Agent(id="bot", name="Notes bot", owner="platform"), actor="t")
        gateway.runtime.people.add("dana", "Dana")
        task = admin.create_task(
            agent_id="bot",
            requester="dana",
            purpose="Summarize the notes",
            capabilities=Capabilities(actions=frozenset({ActionClass.READ})),
            actor="dana",
        )
        token = admin.issue_task_token(task.id, actor="dana").token
    from tests.integrations.mcp.toy_server import DEFAULT_TOOLS

    tools_file = tmp_path / "tools.json"
    log_file = tmp_path / "ran.log"
    results_file = tmp_path / "results.json"
    found = Setup(home, token, task.id, tools_file, log_file, results_file=results_file)
    found.set_tools(DEFAULT_TOOLS)
    found.env = {
        "TOY_TOOLS": str(tools_file),
        "TOY_LOG": str(log_file),
        "TOY_RESULTS": str(results_file),
    }
    return found


@asynccontextmanager
async def connected(params: Any, mode: str = "auto") -> AsyncIterator[Client]:
    """An MCP client session (the SDK's own ``Client``) on ``params``; ``mode`` "legacy"
    speaks the initialize handshake era, "auto" the newest both sides know."""
    async with Client(params, mode=mode) as client:
        yield client


def audit_entries(home: Path, kind: str) -> list[dict[str, Any]]:
    with Gateway.open(home) as gateway:
        return [entry.body for entry in gateway.runtime.audit.iter_entries(kinds={kind})]


LEGACY_INIT = {
    "jsonrpc": "2.0",
    "id": "init",
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "raw-test", "version": "0"},
    },
}


class RawProxy:
    """The proxy as a subprocess we write lines to and read lines from ourselves."""

    def __init__(self, setup: Setup, *options: str, params: Any = None) -> None:
        params = params if params is not None else setup.toy(options=options)
        env = {**base_env(), **params.env}
        self.process = subprocess.Popen(
            [params.command, *params.args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.hung_up = False

    def send(self, line: str | bytes | dict[str, Any]) -> None:
        """Write one line (a newline is added)."""
        text = json.dumps(line) if isinstance(line, dict) else line
        self.write((text.encode() if isinstance(text, str) else text) + b"\n")

    def write(self, data: bytes) -> None:
        """Write bytes as they are."""
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def receive(self) -> dict[str, Any]:
        """The next line the proxy wrote, parsed."""
        answer: dict[str, Any] = json.loads(self.receive_line())
        return answer

    def receive_line(self) -> bytes:
        """The next line the proxy wrote, as it wrote it."""
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, "the proxy closed its output"
        return line

    def handshake(self) -> None:
        self.send(LEGACY_INIT)
        assert self.receive()["id"] == "init"
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def hang_up(self) -> None:
        """Close the proxy's input, as a client that is done does, and let it exit."""
        self.process.communicate(timeout=30)
        self.hung_up = True

    def close(self) -> None:
        if self.hung_up:
            return
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate(timeout=30)


def base_env() -> dict[str, str]:
    """This process's environment without Proctor's own variables."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PROCTOR_")}


@pytest.fixture
def raw(setup: Setup) -> Iterator[RawProxy]:
    """The proxy in front of the toy server, spoken to line by line."""
    proxy = RawProxy(setup)
    yield proxy
    proxy.close()
