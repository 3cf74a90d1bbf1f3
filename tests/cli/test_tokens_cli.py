"""``proctor agents show`` and ``proctor tokens``: real subprocesses on a real data directory."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from proctor.admin import Admin
from proctor.errors import Unauthorized
from proctor.gateway import Gateway
from proctor.identity import IssuedToken, TokenState
from proctor.model import ActionClass, Agent, Capabilities
from proctor.runtime import Runtime
from tests.cli.test_cli import REPO_ROOT, run

READ = Capabilities(actions=frozenset({ActionClass.READ}))


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tokens-cli") / "home"
    run("apply", "-f", "proctor.yaml", home=path, check=True)
    with Gateway.open(path) as gateway:
        Admin(gateway).put_agent(
            Agent(id="summarizer", name="Summarizer", owner="data-team"), actor="test"
        )
    return path


def issue_pair(home: Path) -> tuple[IssuedToken, IssuedToken]:
    """In this process: a task token for forum-bot, handed on to summarizer."""
    with Gateway.open(home) as gateway:
        admin = Admin(gateway)
        task = admin.create_task(
            agent_id="forum-bot",
            requester="dana",
            purpose="Analyze thread 4411",
            capabilities=READ,
            actor="dana",
        )
        root = admin.issue_task_token(task.id, actor="dana")
        child = gateway.runtime.tokens.exchange(root.token, to_agent_id="summarizer")
    return root, child


def verify_code(home: Path, token: str) -> str | None:
    """None when the token verifies in a fresh process, else the refusal's code."""
    runtime = Runtime.open(home)
    try:
        runtime.tokens.verify(token)
    except Unauthorized as exc:
        return exc.code
    finally:
        runtime.close()
    return None


def test_agents_show_tells_owner_status_tokens_and_delegations(home: Path) -> None:
    root, child = issue_pair(home)
    result = run("agents", "show", "forum-bot", home=home, check=True)
    out = result.stdout
    assert "platform-team" in out
    assert "active" in out
    assert "Answers engineering questions" in out
    assert root.claims.jti[:8] in out
    assert root.claims.task_id in out
    assert "Delegations" in out
    assert "→ summarizer" in out
    assert child.claims.jti[:8] in out
    assert root.token not in out

    child_view = run("agents", "show", "summarizer", home=home, check=True).stdout
    assert "data-team" in child_view
    assert "← forum-bot" in child_view


def test_agents_show_json_gives_everything(home: Path) -> None:
    root, child = issue_pair(home)
    shown = json.loads(run("agents", "show", "forum-bot", "--json", home=home, check=True).stdout)
    assert shown["id"] == "forum-bot"
    assert shown["owner"] == "platform-team"
    credentials = shown["credentials"]
    tokens = {token["jti"]: token for token in credentials["active_tokens"]}
    assert tokens[root.claims.jti]["task_id"] == root.claims.task_id
    assert tokens[root.claims.jti]["state"] == "active"
    assert tokens[root.claims.jti]["issued_by"] == "dana"
    handed = {d["jti"]: d for d in credentials["delegations"]}
    assert handed[child.claims.jti]["to_agent"] == "summarizer"
    assert handed[child.claims.jti]["parent_jti"] == root.claims.jti
    assert "forum.read_thread" in credentials["tools"]
    assert "read" in credentials["grants"]["actions"]


def test_agents_show_of_an_unknown_agent_is_a_message(home: Path) -> None:
    result = run("agents", "show", "nobody", home=home)
    assert result.returncode == 1
    assert "not in the inventory" in result.stderr
    assert "Traceback" not in result.stderr


def test_tokens_list(home: Path) -> None:
    root, child = issue_pair(home)
    listed = json.loads(run("tokens", "list", "--json", home=home, check=True).stdout)
    assert {root.claims.jti, child.claims.jti} <= {t["jti"] for t in listed}
    only = json.loads(
        run("tokens", "list", "--agent", "summarizer", "--json", home=home, check=True).stdout
    )
    assert child.claims.jti in {t["jti"] for t in only}
    assert {t["agent_id"] for t in only} == {"summarizer"}
    table = run("tokens", "list", home=home, check=True).stdout
    assert "Active tokens" in table
    assert child.claims.jti[:8] in table


