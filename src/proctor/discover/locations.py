"""Where each MCP client keeps its configuration, per platform (see docs/discover.md).

Every user-level path is computed from the home directory, including Windows'
``%APPDATA%`` (``<home>\\AppData\\Roaming``, its default) and Linux's
``$XDG_CONFIG_HOME`` (``<home>/.config``, its default): discovery then reads exactly the
home it is given, and a test's fixture home can never leak into the real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from proctor.discover.model import Client, Scope


class Layout(Enum):
    """How a file nests its server entries."""

    #: ``{"mcpServers": {name: entry}}``: Claude Desktop, Cursor, Windsurf, ``.mcp.json``.
    MCP_SERVERS = "mcpServers"
    #: ``{"servers": {name: entry}, "inputs": [...]}``: VS Code's ``mcp.json``.
    VSCODE_SERVERS = "servers"
    #: ``{"mcp": {"servers": {name: entry}}}``: VS Code's ``settings.json`` (before 1.102).
    VSCODE_SETTINGS = "mcp.servers"
    #: ``~/.claude.json``: user entries in ``mcpServers``, each project's own (Claude
    #: Code's "local" scope) in ``projects[<path>].mcpServers``.
    CLAUDE_CODE = "claude.json"


@dataclass(frozen=True)
class ConfigLocation:
    client: Client
    path: Path
    scope: Scope
    layout: Layout
    project: str | None = None


def app_data_dir(home: Path, platform: str) -> Path:
    """The per-user application settings directory desktop apps (Electron) use."""
    if platform == "darwin":
        return home / "Library" / "Application Support"
    if platform in ("win32", "cygwin"):
        return home / "AppData" / "Roaming"
    return home / ".config"


def user_locations(home: Path, platform: str) -> list[ConfigLocation]:
    """Every user-level configuration file, in a stable order."""
    app_data = app_data_dir(home, platform)
    locations = [
        ConfigLocation(
            Client.CLAUDE_DESKTOP,
            app_data / "Claude" / "claude_desktop_config.json",
            Scope.USER,
            Layout.MCP_SERVERS,
        ),
        ConfigLocation(Client.CLAUDE_CODE, home / ".claude.json", Scope.USER, Layout.CLAUDE_CODE),
        ConfigLocation(
            Client.CURSOR, home / ".cursor" / "mcp.json", Scope.USER, Layout.MCP_SERVERS
        ),
    ]
    for edition in ("Code", "Code - Insiders"):
        user_dir = app_data / edition / "User"
        locations += [
            ConfigLocation(Client.VSCODE, user_dir / "mcp.json", Scope.USER, Layout.VSCODE_SERVERS),
            ConfigLocation(
                Client.VSCODE, user_dir / "settings.json", Scope.USER, Layout.VSCODE_SETTINGS
            ),
        ]
    locations.append(
        ConfigLocation(
            Client.WINDSURF,
            home / ".codeium" / "windsurf" / "mcp_config.json",
            Scope.USER,
            Layout.MCP_SERVERS,
        )
    )
    return locations


def project_locations(project: Path) -> list[ConfigLocation]:
    """Every configuration file a project directory may hold, in a stable order."""
    name = str(project)
    return [
        ConfigLocation(
            Client.CLAUDE_CODE, project / ".mcp.json", Scope.PROJECT, Layout.MCP_SERVERS, name
        ),
        ConfigLocation(
            Client.CURSOR,
            project / ".cursor" / "mcp.json",
            Scope.PROJECT,
            Layout.MCP_SERVERS,
            name,
        ),
        ConfigLocation(
            Client.VSCODE,
            project / ".vscode" / "mcp.json",
            Scope.PROJECT,
            Layout.VSCODE_SERVERS,
            name,
        ),
        ConfigLocation(
            Client.VSCODE,
            project / ".vscode" / "settings.json",
            Scope.PROJECT,
            Layout.VSCODE_SETTINGS,
            name,
        ),
    ]
