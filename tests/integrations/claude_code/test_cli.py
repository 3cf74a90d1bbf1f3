"""`proctor hook claude-code` as Claude Code runs it: a process, stdin in, stdout out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from proctor.cli import app
from tests.integrations.claude_code.conftest import Coding, audit, event, pre


def run_hook(stdin: bytes, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PROCTOR_")}
    return subprocess.run(
        [sys.executable, "-m", "proctor", "hook", "claude-code"],
        input=stdin,
        capture_output=True,
        env={**clean, **env},
        timeout=60,
        check=False,
    )


@pytest.fixture
def env(coding: Coding, tmp_path: Path) -> dict[str, str]:
    return {
        "PROCTOR_HOME": str(coding.gateway.runtime.home.path),
        "PROCTOR_TOKEN": coding.token,
        "PROCTOR_HOOK_STATE_DIR": str(tmp_path / "hook-state"),
    }


def answer(done: subprocess.CompletedProcess[bytes]) -> tuple[str, str]:
    specific = json.loads(done.stdout)["hookSpecificOutput"]
    return specific["permissionDecision"], specific["permissionDecisionReason"]


def test_the_hook_process_allows_and_records_the_outcome(
    coding: Coding, env: dict[str, str]
) -> None:
    allowed = run_hook(pre("Read", {"file_path": "/r/a.py"}, "toolu_9"), env)
    assert allowed.returncode == 0, allowed.stderr
    assert answer(allowed)[0] == "allow"
    after = run_hook(
        event("PostToolUse", "Read", {"file_path": "/r/a.py"}, "toolu_9", tool_response={}), env
    )
    assert (after.returncode, after.stdout) == (0, b"")
    [outcome] = audit(coding.gateway, "outcome")
    assert outcome["status"] == "succeeded"


def test_malformed_input_is_denied_with_exit_2_and_no_traceback(env: dict[str, str]) -> None:
    done = run_hook(b"{not json", env)
    assert done.returncode == 2
    decision, reason = answer(done)
    assert decision == "deny"
    assert "not JSON" in reason
    assert b"Traceback" not in done.stdout
    assert reason.encode() in done.stderr


def test_an_unreachable_gateway_is_denied(env: dict[str, str]) -> None:
    done = run_hook(pre("Read", {"file_path": "/r"}), {**env, "PROCTOR_URL": "http://127.0.0.1:9"})
    assert done.returncode == 2
    assert answer(done)[0] == "deny"
    assert "gateway_unreachable" in answer(done)[1]


def test_no_configured_gateway_is_denied(env: dict[str, str]) -> None:
    done = run_hook(pre("Read", {"file_path": "/r"}), {"PROCTOR_TOKEN": env["PROCTOR_TOKEN"]})
    assert done.returncode == 2
    decision, reason = answer(done)
    assert decision == "deny"
    assert reason == (
        "Proctor: no gateway is configured: set PROCTOR_URL to the gateway's URL, or pass "
        "--data-dir (PROCTOR_HOME) to decide in-process"
    )
    assert done.stderr.decode().strip() == reason


def test_a_missing_data_directory_is_not_created(tmp_path: Path, env: dict[str, str]) -> None:
    missing = tmp_path / "nowhere"
    done = run_hook(pre("Read", {"file_path": "/r"}), {**env, "PROCTOR_HOME": str(missing)})
    assert done.returncode == 2
    assert "no Proctor data directory" in answer(done)[1]
    assert not missing.exists()


def test_a_token_file_others_can_read_is_refused(
    coding: Coding, tmp_path: Path, env: dict[str, str]
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(coding.token + "\n")
    token_file.chmod(0o644)
    settings = {**env, "PROCTOR_TOKEN_FILE": str(token_file)}
    del settings["PROCTOR_TOKEN"]
    done = run_hook(pre("Read", {"file_path": "/r"}), settings)
    assert "readable by others" in answer(done)[1]
    token_file.chmod(0o600)
    assert answer(run_hook(pre("Read", {"file_path": "/r"}), settings))[0] == "allow"


def test_init_prints_the_settings_hooks_block() -> None:
    done = CliRunner().invoke(app, ["hook", "claude-code", "init"])
    assert done.exit_code == 0, done.output
    hooks = json.loads(done.stdout)["hooks"]
    assert set(hooks) == {"PreToolUse", "PostToolUse", "PostToolUseFailure"}
    for groups in hooks.values():
        [group] = groups
        assert group["matcher"] == "*"
        assert group["hooks"][0] == {
            "type": "command",
            "command": "proctor hook claude-code",
            "timeout": 120,
        }


def test_inventory_prints_a_manifest_with_every_mapped_tool() -> None:
    done = CliRunner().invoke(app, ["hook", "claude-code", "inventory", "--agent", "cc-1"])
    assert done.exit_code == 0, done.output
    manifest = yaml.safe_load(done.stdout)
    assert [agent["id"] for agent in manifest["agents"]] == ["cc-1"]
    classes = {tool["name"]: tool["action_class"] for tool in manifest["tools"]}
    assert classes["shell.read"] == "read"
    assert classes["shell.run"] == "execute"
    assert classes["shell.destructive"] == "delete"
    assert classes["fs.write"] == "write"
    untrusted = {tool["name"] for tool in manifest["tools"] if tool.get("untrusted_output")}
    assert untrusted == {"web.fetch", "web.search"}
