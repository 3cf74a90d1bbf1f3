"""A gateway set up as `proctor hook claude-code inventory` says, and hook events of the
documented shape (https://code.claude.com/docs/en/hooks)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from proctor.admin import Admin
from proctor.gateway import Gateway
from proctor.integrations.claude_code import CallState, ClaudeCodeHook, inventory_manifest
from proctor.manifest import apply_manifest, load_manifest
from proctor.model import ActionClass, Capabilities
from proctor.people import Person, Role


@dataclass(frozen=True)
class Coding:
    gateway: Gateway
    token: str
    dana: Person
    state: CallState

    def hook(self, **options: Any) -> ClaudeCodeHook:
        return ClaudeCodeHook(self.gateway, self.token, state=self.state, **options)


@pytest.fixture
def coding(gateway: Gateway, admin: Admin, tmp_path: Path) -> Coding:
    """Claude Code's inventory applied; dana's task "fix the failing test" grants read and write."""
    manifest = tmp_path / "claude-code.yaml"
    manifest.write_text(inventory_manifest())
    apply_manifest(admin, load_manifest(manifest), actor="t")
    dana = gateway.runtime.people.add("dana", "Dana", [Role.APPROVER])
    task = admin.create_task(
        agent_id="claude-code",
        requester="dana",
        purpose="Fix the failing test in the payments service",
        capabilities=Capabilities(actions=frozenset({ActionClass.READ, ActionClass.WRITE})),
        actor="dana",
    )
    token = admin.issue_task_token(task.id, actor="dana").token
    return Coding(gateway, token, dana, CallState(tmp_path / "state"))


def event(
    name: str,
    tool_name: str,
    tool_input: dict[str, Any],
    tool_use_id: str = "toolu_01ABC",
    **extra: Any,
) -> bytes:
    """One hook input as Claude Code sends it on stdin."""
    payload = {
        "session_id": "abc123",
        "transcript_path": "/home/dev/.claude/projects/repo/abc123.jsonl",
        "cwd": "/home/dev/repo",
        "permission_mode": "default",
        "hook_event_name": name,
        "tool_name": tool_name,
        "tool_input": tool_input,
        "tool_use_id": tool_use_id,
        **extra,
    }
    return json.dumps(payload).encode()


def pre(tool_name: str, tool_input: dict[str, Any], tool_use_id: str = "toolu_01ABC") -> bytes:
    return event("PreToolUse", tool_name, tool_input, tool_use_id)


def audit(gateway: Gateway, kind: str) -> list[dict[str, Any]]:
    return [entry.body for entry in gateway.runtime.audit.iter_entries(after_seq=0, kinds={kind})]
