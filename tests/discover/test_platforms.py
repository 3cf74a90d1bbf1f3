"""Desktop apps keep user settings in each platform's own application-data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from proctor.discover import Client, discover_servers
from tests.discover.support import stdio, write

APP_DATA = {
    "darwin": ("Library", "Application Support"),
    "win32": ("AppData", "Roaming"),
    "linux": (".config",),
}


@pytest.mark.parametrize("platform", sorted(APP_DATA))
def test_claude_desktop_and_vscode_follow_the_platform(tmp_path: Path, platform: str) -> None:
    app_data = tmp_path.joinpath(*APP_DATA[platform])
    desktop = write(
        app_data / "Claude" / "claude_desktop_config.json",
        {"mcpServers": {"desktop": stdio("npx", "d")}},
    )
    vscode = write(app_data / "Code" / "User" / "mcp.json", {"servers": {"code": stdio("x")}})
    report = discover_servers(tmp_path, platform=platform)
    assert [(s.client, s.config_path) for s in report.servers] == [
        (Client.CLAUDE_DESKTOP, desktop),
        (Client.VSCODE, vscode),
    ]


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_another_platforms_folder_is_not_read(tmp_path: Path, platform: str) -> None:
    write(
        tmp_path / ".config" / "Claude" / "claude_desktop_config.json",
        {"mcpServers": {"linux-only": stdio("npx", "d")}},
    )
    assert discover_servers(tmp_path, platform=platform).servers == []


@pytest.mark.parametrize("platform", sorted(APP_DATA))
def test_home_dot_files_are_the_same_on_every_platform(tmp_path: Path, platform: str) -> None:
    write(tmp_path / ".claude.json", {"mcpServers": {"a": stdio("a")}})
    write(tmp_path / ".cursor" / "mcp.json", {"mcpServers": {"b": stdio("b")}})
    write(tmp_path / ".codeium" / "windsurf" / "mcp_config.json", {"mcpServers": {"c": stdio("c")}})
    report = discover_servers(tmp_path, platform=platform)
    assert [server.name for server in report.servers] == ["a", "b", "c"]
