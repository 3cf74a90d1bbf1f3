"""The proxy under failure: an upstream server that dies, an agent that sends garbage, a
proxy started with the wrong credentials. Every wait is bounded."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from mcp import MCPError

from tests.integrations.mcp.conftest import (
    TOY_SERVER,
    RawProxy,
    Setup,
    audit_entries,
    base_env,
    connected,
    run,
)


def test_an_upstream_crash_fails_the_pending_call_and_ends_the_proxy(setup: Setup) -> None:
    async def body() -> MCPError:
        async with connected(setup.toy()) as client:
            await client.list_tools()
            with pytest.raises(MCPError) as raised:
                await client.call_tool("crash", {})
            return raised.value

    started = time.monotonic()
    error = run(body, timeout=45)

    assert "the upstream MCP server closed the connection" in str(error)
    assert time.monotonic() - started < 45
    assert setup.ran() == ["crash"]


def test_the_proxy_exits_with_an_error_when_the_upstream_dies(raw: RawProxy) -> None:
    raw.handshake()
    raw.send({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert raw.receive()["id"] == 1
    raw.send({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "crash"}})

    answer = raw.receive()
    status = raw.process.wait(timeout=30)  # stdin still open: the proxy must not wait for it

    assert answer["id"] == 2
    assert answer["error"]["code"] == -32603
    assert status == 1
    assert raw.process.stderr is not None
    assert b"the upstream server toy exited" in raw.process.stderr.read()


def test_a_line_that_is_not_json_gets_a_parse_error_and_the_proxy_stays_up(
    raw: RawProxy,
) -> None:
    raw.send("this is not json")
    parse_error = raw.receive()
    raw.send('{"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": 5}}')
    bad_params = raw.receive()
    raw.handshake()
    raw.send({"jsonrpc": "2.0", "id": 8, "method": "tools/list"})
    listing = raw.receive()

    assert parse_error["id"] is None
    assert parse_error["error"]["code"] == -32700
    assert bad_params["id"] == 7
    assert bad_params["error"]["code"] == -32602
    assert listing["id"] == 8
    assert "read_note" in {tool["name"] for tool in listing["result"]["tools"]}


def _proxy(
    setup: Setup, *options: str, token: str | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "proctor", "mcp-proxy", "--data-dir", str(setup.home)]
    command += [*options, "--", sys.executable, str(TOY_SERVER)]
    env = {**base_env(), "PROCTOR_TOKEN": setup.token if token is None else token}
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def test_the_proxy_refuses_to_start_for_another_agent(setup: Setup) -> None:
    started = _proxy(setup, "--agent", "someone-else")

    assert started.returncode == 1
    assert "--agent someone-else does not match the task token" in started.stderr


def test_the_proxy_refuses_to_start_without_a_usable_token(setup: Setup) -> None:
    started = _proxy(setup, token="not-a-token")

    assert started.returncode == 1
    assert "the task token cannot be used" in started.stderr


def test_the_proxy_refuses_an_invalid_server_name(setup: Setup) -> None:
    started = _proxy(setup, "--server", "git.hub")

    assert started.returncode == 2
    assert "no dots" in started.stderr


def test_an_upstream_that_cannot_start_is_reported(setup: Setup) -> None:
    command = [sys.executable, "-m", "proctor", "mcp-proxy", "--data-dir", str(setup.home)]
    command += ["--server", "ghost", "--", "/nonexistent/mcp-server"]
    env = {**base_env(), "PROCTOR_TOKEN": setup.token}
    started = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
        stdin=subprocess.DEVNULL,
    )

    assert started.returncode == 1
    assert "could not start the upstream server '/nonexistent/mcp-server'" in started.stderr


def test_a_call_cancelled_while_waiting_for_approval_is_dropped(setup: Setup) -> None:
    raw = RawProxy(setup, "--approval-wait", "30")
    try:
        raw.handshake()
        raw.send({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        raw.receive()
        call = {"name": "delete_note", "arguments": {"id": "n1"}}
        raw.send({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": call})
        time.sleep(1.0)  # the call is now waiting for people
        cancel = {"requestId": 2, "reason": "changed my mind"}
        raw.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": cancel})
        raw.send({"jsonrpc": "2.0", "id": 3, "method": "prompts/list"})

        answer = raw.receive()  # the cancelled call gets no answer: the next one is id 3
    finally:
        raw.close()

    assert answer["id"] == 3
    assert setup.ran() == []


def test_sigterm_stops_the_proxy_as_a_hang_up_does(setup: Setup) -> None:
    """Terminated (a supervisor's SIGTERM), the proxy stops as when the agent hangs up:
    the outcome of the call it answered is recorded (with --record-after-answer it may
    still be pending when the signal comes), the server is stopped, and it exits with
    status 0 instead of dying mid-way."""
    raw = RawProxy(setup, "--record-after-answer")
    try:
        _answer_one_call_then_terminate(raw)
    finally:
        raw.close()
    [outcome] = audit_entries(setup.home, "outcome")
    assert (outcome["tool"], outcome["status"]) == ("toy.read_note", "succeeded")


def _answer_one_call_then_terminate(raw: RawProxy) -> None:
    raw.handshake()
    raw.send({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert raw.receive()["id"] == 1
    call = {"name": "read_note", "arguments": {"id": "n1"}}
    raw.send({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": call})
    assert raw.receive()["result"]["isError"] is False

    raw.process.send_signal(signal.SIGTERM)

    assert raw.process.wait(timeout=30) == 0
