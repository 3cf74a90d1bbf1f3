"""``proctor mcp-proxy`` in front of a real MCP server, driven by the SDK's own client:
allowed calls run, denied ones do not, held ones wait for people."""

from __future__ import annotations

import json
import threading
import time
import warnings

from mcp import MCPDeprecationWarning
from mcp_types import CallToolResult

from proctor.admin import Admin
from proctor.approvals import ApprovalStatus
from proctor.gateway import Gateway
from proctor.people import Role
from tests.integrations.mcp.conftest import Setup, audit_entries, connected, run


def _text(result: CallToolResult) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


def _decision(result: CallToolResult) -> dict[str, str]:
    assert result.meta is not None
    decision: dict[str, str] = result.meta["proctor/decision"]
    return decision


def test_allowed_call_is_forwarded_and_its_outcome_recorded(setup: Setup) -> None:
    async def body() -> CallToolResult:
        async with connected(setup.toy()) as client:
            await client.list_tools()
            return await client.call_tool("read_note", {"id": "n1"})

    result = run(body)

    assert not result.is_error
    assert _text(result) == 'read_note ran with {"id": "n1"}'
    assert setup.ran() == ["read_note"]
    decision = next(
        e for e in audit_entries(setup.home, "decision") if e["tool"] == "toy.read_note"
    )
    assert decision["outcome"] == "allow"
    assert decision["agent"] == "bot"
    outcome = next(e for e in audit_entries(setup.home, "outcome"))
    assert outcome["decision_id"] == decision["decision_id"]
    assert outcome["status"] == "succeeded"
    assert 'read_note ran with {"id": "n1"}' in outcome["summary"]


def test_denied_call_is_not_forwarded_and_the_result_says_why(setup: Setup) -> None:
    async def body() -> CallToolResult:
        async with connected(setup.toy()) as client:
            await client.list_tools()
            return await client.call_tool("write_note", {"text": "hello"})

    result = run(body)

    assert result.is_error
    decision = _decision(result)
    assert decision["outcome"] == "deny"
    assert "the task does not grant write" in _text(result)
    assert decision["id"] in _text(result)
    assert setup.ran() == []
    skipped = audit_entries(setup.home, "outcome")
    assert [(e["decision_id"], e["status"]) for e in skipped] == [(decision["id"], "skipped")]


def test_a_tool_never_listed_is_unknown_and_denied(setup: Setup) -> None:
    async def body() -> CallToolResult:
        async with connected(setup.toy()) as client:
            return await client.call_tool("read_note", {"id": "n1"})

    result = run(body)

    assert result.is_error
    assert "tool toy.read_note is not in the inventory" in _text(result)
    assert setup.ran() == []


def test_a_failing_tool_is_recorded_as_failed(setup: Setup) -> None:
    tools = [
        {
            "name": "fail",
            "description": "Always fails.",
            "inputSchema": {"type": "object"},
            "annotations": {"readOnlyHint": True},
        }
    ]
    setup.set_tools(tools)

    async def body() -> CallToolResult:
        async with connected(setup.toy()) as client:
            await client.list_tools()
            return await client.call_tool("fail", {})

    result = run(body)

    assert result.is_error
    assert _text(result) == "it broke"
    [outcome] = audit_entries(setup.home, "outcome")
    assert outcome["status"] == "failed"


def test_held_call_answers_pending_then_runs_once_after_approval(setup: Setup) -> None:
    with Gateway.open(setup.home) as gateway:
        dana = gateway.runtime.people.set_roles("dana", [Role.APPROVER])

    async def first() -> CallToolResult:
        async with connected(setup.toy()) as client:
            await client.list_tools()
            return await client.call_tool("delete_note", {"id": "n1"})

    held = run(first)
    decision = _decision(held)
    assert held.is_error
    assert decision["outcome"] == "require_approval"
    assert decision["approval_id"] in _text(held)
    assert "make exactly the same call again" in _text(held)
    assert setup.ran() == []

    with Gateway.open(setup.home) as gateway:
        gateway.runtime.approvals.approve(decision["approval_id"], dana, "fine, delete it")

    async def again() -> tuple[CallToolResult, CallToolResult]:
        async with connected(setup.toy()) as client:
            approved = await client.call_tool("delete_note", {"id": "n1"})
            once_more = await client.call_tool("delete_note", {"id": "n1"})
            return approved, once_more

    approved, once_more = run(again)

    assert not approved.is_error
    assert setup.ran() == ["delete_note"]
    assert _decision(once_more)["outcome"] == "require_approval"  # single use
    outcomes = audit_entries(setup.home, "outcome")
    assert (decision["id"], "succeeded") in [(e["decision_id"], e["status"]) for e in outcomes]


