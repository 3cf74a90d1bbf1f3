"""The CLI as a user runs it: real subprocesses on a real data directory."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

PROCTOR = [sys.executable, "-m", "proctor"]


def run(*args: str, home: Path | None, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the CLI; ``home=None`` for commands that use no data directory."""
    data_dir = ["--data-dir", str(home)] if home is not None else []
    result = subprocess.run(
        [*PROCTOR, *args, *data_dir],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "home"
    first = run("apply", "-f", "proctor.yaml", home=path, check=True)
    assert "Admin key written to" in first.stderr
    assert "agent/forum-bot created" in first.stdout
    assert "rate_limits/2 rules created" in first.stdout
    return path


@pytest.fixture(scope="module")
def task_id(home: Path) -> str:
    created = run(
        "tasks",
        "create",
        "--agent",
        "forum-bot",
        "--requester",
        "dana",
        "--purpose",
        "Analyze thread 4411",
        "--action",
        "read",
        "--deliverable",
        "private reply",
        "--audience",
        "requester",
        "--json",
        home=home,
        check=True,
    )
    return str(json.loads(created.stdout)["id"])


def test_apply_twice_changes_nothing(home: Path) -> None:
    again = run("apply", "-f", "proctor.yaml", home=home, check=True)
    assert "0 created, 0 updated" in again.stdout
    assert "Admin key" not in again.stderr


def test_lists_are_json_for_scripts(home: Path) -> None:
    agents = json.loads(run("agents", "list", "--json", home=home, check=True).stdout)
    assert [a["id"] for a in agents] == ["forum-bot"]
    tools = json.loads(run("tools", "list", "--json", home=home, check=True).stdout)
    assert {t["name"] for t in tools} >= {"forum.post", "forum.read_thread"}


@pytest.mark.parametrize(
    ("tool", "exit_code", "outcome"),
    [
        ("forum.read_thread", 0, "allow"),
        ("forum.post", 3, "require_approval"),
        ("shell.exec", 4, "deny"),
    ],
)
def test_check_exit_code_tells_the_outcome(
    home: Path, task_id: str, tool: str, exit_code: int, outcome: str
) -> None:
    result = run("check", "--task", task_id, "--tool", tool, "--json", home=home)
    assert result.returncode == exit_code, result.stderr
    decision = json.loads(result.stdout)
    assert decision["outcome"] == outcome
    assert decision["chain"] == ["dana", "forum-bot"]


def test_check_with_the_agents_token(home: Path) -> None:
    created = run(
        "tasks", "create", "--agent", "forum-bot", "--requester", "dana", "--purpose", "p",
        "--action", "read", "--json", home=home, check=True,
    )  # fmt: skip
    token = json.loads(created.stdout)["credential"]["token"]
    result = run("check", "--token", token, "--tool", "forum.read_thread", "--json", home=home)
    assert result.returncode == 0, result.stderr
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    refused = run("check", "--token", forged, "--tool", "forum.read_thread", home=home)
    assert refused.returncode == 4
    assert "token_bad_signature" in refused.stdout


def test_check_needs_a_token_or_a_task(home: Path) -> None:
    result = run("check", "--tool", "forum.read_thread", home=home)
    assert result.returncode == 1
    assert "task token" in result.stderr


def test_check_with_bad_json_arguments_is_a_clear_error(home: Path, task_id: str) -> None:
    result = run(
        "check",
        "--task",
        task_id,
        "--tool",
        "x",
        "--args",
        "{nope",
        home=home,
    )
    assert result.returncode == 1
    assert "--args is not valid JSON" in result.stderr
    assert "Traceback" not in result.stderr


def test_audit_verify_export_and_tail(home: Path, task_id: str) -> None:
    verified = run("audit", "verify", home=home, check=True)
    assert "audit verify: OK" in verified.stdout
    exported = run("audit", "export", "--format", "jsonl", home=home, check=True)
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    assert lines
    assert all("hash" in line for line in lines)
    assert "decision" in run("audit", "tail", "-n", "5", home=home, check=True).stdout


def test_audit_verify_fails_on_a_tampered_store(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run("apply", "-f", "proctor.yaml", home=home, check=True)
    with sqlite3.connect(home / "store.db") as connection:
        connection.execute(
            "UPDATE audit_entries SET body = replace(body, 'alice', 'mallory') WHERE seq = 2"
        )
    result = run("audit", "verify", home=home)
    assert result.returncode == 1
    assert "FAILED at entry 2" in result.stdout


def test_policy_validate_names_file_line_and_column(tmp_path: Path) -> None:
    good = tmp_path / "good.cedar"
    good.write_text('@id("ok")\npermit(principal, action == Action::"read", resource);\n')
    bad = tmp_path / "bad.cedar"
    bad.write_text('@id("ok2")\npermit(principal, action, resource)\n  when { context.nope };\n')
    assert run("policy", "validate", str(good), home=None).returncode == 0
    result = run("policy", "validate", str(bad), home=None)
    assert result.returncode == 1
    assert f"{bad}:3:18:" in result.stdout
    assert "nope" in result.stdout


def test_policy_test_runs_the_example_cases(tmp_path: Path) -> None:
    result = run("policy", "test", "examples/policy-cases.yaml", home=None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed, 0 failed" in result.stdout


def test_policy_test_fails_when_an_expectation_is_wrong(tmp_path: Path) -> None:
    cases = (REPO_ROOT / "examples" / "policy-cases.yaml").read_text()
    wrong = tmp_path / "cases.yaml"
    wrong.write_text(
        cases.replace(
            "manifest: ../proctor.yaml", f"manifest: {REPO_ROOT / 'proctor.yaml'}"
        ).replace("expect: deny", "expect: allow")
    )
    result = run("policy", "test", str(wrong), "--json", home=None)
    assert result.returncode == 1
    failed = [case for case in json.loads(result.stdout) if not case["passed"]]
    assert [case["name"] for case in failed] == [
        "widening access on a confidential repository is beyond what dana may do",
        "a tool nobody registered is denied",
    ]


def test_policy_explain_says_which_policies_matched(
    home: Path, task_id: str, tmp_path: Path
) -> None:
    request = tmp_path / "request.json"
    request.write_text(
        json.dumps({"agent_id": "forum-bot", "task_id": task_id, "tool": "forum.post"})
    )
    result = run("policy", "explain", str(request), home=home, check=True)
    assert "require_approval" in result.stdout
    assert "hold-ungranted-high-risk" in result.stdout


def test_errors_are_messages_not_tracebacks(home: Path) -> None:
    result = run("agents", "show", "nobody", home=home)
    assert result.returncode == 1
    assert "not in the inventory" in result.stderr
    assert "Traceback" not in result.stderr
