"""The proxy against a gateway behind ``proctor serve`` (``--gateway URL``): the agent's
token for calls and visibility, an admin key for the catalog; and the routes alone."""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator

import pytest
from mcp_types import CallToolResult, ListToolsResult

from proctor.errors import ProctorError
from proctor.gateway import Gateway
from proctor.model import ActionClass
from proctor.sdk import Client
from proctor.server import create_app
from proctor.wire import McpToolIn
from tests.integrations.mcp.conftest import TOY_SERVER, Setup, connected, run
from tests.integrations.mcp.toy_server import DEFAULT_TOOLS, FETCH_PAGE, INJECTED
from tests.server.live import live_server


@pytest.fixture
def served(setup: Setup) -> Iterator[tuple[str, str]]:
    """The setup's gateway behind a real HTTP server; yields its URL and an admin key."""
    with Gateway.open(setup.home) as gateway:
        key = gateway.runtime.home.admin_key_path.read_text().strip()
        with live_server(create_app(gateway)) as url:
            yield url, key


def _remote(setup: Setup, url: str, key: str) -> object:
    params = setup.proxy(sys.executable, str(TOY_SERVER), options=("--gateway", url))
    params.env["PROCTOR_API_KEY"] = key
    params.args = [arg for arg in params.args if arg not in ("--data-dir", str(setup.home))]
    return params


def _text(result: CallToolResult) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


def test_the_proxy_works_against_a_served_gateway(setup: Setup, served: tuple[str, str]) -> None:
    url, key = served

    async def body() -> tuple[ListToolsResult, CallToolResult, CallToolResult]:
        async with connected(_remote(setup, url, key)) as client:
            listing = await client.list_tools()
            allowed = await client.call_tool("read_note", {"id": "r1"})
            denied = await client.call_tool("write_note", {"text": "x"})
            return listing, allowed, denied

    listing, allowed, denied = run(body)

    assert "write_note" not in {tool.name for tool in listing.tools}
    assert _text(allowed) == 'read_note ran with {"id": "r1"}'
    assert denied.is_error
    assert setup.ran() == ["read_note"]


def test_a_change_is_accepted_over_the_api(setup: Setup, served: tuple[str, str]) -> None:
    url, key = served
    tools = [McpToolIn(name=t["name"], description=t["description"], input_schema=t["inputSchema"],
                       annotations=t.get("annotations")) for t in DEFAULT_TOOLS]  # fmt: skip
    with Client(url, key) as admin:
        admin.observe_mcp_tools("toy", tools)
        changed = copy.copy(tools)
        changed[0] = tools[0].model_copy(update={"description": "Now with a twist."})
        answer = admin.observe_mcp_tools("toy", changed)
        held = next(view for view in answer.tools if view.name == "read_note")
        accepted = admin.accept_mcp_tool("toy", "read_note", "read it, fine")

    assert held.status == "changed"
    assert held.definition["description"] == "Read a note."
    assert accepted.changed_pin is None
    assert accepted.accepted_by.startswith("admin-key:")


def test_the_catalog_routes_refuse_an_agent_token(setup: Setup, served: tuple[str, str]) -> None:
    url, _ = served
    with Client(url, setup.token) as agent, pytest.raises(ProctorError) as refused:
        agent.observe_mcp_tools("toy", [])

    assert refused.value.code == "agent_token_not_accepted"


def test_visibility_over_http_needs_the_task_token(setup: Setup, served: tuple[str, str]) -> None:
    url, key = served
    with Client(url) as client:
        seen = client.visibility(setup.token, ["toy.read_note"])
        with pytest.raises(ProctorError) as refused:
            client.visibility(key, ["toy.read_note"])

    assert (seen.agent_id, seen.hidden) == ("bot", frozenset({"toy.read_note"}))  # not registered
    assert (refused.value.code, refused.value.http_status) == ("api_key_not_accepted", 401)


def test_the_proxy_refuses_a_gateway_without_a_key(setup: Setup, served: tuple[str, str]) -> None:
    import subprocess

    url, _ = served
    params = _remote(setup, url, "")
    env = {k: v for k, v in params.env.items() if k != "PROCTOR_API_KEY"}
    started = subprocess.run(
        [params.command, *params.args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", **env},
        stdin=subprocess.DEVNULL,
    )

    assert started.returncode == 1
    assert "--gateway needs an admin or admin-role personal key" in started.stderr


def test_results_are_screened_by_a_served_gateway_too(
    setup: Setup, served: tuple[str, str]
) -> None:
    """The proxy posts the tool's result with the outcome: the served gateway flags the
    injection and holds the task's next high-risk call."""
    url, key = served
    setup.grant(ActionClass.READ, ActionClass.DELETE)
    setup.set_tools([*DEFAULT_TOOLS, FETCH_PAGE])
    setup.set_results({"fetch_page": {"content": [{"type": "text", "text": INJECTED}]}})

    async def body() -> CallToolResult:
        async with connected(_remote(setup, url, key)) as client:
            await client.list_tools()
            await client.call_tool("fetch_page", {"url": "https://news.example/24"})
            return await client.call_tool("delete_note", {"id": "n2"})

    after = run(body)

    assert after.is_error
    assert "instructions aimed at the agent were found" in _text(after)
    assert setup.ran() == ["fetch_page"]
