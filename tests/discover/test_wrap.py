"""``proctor discover --wrap``: a client's servers rewritten to run behind the proxy,
with a diff first, a backup, no secret printed, and nothing done twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from proctor.cli._app import app
from proctor.discover import (
    Client,
    ConfigLocation,
    Layout,
    Scope,
    WrapPlan,
    discover_servers,
    is_behind_proctor,
    plan_wrap,
)
from tests.discover.support import stdio, write

SECRET = "sk-live-WRAPSECRET"


def _app() -> typer.Typer:
    """The real root command, so that every invocation is sized as ``proctor``'s are."""
    return app


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(_app(), ["discover", *args], env={"COLUMNS": "240"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    write(
        path / ".cursor" / "mcp.json",
        {
            "mcpServers": {
                "github": {**stdio("npx", "-y", "server-github"), "env": {"GITHUB_TOKEN": SECRET}},
                "wrapped": stdio("proctor", "mcp-proxy", "--server", "w", "--", "uvx", "w"),
                "remote": {
                    "url": f"https://mcp.example.com/mcp?key={SECRET}",
                    "headers": {"Authorization": f"Bearer {SECRET}"},
                },
            },
            "otherSetting": True,
        },
    )
    return path


def _cursor(home: Path) -> Path:
    return home / ".cursor" / "mcp.json"


def test_wrapping_rewrites_stdio_servers_behind_the_proxy(home: Path, tmp_path: Path) -> None:
    original = _cursor(home).read_bytes()

    status, out, err = _invoke("--wrap", "cursor", "--home", str(home), "--project", str(tmp_path))

    assert status == 0, err
    config = json.loads(_cursor(home).read_text())
    github = config["mcpServers"]["github"]
    assert github["command"] == "proctor"
    assert github["args"] == [
        "mcp-proxy", "--server", "github", "--", "npx", "-y", "server-github",
    ]  # fmt: skip
    assert github["env"] == {"GITHUB_TOKEN": SECRET}  # kept in the file
    assert config["mcpServers"]["wrapped"]["args"][:4] == ["mcp-proxy", "--server", "w", "--"]
    assert config["mcpServers"]["remote"]["url"].endswith(SECRET)  # left as it was
    assert config["otherSetting"] is True
    [backup] = list(_cursor(home).parent.glob("mcp.json.proctor-backup-*"))
    assert backup.read_bytes() == original
    assert "left as is: mcpServers.remote: a remote server (--wrap-http" in err
    assert '+      "command": "proctor",' in out
    assert SECRET not in out + err


def test_wrapping_twice_changes_nothing(home: Path, tmp_path: Path) -> None:
    _invoke("--wrap", "cursor", "--home", str(home), "--project", str(tmp_path))
    after_first = _cursor(home).read_bytes()

    status, out, _ = _invoke("--wrap", "cursor", "--home", str(home), "--project", str(tmp_path))

    assert status == 0
    assert "nothing to wrap" in out
    assert _cursor(home).read_bytes() == after_first
    assert len(list(_cursor(home).parent.glob("mcp.json.proctor-backup-*"))) == 1


def test_a_dry_run_shows_the_diff_and_writes_nothing(home: Path, tmp_path: Path) -> None:
    original = _cursor(home).read_bytes()

    status, out, _ = _invoke(
        "--wrap", "cursor", "--dry-run", "--home", str(home), "--project", str(tmp_path)
    )

    assert status == 0
    assert out.startswith(f"--- {_cursor(home)} (as read)")
    assert '-      "command": "npx",' in out
    assert SECRET not in out
    assert "dry run: would wrap github" in out
    assert _cursor(home).read_bytes() == original
    assert not list(_cursor(home).parent.glob("*.proctor-backup-*"))


def test_after_wrapping_discovery_finds_the_client_behind_proctor(
    home: Path, tmp_path: Path
) -> None:
    _invoke(
        "--wrap", "cursor", "--home", str(home), "--project", str(tmp_path),
        "--proxy-arg=--gateway=http://127.0.0.1:8700",
    )  # fmt: skip

    report = discover_servers(home, [tmp_path])
    stdio_servers = [server for server in report.servers if server.transport == "stdio"]

    assert stdio_servers
    assert all(server.behind_proctor for server in stdio_servers)
    github = next(server for server in stdio_servers if server.name == "github")
    assert github.args[:4] == ("mcp-proxy", "--server", "github", "--gateway=http://127.0.0.1:8700")


def test_a_client_with_several_files_needs_config(home: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project_file = write(
        project / ".cursor" / "mcp.json", {"mcpServers": {"db": stdio("uvx", "mcp-server-db")}}
    )

    status, _, err = _invoke("--wrap", "cursor", "--home", str(home), "--project", str(project))
    assert status == 1
    assert "choose one with --config" in err

    status, _, err = _invoke(
        "--wrap", "cursor", "--home", str(home), "--project", str(project),
        "--config", str(project_file),
    )  # fmt: skip
    assert status == 0, err
    db = json.loads(project_file.read_text())["mcpServers"]["db"]
    assert is_behind_proctor(db["command"], db["args"])
    assert json.loads(_cursor(home).read_text())["mcpServers"]["github"]["command"] == "npx"


def test_claude_code_user_and_project_servers_are_wrapped(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = write(
        home / ".claude.json",
        {
            "numStartups": 7,
            "mcpServers": {"time": stdio("uvx", "mcp-server-time")},
            "projects": {
                "/src/app": {"mcpServers": {"git": stdio("uvx", "mcp-server-git")}, "x": 1},
                "/src/other": "not ours to judge",
            },
        },
    )
    location = ConfigLocation(Client.CLAUDE_CODE, path, Scope.USER, Layout.CLAUDE_CODE)

    plan = plan_wrap(location)

    assert [(c.where, c.server) for c in plan.changes] == [
        ("mcpServers.time", "time"),
        ("projects./src/app.mcpServers.git", "git"),
    ]
    assert plan.wrapped["projects"]["/src/app"]["x"] == 1
    assert plan.wrapped["projects"]["/src/other"] == "not ours to judge"
    assert plan.wrapped["numStartups"] == 7


def test_vscode_settings_with_comments_are_read_and_backed_up_as_written(tmp_path: Path) -> None:
    settings = tmp_path / "project" / ".vscode" / "settings.json"
    text = (
        '{\n  // my editor settings\n  "editor.tabSize": 2,\n'
        '  "mcp": {"servers": {"my server!": {"command": "node", "args": ["s.js"],}}},\n}\n'
    )
    write(settings, text)

    status, _, err = _invoke(
        "--wrap", "vscode", "--home", str(tmp_path / "home"), "--project", str(tmp_path / "project")
    )

    assert status == 0, err
    wrapped = json.loads(settings.read_text())
    entry = wrapped["mcp"]["servers"]["my server!"]
    assert entry["args"] == ["mcp-proxy", "--server", "my-server", "--", "node", "s.js"]
    assert wrapped["editor.tabSize"] == 2
    [backup] = list(settings.parent.glob("settings.json.proctor-backup-*"))
    assert backup.read_text() == text


def test_wrap_options_need_wrap(home: Path) -> None:
    status, _, err = _invoke("--dry-run", "--home", str(home))

    assert status == 2
    assert "go with --wrap" in err


# -- streamable HTTP entries (--wrap-http) ------------------------------------------


def test_wrap_http_puts_http_servers_behind_the_proxy_secrets_in_env(
    home: Path, tmp_path: Path
) -> None:
    status, out, err = _invoke(
        "--wrap", "cursor", "--wrap-http", "--home", str(home), "--project", str(tmp_path)
    )

    assert status == 0, err
    remote = json.loads(_cursor(home).read_text())["mcpServers"]["remote"]
    assert remote["command"] == "proctor"
    assert remote["args"] == [
        "mcp-proxy", "--server", "remote",
        "--upstream-url-env", "PROCTOR_UPSTREAM",
        "--upstream-auth-env", "PROCTOR_UPSTREAM_AUTHORIZATION",
    ]  # fmt: skip
    assert remote["env"] == {
        "PROCTOR_UPSTREAM": f"https://mcp.example.com/mcp?key={SECRET}",
        "PROCTOR_UPSTREAM_AUTHORIZATION": f"Bearer {SECRET}",
    }
    assert "url" not in remote
    assert "headers" not in remote
    assert SECRET not in out + err  # the diff shows env values as ***
    assert "wrapped github, remote" in out
    again, out, _ = _invoke(
        "--wrap", "cursor", "--wrap-http", "--home", str(home), "--project", str(tmp_path)
    )
    assert (again, "nothing to wrap" in out) == (0, True)


def _plan_http(tmp_path: Path, servers: dict[str, object], path: str = "mcp.json") -> WrapPlan:
    config = write(tmp_path / path, {"mcpServers": servers})
    location = ConfigLocation(Client.CURSOR, config, Scope.USER, Layout.MCP_SERVERS)
    return plan_wrap(location, http=True, proxy_args=["--gateway=http://127.0.0.1:8700"])


def test_a_plain_url_goes_on_the_command_line_and_the_type_becomes_stdio(
    tmp_path: Path,
) -> None:
    plan = _plan_http(
        tmp_path,
        {
            "linear": {"type": "http", "url": "https://mcp.linear.example/mcp", "disabled": True},
            "windsurf": {"serverUrl": "https://w.example/mcp"},
        },
    )

    wrapped = plan.wrapped["mcpServers"]
    assert wrapped["linear"] == {
        "type": "stdio",
        "disabled": True,
        "command": "proctor",
        "args": [
            "mcp-proxy", "--server", "linear", "--gateway=http://127.0.0.1:8700",
            "--upstream", "https://mcp.linear.example/mcp",
        ],
    }  # fmt: skip
    assert wrapped["windsurf"]["args"][-2:] == ["--upstream", "https://w.example/mcp"]
    assert is_behind_proctor(wrapped["linear"]["command"], wrapped["linear"]["args"])


def test_entries_the_proxy_cannot_carry_are_left_as_they_are(tmp_path: Path) -> None:
    servers: dict[str, object] = {
        "custom": {"url": "https://c.example/mcp", "headers": {"X-Api-Key": SECRET}},
        "old": {"type": "sse", "url": "https://o.example/sse"},
    }
    plan = _plan_http(tmp_path, servers)

    assert plan.wrapped["mcpServers"] == servers
    skipped = {c.name: c.skipped for c in plan.changes}
    assert skipped["custom"] == "it sends headers the proxy cannot pass on (X-Api-Key)"
    assert "remote server" in str(skipped["old"])
