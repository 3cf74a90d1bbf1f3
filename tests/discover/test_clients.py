"""Each client's documented file locations and entry shapes are read as the client reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from proctor.discover import Client, Scope, Transport, discover_servers
from tests.discover.support import by_name, stdio, write

LINUX = "linux"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "work" / "app"
    path.mkdir(parents=True)
    return path


def test_an_empty_home_has_no_servers_and_no_problems(home: Path, project: Path) -> None:
    home.mkdir()
    report = discover_servers(home, [project], platform=LINUX)
    assert report.servers == []
    assert report.problems == []


def test_claude_desktop_servers_are_user_scoped(home: Path) -> None:
    path = write(
        home / ".config" / "Claude" / "claude_desktop_config.json",
        {
            "mcpServers": {"fs": stdio("npx", "-y", "@modelcontextprotocol/server-filesystem")},
            "globalShortcut": "Ctrl+Space",
        },
    )
    [server] = discover_servers(home, platform=LINUX).servers
    assert server.client is Client.CLAUDE_DESKTOP
    assert server.config_path == path
    assert server.scope is Scope.USER
    assert server.transport is Transport.STDIO
    assert (server.command, server.args) == (
        "npx",
        ("-y", "@modelcontextprotocol/server-filesystem"),
    )
    assert not server.behind_proctor


def test_a_client_file_without_servers_is_not_a_problem(home: Path) -> None:
    write(home / ".config" / "Claude" / "claude_desktop_config.json", {"globalShortcut": ""})
    report = discover_servers(home, platform=LINUX)
    assert (report.servers, report.problems) == ([], [])


def test_claude_code_user_local_and_project_scopes(home: Path, project: Path) -> None:
    """~/.claude.json holds user entries and each project's own; .mcp.json is shared."""
    write(
        home / ".claude.json",
        {
            "numStartups": 12,
            "mcpServers": {"user-wide": stdio("uvx", "mcp-server-git")},
            "projects": {
                "/src/other": {
                    "allowedTools": [],
                    "mcpServers": {
                        "notion": {"type": "http", "url": "https://mcp.notion.com/mcp"},
                        "asana": {"type": "sse", "url": "https://mcp.asana.com/sse"},
                    },
                },
                "/src/no-mcp": {"history": []},
            },
        },
    )
    write(project / ".mcp.json", {"mcpServers": {"shared": stdio("node", "server.js")}})
    servers = by_name(discover_servers(home, [project], platform=LINUX))
    assert set(servers) == {"user-wide", "notion", "asana", "shared"}
    assert all(server.client is Client.CLAUDE_CODE for server in servers.values())
    assert servers["user-wide"].scope is Scope.USER
    assert servers["user-wide"].project is None
    assert servers["notion"].scope is Scope.PROJECT
    assert servers["notion"].project == "/src/other"
    assert servers["notion"].transport is Transport.HTTP
    assert servers["asana"].transport is Transport.SSE
    assert servers["shared"].scope is Scope.PROJECT
    assert servers["shared"].project == str(project)
    assert servers["shared"].config_path == project / ".mcp.json"


def test_cursor_user_and_project_files(home: Path, project: Path) -> None:
    write(
        home / ".cursor" / "mcp.json",
        {"mcpServers": {"remote": {"url": "https://api.example.com/mcp"}}},
    )
    write(
        project / ".cursor" / "mcp.json",
        {"mcpServers": {"local": stdio("python", "tools.py", type="stdio")}},
    )
    servers = by_name(discover_servers(home, [project], platform=LINUX))
    assert servers["remote"].client is Client.CURSOR
    assert servers["remote"].scope is Scope.USER
    assert servers["remote"].transport is Transport.HTTP
    assert servers["remote"].url == "https://api.example.com/mcp"
    assert servers["local"].scope is Scope.PROJECT
    assert servers["local"].transport is Transport.STDIO


VSCODE_WORKSPACE = """\
// VS Code writes JSONC: comments and trailing commas are allowed.
{
  "inputs": [
    {"type": "promptString", "id": "token", "description": "API token", "password": true},
  ],
  "servers": {
    /* the GitHub server, remote */
    "github": {
      "type": "http",
      "url": "https://api.githubcopilot.com/mcp/", // trailing comment
      "headers": {"Authorization": "Bearer ${input:token}"},
    },
    "memory": {
      "type": "stdio",
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-memory", "--note=//not-a-comment"],
    },
  },
}
"""


def test_vscode_workspace_mcp_json_uses_servers_and_may_be_jsonc(home: Path, project: Path) -> None:
    write(project / ".vscode" / "mcp.json", VSCODE_WORKSPACE)
    report = discover_servers(home, [project], platform=LINUX)
    assert report.problems == []
    servers = by_name(report)
    assert set(servers) == {"github", "memory"}
    assert servers["github"].client is Client.VSCODE
    assert servers["github"].scope is Scope.PROJECT
    assert servers["github"].url == "https://api.githubcopilot.com/mcp/"
    assert servers["github"].header_keys == ("Authorization",)
    assert servers["memory"].args[-1] == "--note=//not-a-comment"