def test_tokens_show(home: Path) -> None:
    root, _ = issue_pair(home)
    shown = json.loads(run("tokens", "show", root.claims.jti, home=home, check=True).stdout)
    assert shown["jti"] == root.claims.jti
    assert shown["agent_id"] == "forum-bot"
    unknown = run("tokens", "show", "no-such-jti", home=home)
    assert unknown.returncode == 1
    assert "no issued token" in unknown.stderr


def test_tokens_revoke_stops_the_token_and_its_delegations(home: Path) -> None:
    root, child = issue_pair(home)
    assert verify_code(home, root.token) is None
    result = run(
        "tokens", "revoke", root.claims.jti, "--reason", "leaked in a log", home=home, check=True
    )
    assert f"revoked {root.claims.jti}" in result.stdout
    assert verify_code(home, root.token) == "token_revoked"
    assert verify_code(home, child.token) == "token_revoked"

    active = json.loads(run("tokens", "list", "--json", home=home, check=True).stdout)
    assert not {root.claims.jti, child.claims.jti} & {t["jti"] for t in active}
    everything = json.loads(run("tokens", "list", "--all", "--json", home=home, check=True).stdout)
    states = {t["jti"]: t["state"] for t in everything}
    assert states[root.claims.jti] == "revoked"
    assert states[child.claims.jti] == "revoked"

    with Gateway.open(home) as gateway:
        entries = [
            entry.body
            for entry in gateway.runtime.audit.iter_entries()
            if entry.kind == "admin" and entry.body["action"] == "token.revoke"
        ]
    assert any(
        e["target"] == root.claims.jti
        and e["actor"] == "cli"
        and e["details"]["reason"] == "leaked in a log"
        for e in entries
    )


def test_tokens_revoke_json_and_an_unknown_jti(home: Path) -> None:
    result = run("tokens", "revoke", "never-issued", "--reason", "x", "--json", home=home)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "jti": "never-issued",
        "revoked": True,
        "known": False,
        "token": None,
    }
    plain = run("tokens", "revoke", "never-issued-2", "--reason", "x", home=home, check=True)
    assert "no record" in plain.stdout


def test_tokens_revoke_needs_a_reason(home: Path) -> None:
    root, _ = issue_pair(home)
    missing = run("tokens", "revoke", root.claims.jti, home=home)
    assert missing.returncode == 2
    blank = run("tokens", "revoke", root.claims.jti, "--reason", "  ", home=home)
    assert blank.returncode == 1
    assert "say why" in blank.stderr
    assert "Traceback" not in blank.stderr
    assert verify_code(home, root.token) is None


_SCRIPT = textwrap.dedent(
    """
    import sys
    from proctor.runtime import Runtime

    runtime = Runtime.open(sys.argv[1])
    runtime.ledger.touch(sys.argv[2])
    if sys.argv[3] == "close":
        runtime.close()
    """
)


def test_a_process_flushes_its_uses_on_close_and_its_thread_never_holds_it(
    home: Path,
) -> None:
    root, _ = issue_pair(home)
    jti = root.claims.jti
    # Without close: the ledger thread is a daemon, so the process still exits at once.
    left = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(home), jti, "exit"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert left.returncode == 0, left.stderr
    assert last_used(home, jti) is None, "a process that does not close loses its last uses"
    closed = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(home), jti, "close"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert closed.returncode == 0, closed.stderr
    assert last_used(home, jti) is not None


def last_used(home: Path, jti: str) -> str | None:
    runtime = Runtime.open(home)
    try:
        token = runtime.ledger.get(jti)
    finally:
        runtime.close()
    assert token is not None
    assert token.state is TokenState.ACTIVE
    return token.last_used_at.isoformat() if token.last_used_at else None
