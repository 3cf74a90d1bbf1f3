"""Only Proctor's own MCP proxy counts as behind Proctor; launchers are not looked through."""

from __future__ import annotations

from pathlib import Path

import pytest

from proctor.discover import discover_servers, is_behind_proctor
from tests.discover.support import by_name, stdio, write


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("proctor", ["mcp-proxy"]),
        ("proctor", ["mcp-proxy", "--agent", "forum-bot", "--", "npx", "-y", "server"]),
        ("/usr/local/bin/proctor", ["mcp-proxy"]),
        ("C:\\Tools\\Proctor.EXE", ["mcp-proxy"]),
        ("proctor.cmd", ["mcp-proxy"]),
        ("python", ["-m", "proctor", "mcp-proxy", "--", "node", "s.js"]),
        ("python3.12", ["-m", "proctor", "mcp-proxy"]),
        ("/opt/venv/bin/python3", ["-m", "proctor", "mcp-proxy"]),
        ("C:\\Python312\\python.exe", ["-m", "proctor", "mcp-proxy"]),
        ("py", ["-m", "proctor", "mcp-proxy"]),
    ],
)
def test_proctor_mcp_proxy_is_behind_proctor(command: str, args: list[str]) -> None:
    assert is_behind_proctor(command, args)


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("npx", ["-y", "@modelcontextprotocol/server-github"]),
        ("uvx", ["proctor", "mcp-proxy"]),
        ("npx", ["proctor", "mcp-proxy"]),
        ("proctor", []),
        ("proctor", ["serve"]),
        ("proctor", ["--data-dir", "x", "mcp-proxy"]),
        ("proctor-mcp-proxy", []),
        ("notproctor", ["mcp-proxy"]),
        ("python", ["-m", "proctorx", "mcp-proxy"]),
        ("python", ["server.py", "-m", "proctor", "mcp-proxy"]),
        ("node", ["-m", "proctor", "mcp-proxy"]),
        ("", ["mcp-proxy"]),
        (None, []),
    ],
)
def test_anything_else_is_not_behind_proctor(command: str | None, args: list[str]) -> None:
    assert not is_behind_proctor(command, args)


def test_a_wrapped_server_is_reported_behind_proctor(tmp_path: Path) -> None:
    write(
        tmp_path / ".claude.json",
        {
            "mcpServers": {
                "wrapped": stdio("proctor", "mcp-proxy", "--agent", "a", "--", "npx", "s"),
                "bare": stdio("npx", "s"),
                "remote": {"type": "http", "url": "https://proctor.example.com/mcp"},
            }
        },
    )
    report = discover_servers(tmp_path, platform="linux")
    servers = by_name(report)
    assert servers["wrapped"].behind_proctor
    assert not servers["bare"].behind_proctor
    assert not servers["remote"].behind_proctor, "a URL never proves what answers it"
    assert [server.name for server in report.not_behind_proctor] == ["bare", "remote"]
    assert not report.all_behind_proctor