def test_held_call_waits_for_people_when_told_to(setup: Setup) -> None:
    with Gateway.open(setup.home) as gateway:
        dana = gateway.runtime.people.set_roles("dana", [Role.APPROVER])

    def approve_when_asked() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with Gateway.open(setup.home) as gateway:
                pending = gateway.runtime.approvals.list(status=ApprovalStatus.PENDING)
                if pending:
                    gateway.runtime.approvals.approve(pending[0].id, dana, "go")
                    return
            time.sleep(0.2)

    approver = threading.Thread(target=approve_when_asked, daemon=True)
    approver.start()

    async def body() -> CallToolResult:
        async with connected(setup.toy(options=("--approval-wait", "30"))) as client:
            await client.list_tools()
            return await client.call_tool("delete_note", {"id": "n2"})

    result = run(body)
    approver.join(timeout=5)

    assert not result.is_error, _text(result)
    assert _text(result) == 'delete_note ran with {"id": "n2"}'
    assert setup.ran() == ["delete_note"]


def test_held_call_that_people_deny_does_not_run(setup: Setup) -> None:
    with Gateway.open(setup.home) as gateway:
        dana = gateway.runtime.people.set_roles("dana", [Role.APPROVER])

    def deny_when_asked() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with Gateway.open(setup.home) as gateway:
                pending = gateway.runtime.approvals.list(status=ApprovalStatus.PENDING)
                if pending:
                    gateway.runtime.approvals.deny(pending[0].id, dana, "keep the note")
                    return
            time.sleep(0.2)

    denier = threading.Thread(target=deny_when_asked, daemon=True)
    denier.start()

    async def body() -> CallToolResult:
        async with connected(setup.toy(options=("--approval-wait", "30"))) as client:
            await client.list_tools()
            return await client.call_tool("delete_note", {"id": "n3"})

    result = run(body)
    denier.join(timeout=5)

    assert result.is_error
    assert "denied by dana: keep the note" in _text(result)
    assert setup.ran() == []


def test_the_upstream_server_never_sees_proctors_secrets(setup: Setup) -> None:
    setup.env["PROCTOR_API_KEY"] = "prk_not.for-the-server"

    async def body() -> CallToolResult:
        async with connected(setup.toy()) as client:
            await client.list_tools()
            return await client.call_tool("proctor_env", {})

    result = run(body)

    assert json.loads(_text(result)) == []


def test_the_handshake_era_passes_through_too(setup: Setup) -> None:
    """An older client (initialize handshake, ping) works through the proxy unchanged."""

    async def body() -> tuple[str, list[str], str]:
        async with connected(setup.toy(), mode="legacy") as client:
            with warnings.catch_warnings():
                # Ping is gone from the newest protocol; the SDK warns even in legacy mode.
                warnings.simplefilter("ignore", MCPDeprecationWarning)
                await client.send_ping()
            prompts = await client.list_prompts()
            await client.list_tools()
            result = await client.call_tool("read_note", {"id": "n9"})
            return client.protocol_version, [p.name for p in prompts.prompts], _text(result)

    version, prompts, text = run(body)

    assert version == "2025-11-25"
    assert prompts == ["greet"]
    assert text == 'read_note ran with {"id": "n9"}'


def test_prompts_pass_through_unchanged(setup: Setup) -> None:
    async def body() -> list[str]:
        async with connected(setup.toy()) as client:
            prompts = await client.list_prompts()
            return [prompt.name for prompt in prompts.prompts]

    assert run(body) == ["greet"]


def test_the_proxy_registers_what_it_lists_with_classes_from_annotations(setup: Setup) -> None:
    async def body() -> list[str]:
        async with connected(setup.toy()) as client:
            return [tool.name for tool in (await client.list_tools()).tools]

    shown = run(body)

    with Gateway.open(setup.home) as gateway:
        tools = {tool.name: tool for tool in Admin(gateway).runtime.inventory.list_tools()}
    assert tools["toy.read_note"].action_class == "read"
    assert tools["toy.write_note"].action_class == "write"
    assert tools["toy.delete_note"].action_class == "delete"
    assert tools["toy.shell"].action_class == "delete"
    assert tools["toy.shell"].review is not None
    assert tools["toy.shell"].review.startswith("unannotated MCP tool")
    # write is neither granted nor liftable for a read task: denied outright, so hidden.
    assert "write_note" not in shown
    assert {"read_note", "delete_note", "shell"} <= set(shown)
