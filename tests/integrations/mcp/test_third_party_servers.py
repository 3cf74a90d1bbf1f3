"""The proxy in front of MCP servers we did not write, installed from PyPI
(``mcp-server-time``, ``mcp-server-git``), driven by the SDK's client."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from mcp_types import CallToolResult

from proctor.gateway import Gateway
from proctor.model import ActionClass
from tests.integrations.mcp.conftest import Setup, connected, run


def _text(result: CallToolResult) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


def _program(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is installed with the test extra (pip install -e '.[test]')"
    return found


def test_time_server_tools_are_registered_and_reads_go_through(setup: Setup) -> None:
    async def body() -> tuple[list[str], CallToolResult]:
        params = setup.proxy(_program("mcp-server-time"), "--local-timezone", "UTC", server="time")
        async with connected(params) as client:
            shown = [tool.name for tool in (await client.list_tools()).tools]
            return shown, await client.call_tool("get_current_time", {"timezone": "Europe/Paris"})

    shown, result = run(body)

    assert set(shown) == {"get_current_time", "convert_time"}
    assert not result.is_error, _text(result)
    assert "Europe/Paris" in _text(result)
    with Gateway.open(setup.home) as gateway:
        tool = gateway.runtime.inventory.get_tool("time.get_current_time")
    assert tool.action_class is ActionClass.READ
    assert dict(tool.annotations)["readOnlyHint"] is True


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.fail("git is needed on PATH for mcp-server-git")
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, timeout=30)

    git("init", "-q")
    git("config", "user.email", "test@example.com")
    git("config", "user.name", "Test")
    (repo / "README.md").write_text("hello\n", encoding="utf-8")
    git("add", "README.md")
    git("commit", "-q", "-m", "first")
    (repo / "draft.txt").write_text("not yet\n", encoding="utf-8")
    git("add", "draft.txt")
    return repo


def _commits(repo: Path) -> int:
    out = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--count", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return int(out.stdout)


def test_git_server_reads_run_while_writes_are_hidden_and_denied(
    setup: Setup, repository: Path
) -> None:
    async def body() -> tuple[list[str], CallToolResult, CallToolResult, CallToolResult]:
        params = setup.proxy(
            _program("mcp-server-git"), "--repository", str(repository), server="git"
        )
        async with connected(params) as client:
            shown = [tool.name for tool in (await client.list_tools()).tools]
            status = await client.call_tool("git_status", {"repo_path": str(repository)})
            commit = await client.call_tool(
                "git_commit", {"repo_path": str(repository), "message": "sneaky"}
            )
            reset = await client.call_tool("git_reset", {"repo_path": str(repository)})
            return shown, status, commit, reset

    shown, status, commit, reset = run(body)

    assert "git_status" in shown
    assert "git_commit" not in shown  # a write the read task does not grant: hidden
    assert "git_reset" in shown  # destructive: the requester may approve it, so shown
    assert not status.is_error
    assert "draft.txt" in _text(status)
    assert commit.is_error
    assert "the task does not grant write" in _text(commit)
    assert reset.is_error
    assert reset.meta is not None
    assert reset.meta["proctor/decision"]["outcome"] == "require_approval"
    assert _commits(repository) == 1
    staged = subprocess.run(
        ["git", "-C", str(repository), "diff", "--cached", "--name-only"],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert staged.stdout.split() == ["draft.txt"]  # the reset never ran
