"""The hook answers Claude Code's documented events, and fails closed on anything else."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from proctor.approvals import ApprovalStatus
from proctor.integrations.claude_code import CallState, ClaudeCodeHook, HookResult
from proctor.model import Decision, ToolCall
from proctor.sdk import Client
from tests.integrations.claude_code.conftest import Coding, audit, event, pre


def decision_of(result: HookResult) -> tuple[str, str]:
    output = result.output
    assert output is not None
    specific = output["hookSpecificOutput"]
    assert specific["hookEventName"] == "PreToolUse"
    assert set(specific) == {"hookEventName", "permissionDecision", "permissionDecisionReason"}
    return specific["permissionDecision"], specific["permissionDecisionReason"]


def assert_denied(result: HookResult, *words: str) -> str:
    decision, reason = decision_of(result)
    assert decision == "deny"
    assert result.exit_code == 2  # blocks even if the JSON were not read
    assert result.stderr == reason
    for word in words:
        assert word in reason
    return reason


def test_an_allowed_read_answers_allow_and_is_recorded(coding: Coding) -> None:
    result = coding.hook().handle(pre("Read", {"file_path": "/home/dev/repo/app.py"}))
    decision, reason = decision_of(result)
    assert (decision, result.exit_code) == ("allow", 0)
    assert "fs.read (Read)" in reason
    [recorded] = audit(coding.gateway, "decision")
    assert recorded["tool"] == "fs.read"
    assert recorded["resource"] == "file:/home/dev/repo/app.py"
    assert json.loads(result.stdout()) == result.output


def test_a_command_the_task_does_not_grant_is_denied_with_the_reason_for_claude(
    coding: Coding,
) -> None:
    result = coding.hook().handle(pre("Bash", {"command": "npm test", "description": "tests"}))
    reason = assert_denied(result, "shell.run (Bash)", "policy_denied", "does not grant execute")
    [recorded] = audit(coding.gateway, "decision")
    assert recorded["decision_id"] in reason
    assert recorded["arguments"] == {"command": "npm test", "cwd": "/home/dev/repo"}


def test_a_destructive_command_asks_with_the_decision_and_request_ids(coding: Coding) -> None:
    result = coding.hook().handle(pre("Bash", {"command": "rm -rf build/"}))
    decision, reason = decision_of(result)
    assert (decision, result.exit_code) == ("ask", 0)
    [recorded] = audit(coding.gateway, "decision")
    [request] = coding.gateway.runtime.approvals.list(status=ApprovalStatus.PENDING)
    assert recorded["tool"] == "shell.destructive"
    assert recorded["decision_id"] in reason
    assert f"proctor approvals approve {request.id}" in reason


def test_on_hold_deny_refuses_a_held_call(coding: Coding) -> None:
    result = coding.hook(on_hold="deny").handle(pre("Bash", {"command": "git push --force"}))
    assert_denied(result, "for a person's approval", "proctor approvals approve apr_")


def answer_soon(coding: Coding, *, approve: bool) -> None:
    def answer() -> None:
        approvals = coding.gateway.runtime.approvals
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pending = approvals.list(status=ApprovalStatus.PENDING)
            if pending:
                if approve:
                    approvals.approve(pending[0].id, coding.dana, "ok")
                else:
                    approvals.deny(pending[0].id, coding.dana, "keep the build dir")
                return
            time.sleep(0.02)

    threading.Thread(target=answer, daemon=True).start()


def test_with_wait_an_approved_hold_is_allowed(coding: Coding) -> None:
    answer_soon(coding, approve=True)
    result = coding.hook(wait_for=timedelta(seconds=10)).handle(
        pre("Bash", {"command": "rm -rf build/"})
    )
    assert decision_of(result)[0] == "allow"
    held, approved = audit(coding.gateway, "decision")
    assert approved["decision_id"] == held["decision_id"]


def test_with_wait_a_denied_hold_is_denied(coding: Coding) -> None:
    answer_soon(coding, approve=False)
    result = coding.hook(wait_for=timedelta(seconds=10)).handle(
        pre("Bash", {"command": "rm -rf build/"})
    )
    assert_denied(result, "denied by dana: keep the build dir")


@pytest.mark.parametrize(
    ("tool_name", "tool_input", "tool"),
    [
        ("Edit", {"file_path": "/r/a.py", "old_string": "a", "new_string": "b"}, "fs.write"),
        ("Write", {"file_path": "/r/b.py", "content": "x = 1\n"}, "fs.write"),
        ("Grep", {"pattern": "TODO", "path": "/r"}, "fs.read"),
        ("TodoWrite", {"todos": [{"content": "fix", "status": "pending"}]}, "claude.TodoWrite"),
    ],
)
def test_granted_tools_are_allowed(
    coding: Coding, tool_name: str, tool_input: dict[str, Any], tool: str
) -> None:
    result = coding.hook().handle(pre(tool_name, tool_input))
    assert decision_of(result)[0] == "allow"
    assert audit(coding.gateway, "decision")[0]["tool"] == tool


@pytest.mark.parametrize(
    ("tool_name", "tool_input", "words"),
    [
        (
            "mcp__github__create_issue",
            {"title": "x"},
            ["github.create_issue", "not in the inventory"],
        ),
        ("SomeNewTool", {}, ["claude.SomeNewTool", "not in the inventory"]),
    ],
)
def test_tools_outside_the_inventory_are_denied(
    coding: Coding, tool_name: str, tool_input: dict[str, Any], words: list[str]
) -> None:
    assert_denied(coding.hook().handle(pre(tool_name, tool_input)), *words)


def test_post_tool_use_records_the_outcome_of_the_kept_decision(coding: Coding) -> None:
    hook = coding.hook()
    hook.handle(pre("Read", {"file_path": "/r/a.py"}, "toolu_1"))
    result = hook.handle(
        event(
            "PostToolUse",
            "Read",
            {"file_path": "/r/a.py"},
            "toolu_1",
            tool_response={"type": "text", "file": {"filePath": "/r/a.py"}},
            duration_ms=3,
        )
    )
    assert (result.output, result.exit_code) == (None, 0)
    [decision] = audit(coding.gateway, "decision")
    [outcome] = audit(coding.gateway, "outcome")
    assert (outcome["decision_id"], outcome["status"]) == (decision["decision_id"], "succeeded")
    assert outcome["violation"] is False
    assert "/r/a.py" in outcome["summary"]
    # Taken: a second PostToolUse for the same call records nothing more.
    hook.handle(event("PostToolUse", "Read", {"file_path": "/r/a.py"}, "toolu_1"))
    assert len(audit(coding.gateway, "outcome")) == 1


def test_post_tool_use_failure_records_a_failed_outcome(coding: Coding) -> None:
    hook = coding.hook()
    command = {"command": "cat missing.txt"}
    hook.handle(pre("Bash", command, "toolu_2"))
    hook.handle(
        event(
            "PostToolUseFailure",
            "Bash",
            command,
            "toolu_2",
            error="Exit code 1\ncat: missing.txt: No such file or directory",
            is_interrupt=False,
        )
    )
    [outcome] = audit(coding.gateway, "outcome")
    assert outcome["status"] == "failed"
    assert outcome["summary"].startswith("Exit code 1")


def test_a_held_call_approved_in_proctor_then_confirmed_is_no_violation(coding: Coding) -> None:
    hook = coding.hook()
    command = {"command": "rm -rf build/"}
    hook.handle(pre("Bash", command, "toolu_3"))
    [request] = coding.gateway.runtime.approvals.list(status=ApprovalStatus.PENDING)
    coding.gateway.runtime.approvals.approve(request.id, coding.dana, "build dir only")
    result = hook.handle(event("PostToolUse", "Bash", command, "toolu_3", tool_response={}))
    assert result.output is None
    [outcome] = audit(coding.gateway, "outcome")
    assert (outcome["decision_id"], outcome["violation"]) == (request.decision_id, False)


def test_a_held_call_confirmed_only_in_claude_code_is_recorded_as_a_violation(
    coding: Coding,
) -> None:
    hook = coding.hook()
    command = {"command": "rm -rf build/"}
    hook.handle(pre("Bash", command, "toolu_4"))
    result = hook.handle(event("PostToolUse", "Bash", command, "toolu_4", tool_response={}))
    assert result.output is not None
    assert "recorded as a violation" in result.output["systemMessage"]
    assert result.exit_code == 0  # the tool already ran: nothing to block
    [outcome] = audit(coding.gateway, "outcome")
    assert outcome["violation"] is True


def test_a_denied_call_keeps_nothing_for_post_tool_use(coding: Coding) -> None:
    hook = coding.hook()
    hook.handle(pre("Bash", {"command": "npm test"}, "toolu_5"))
    result = hook.handle(event("PostToolUse", "Bash", {"command": "npm test"}, "toolu_5"))
    assert (result.output, result.exit_code) == (None, 0)
    assert audit(coding.gateway, "outcome") == []


@pytest.mark.parametrize(
    "stdin",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"hook_event_name": "PreToolUse"}',
        b'{"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": "rm -rf /"}',
        b'{"tool_name": "Bash", "tool_input": {}}',
        b'{"hook_event_name": "Stop", "tool_name": "Bash"}',
    ],
)
def test_input_that_is_not_a_documented_event_is_denied(coding: Coding, stdin: bytes) -> None:
    assert_denied(coding.hook().handle(stdin), "Proctor:")
    assert audit(coding.gateway, "decision") == []


def test_an_oversized_input_is_denied_unread(coding: Coding) -> None:
    stdin = pre("Write", {"file_path": "/r/a", "content": "x" * (8 * 1024 * 1024)})
    assert_denied(coding.hook().handle(stdin), "larger than")


def test_no_token_denies(coding: Coding) -> None:
    hook = ClaudeCodeHook(coding.gateway, None, state=coding.state)
    assert_denied(hook.handle(pre("Read", {"file_path": "/r"})), "no task token")


def test_a_token_that_is_not_proctors_denies(coding: Coding) -> None:
    hook = ClaudeCodeHook(coding.gateway, "eyJhbGciOiJub25lIn0.e30.", state=coding.state)
    assert_denied(hook.handle(pre("Read", {"file_path": "/r"})), "token_")


def test_no_gateway_denies_with_the_problem(coding: Coding) -> None:
    hook = ClaudeCodeHook(None, coding.token, state=coding.state, problem="set PROCTOR_URL")
    assert_denied(hook.handle(pre("Read", {"file_path": "/r"})), "set PROCTOR_URL")


def test_an_unreachable_gateway_denies(coding: Coding) -> None:
    with Client("http://127.0.0.1:9", timeout=0.5) as client:
        hook = ClaudeCodeHook(client, coding.token, state=coding.state)
        assert_denied(hook.handle(pre("Read", {"file_path": "/r"})), "gateway_unreachable")


class BrokenChecker:
    """A checker whose every method fails (a bug, a lost connection mid-call)."""

    def check(self, token: str, call: ToolCall) -> Decision:
        raise RuntimeError("connection reset")

    def record_outcome(self, *args: object) -> object:
        raise RuntimeError("connection reset")

    def wait_for_approval(self, *args: object) -> object:
        raise RuntimeError("connection reset")


def test_a_checker_that_raises_denies_without_a_traceback(coding: Coding) -> None:
    hook = ClaudeCodeHook(BrokenChecker(), coding.token, state=coding.state)  # type: ignore[arg-type]
    reason = assert_denied(hook.handle(pre("Read", {"file_path": "/r"})), "connection reset")
    assert "Traceback" not in reason


def test_the_state_directory_must_be_private(coding: Coding, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    hook = ClaudeCodeHook(coding.gateway, coding.token, state=CallState(shared))
    # The decision stands (and is recorded); only PostToolUse cannot use the state.
    assert decision_of(hook.handle(pre("Read", {"file_path": "/r"})))[0] == "allow"
    assert list(shared.iterdir()) == []
    result = hook.handle(event("PostToolUse", "Read", {"file_path": "/r"}))
    assert result.exit_code == 0  # after the fact: warn, never block
    assert result.output is not None
    assert "mode 0700" in result.output["systemMessage"]


def test_tool_use_ids_never_become_paths(coding: Coding, tmp_path: Path) -> None:
    hook = coding.hook()
    hook.handle(pre("Read", {"file_path": "/r"}, "../../escape"))
    assert not (tmp_path / "escape").exists()
    assert [p.suffix for p in coding.state.directory.iterdir()] == [".json"]


def test_over_http_the_hook_decides_and_records_the_same_way(coding: Coding) -> None:
    from proctor.server import create_app
    from tests.server.live import live_server

    with live_server(create_app(coding.gateway)) as url, Client(url) as client:
        hook = ClaudeCodeHook(client, coding.token, state=coding.state)
        assert decision_of(hook.handle(pre("Read", {"file_path": "/r/a"}, "toolu_h")))[0] == "allow"
        assert_denied(hook.handle(pre("Bash", {"command": "make"})), "does not grant execute")
        hook.handle(event("PostToolUse", "Read", {"file_path": "/r/a"}, "toolu_h"))
    [outcome] = audit(coding.gateway, "outcome")
    assert outcome["status"] == "succeeded"