def test_vscode_does_not_read_mcp_servers_key(home: Path, project: Path) -> None:
    """VS Code's mcp.json nests servers under "servers"; "mcpServers" there is ignored."""
    write(project / ".vscode" / "mcp.json", {"mcpServers": {"x": stdio("npx", "x")}})
    assert discover_servers(home, [project], platform=LINUX).servers == []


def test_vscode_user_mcp_json_and_settings_json(home: Path) -> None:
    user_dir = home / ".config" / "Code" / "User"
    write(user_dir / "mcp.json", {"servers": {"profile": stdio("docker", "run", "-i", "x")}})
    write(
        user_dir / "settings.json",
        '{\n  "editor.fontSize": 14,\n  // older VS Code kept MCP here\n'
        '  "mcp": {"servers": {"legacy": {"command": "uvx", "args": ["legacy"]}}},\n}\n',
    )
    write(
        home / ".config" / "Code - Insiders" / "User" / "mcp.json",
        {"servers": {"insiders": stdio("node", "i.js")}},
    )
    servers = by_name(discover_servers(home, platform=LINUX))
    assert set(servers) == {"profile", "legacy", "insiders"}
    assert {server.client for server in servers.values()} == {Client.VSCODE}
    assert {server.scope for server in servers.values()} == {Scope.USER}
    assert servers["legacy"].config_path == user_dir / "settings.json"


def test_vscode_workspace_settings_json(home: Path, project: Path) -> None:
    write(
        project / ".vscode" / "settings.json",
        {"mcp": {"servers": {"ws": stdio("node", "ws.js")}}},
    )
    [server] = discover_servers(home, [project], platform=LINUX).servers
    assert (server.name, server.scope, server.project) == ("ws", Scope.PROJECT, str(project))


def test_windsurf_server_url_and_disabled_entries(home: Path) -> None:
    write(
        home / ".codeium" / "windsurf" / "mcp_config.json",
        {
            "mcpServers": {
                "remote": {"serverUrl": "https://mcp.example.com/mcp"},
                "legacy-sse": {"serverUrl": "https://mcp.example.com/sse"},
                "off": {**stdio("npx", "x"), "disabled": True},
            }
        },
    )
    servers = by_name(discover_servers(home, platform=LINUX))
    assert servers["remote"].client is Client.WINDSURF
    assert servers["remote"].transport is Transport.HTTP
    assert servers["remote"].url == "https://mcp.example.com/mcp"
    assert servers["legacy-sse"].transport is Transport.SSE
    assert servers["off"].disabled
    assert not servers["off"].behind_proctor


def test_every_client_at_once_keeps_file_order(home: Path, project: Path) -> None:
    write(
        home / ".config" / "Claude" / "claude_desktop_config.json",
        {"mcpServers": {"a": stdio("a")}},
    )
    write(home / ".claude.json", {"mcpServers": {"b": stdio("b")}})
    write(home / ".cursor" / "mcp.json", {"mcpServers": {"c": stdio("c")}})
    write(home / ".config" / "Code" / "User" / "mcp.json", {"servers": {"d": stdio("d")}})
    write(home / ".codeium" / "windsurf" / "mcp_config.json", {"mcpServers": {"e": stdio("e")}})
    write(project / ".mcp.json", {"mcpServers": {"f": stdio("f")}})
    write(project / ".cursor" / "mcp.json", {"mcpServers": {"g": stdio("g")}})
    write(project / ".vscode" / "mcp.json", {"servers": {"h": stdio("h")}})
    report = discover_servers(home, [project], platform=LINUX)
    assert [server.name for server in report.servers] == list("abcdefgh")
    assert [server.client.value for server in report.servers] == [
        "claude-desktop",
        "claude-code",
        "cursor",
        "vscode",
        "windsurf",
        "claude-code",
        "cursor",
        "vscode",
    ]


def test_each_file_is_read_once(home: Path) -> None:
    """A project that is the home directory, or is named twice, is not counted twice."""
    write(home / ".cursor" / "mcp.json", {"mcpServers": {"once": stdio("npx", "x")}})
    report = discover_servers(home, [home, home / "."], platform=LINUX)
    assert [(s.name, s.scope) for s in report.servers] == [("once", Scope.USER)]


def test_several_projects(home: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    write(first / ".mcp.json", {"mcpServers": {"one": stdio("x")}})
    write(second / ".mcp.json", {"mcpServers": {"two": stdio("y")}})
    servers = by_name(discover_servers(home, [first, second], platform=LINUX))
    assert servers["one"].project == str(first)
    assert servers["two"].project == str(second)
