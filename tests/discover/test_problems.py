"""Broken, missing and unreadable files are reported, and never hide the other files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from proctor.discover import ConfigProblem, discover_servers
from tests.discover.support import stdio, write

LINUX = "linux"

MALFORMED = """\
{
  "mcpServers": {
    "a": {"command": "x" "args": []}
  }
}
"""


def _only_problem(home: Path, projects: list[Path] | None = None) -> ConfigProblem:
    report = discover_servers(home, projects or [], platform=LINUX)
    assert len(report.problems) == 1, report.problems
    return report.problems[0]


def test_malformed_json_is_reported_with_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / ".cursor" / "mcp.json", MALFORMED)
    problem = _only_problem(tmp_path)
    assert problem.path == path
    assert (problem.line, problem.column) == (3, 26)
    assert "Expecting ',' delimiter" in problem.message
    assert problem.location() == f"{path}:3:26"


def test_one_broken_file_does_not_hide_the_others(tmp_path: Path) -> None:
    write(tmp_path / ".cursor" / "mcp.json", MALFORMED)
    write(tmp_path / ".claude.json", {"mcpServers": {"ok": stdio("npx", "ok")}})
    report = discover_servers(tmp_path, platform=LINUX)
    assert [server.name for server in report.servers] == ["ok"]
    assert len(report.problems) == 1


def test_an_unterminated_comment_is_reported_where_it_starts(tmp_path: Path) -> None:
    write(tmp_path / ".codeium" / "windsurf" / "mcp_config.json", "{\n  /* open\n}")
    problem = _only_problem(tmp_path)
    assert (problem.line, problem.column) == (2, 3)
    assert "Unterminated comment" in problem.message


def test_an_empty_file_is_malformed_json(tmp_path: Path) -> None:
    write(tmp_path / ".claude.json", "")
    problem = _only_problem(tmp_path)
    assert (problem.line, problem.column) == (1, 1)


def test_a_directory_where_a_file_is_expected(tmp_path: Path) -> None:
    (tmp_path / ".cursor" / "mcp.json").mkdir(parents=True)
    problem = _only_problem(tmp_path)
    assert problem.path == tmp_path / ".cursor" / "mcp.json"
    assert "is a directory" in problem.message


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root reads files whatever their mode; needs a POSIX non-root user",
)
def test_an_unreadable_file_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path / ".claude.json", {"mcpServers": {}})
    path.chmod(0)
    try:
        problem = _only_problem(tmp_path)
    finally:
        path.chmod(0o600)
    assert "permission denied" in problem.message


def test_a_file_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    path = tmp_path / ".claude.json"
    path.write_bytes(b'{"mcpServers": {"caf\xe9": {}}}')
    assert "not UTF-8" in _only_problem(tmp_path).message


def test_a_top_level_that_is_not_an_object(tmp_path: Path) -> None:
    write(tmp_path / ".cursor" / "mcp.json", "[1, 2]")
    assert "top level" in _only_problem(tmp_path).message


def test_servers_that_are_not_an_object(tmp_path: Path) -> None:
    write(tmp_path / ".cursor" / "mcp.json", {"mcpServers": ["npx"]})
    assert _only_problem(tmp_path).message == '"mcpServers" is not an object'


def test_vscode_servers_that_are_not_an_object(tmp_path: Path) -> None:
    project = tmp_path / "p"
    write(project / ".vscode" / "mcp.json", {"servers": "npx"})
    assert _only_problem(tmp_path / "home", [project]).message == '"servers" is not an object'


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("npx x", "server 'bad' is not an object"),
        ({"args": ["x"]}, "server 'bad' has neither a command nor a url"),
        ({"type": "websocket", "url": "ws://x"}, "server 'bad' unknown transport type 'websocket'"),
        ({"type": "stdio", "url": "https://x"}, "server 'bad' is stdio but has no command"),
        ({"type": "http", "command": "npx"}, "server 'bad' is http but has no url"),
        ({"command": "npx", "args": "-y x"}, "server 'bad' has args that are not a list"),
    ],
)
def test_an_unreadable_entry_is_reported_and_the_others_kept(
    tmp_path: Path, entry: object, message: str
) -> None:
    write(tmp_path / ".cursor" / "mcp.json", {"mcpServers": {"bad": entry, "good": stdio("x")}})
    report = discover_servers(tmp_path, platform=LINUX)
    assert [server.name for server in report.servers] == ["good"]
    assert [problem.message for problem in report.problems] == [message]


def test_claude_code_projects_that_are_not_an_object(tmp_path: Path) -> None:
    write(tmp_path / ".claude.json", {"projects": []})
    assert _only_problem(tmp_path).message == '"projects" is not an object'


def test_a_read_refused_by_the_system_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same refusal as above, for runs as root (which no file mode stops)."""
    path = write(tmp_path / ".claude.json", {"mcpServers": {}})

    read_bytes = Path.read_bytes

    def refuse(self: Path) -> bytes:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    problem = _only_problem(tmp_path)
    assert problem.path == path
    assert problem.message == "cannot be read: permission denied"
