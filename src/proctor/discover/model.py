"""What discovery reports: configured MCP servers and the config files it could not read.

Values only, no I/O. A server record never carries an environment variable's value or
a header's value: those are where API keys and bearer tokens live, and a discovery
report is something people paste into tickets and CI logs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class Client(StrEnum):
    """The MCP client whose configuration file declared the server."""

    CLAUDE_DESKTOP = "claude-desktop"
    CLAUDE_CODE = "claude-code"
    CURSOR = "cursor"
    VSCODE = "vscode"
    WINDSURF = "windsurf"


class Scope(StrEnum):
    """Whether the server is configured for every project of the user or for one project."""

    USER = "user"
    PROJECT = "project"


class Transport(StrEnum):
    STDIO = "stdio"
    HTTP = "http"
    SSE = "sse"


@dataclass(frozen=True)
class DiscoveredServer:
    """One MCP server entry in one client configuration file."""

    client: Client
    config_path: Path
    scope: Scope
    name: str
    transport: Transport
    behind_proctor: bool
    command: str | None = None
    args: tuple[str, ...] = ()
    url: str | None = None
    env_keys: tuple[str, ...] = ()
    header_keys: tuple[str, ...] = ()
    #: The project the entry belongs to, for project-scoped entries.
    project: str | None = None
    #: The client has the entry switched off (``"disabled": true``); it can be switched on.
    disabled: bool = False

    @property
    def target(self) -> str:
        """What the client starts or connects to, in one line."""
        if self.transport is Transport.STDIO:
            return " ".join([self.command or "", *self.args]).strip()
        return self.url or ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "client": self.client.value,
            "config_path": str(self.config_path),
            "scope": self.scope.value,
            "project": self.project,
            "name": self.name,
            "transport": self.transport.value,
            "command": self.command,
            "args": list(self.args),
            "url": self.url,
            "env_keys": list(self.env_keys),
            "header_keys": list(self.header_keys),
            "disabled": self.disabled,
            "behind_proctor": self.behind_proctor,
        }


@dataclass(frozen=True)
class ConfigProblem:
    """A configuration file (or an entry in one) that could not be read as expected."""

    path: Path
    message: str
    line: int | None = None
    column: int | None = None

    def location(self) -> str:
        if self.line is None:
            return str(self.path)
        return f"{self.path}:{self.line}:{self.column}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


@dataclass(frozen=True)
class DiscoveryReport:
    servers: list[DiscoveredServer] = field(default_factory=list)
    problems: list[ConfigProblem] = field(default_factory=list)

    @property
    def not_behind_proctor(self) -> list[DiscoveredServer]:
        return [server for server in self.servers if not server.behind_proctor]

    @property
    def all_behind_proctor(self) -> bool:
        """True only when every server is behind Proctor and every file could be read."""
        return not self.not_behind_proctor and not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "servers": [server.to_dict() for server in self.servers],
            "problems": [problem.to_dict() for problem in self.problems],
            "summary": {
                "servers": len(self.servers),
                "not_behind_proctor": len(self.not_behind_proctor),
                "problems": len(self.problems),
            },
        }
