"""``discover_servers``: every MCP server configured on this machine, from every client."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from proctor.discover.entries import EntrySource, read_entry
from proctor.discover.locations import (
    ConfigLocation,
    Layout,
    project_locations,
    user_locations,
)
from proctor.discover.model import ConfigProblem, DiscoveredServer, DiscoveryReport, Scope
from proctor.discover.reader import Document, read_document

_Found = DiscoveredServer | ConfigProblem


def _entries(source: EntrySource, servers: Any, key: str) -> Iterator[_Found]:
    if servers is None:
        return
    if not isinstance(servers, dict):
        yield ConfigProblem(source.path, f'"{key}" is not an object')
        return
    for name, entry in servers.items():
        yield read_entry(source, str(name), entry)


def _claude_code(location: ConfigLocation, root: dict[str, Any]) -> Iterator[_Found]:
    user = EntrySource(location.client, location.path, Scope.USER)
    yield from _entries(user, root.get("mcpServers"), "mcpServers")
    projects = root.get("projects")
    if projects is None:
        return
    if not isinstance(projects, dict):
        yield ConfigProblem(location.path, '"projects" is not an object')
        return
    for project, settings in projects.items():
        if not isinstance(settings, dict):
            continue  # not ours to judge: Claude Code keeps other per-project state here
        source = EntrySource(location.client, location.path, Scope.PROJECT, str(project))
        yield from _entries(source, settings.get("mcpServers"), f"projects.{project}.mcpServers")


def _servers_in(location: ConfigLocation, document: Document) -> Iterator[_Found]:
    root = document.data
    if not isinstance(root, dict):
        yield ConfigProblem(location.path, "is not a JSON object at the top level")
        return
    source = EntrySource(location.client, location.path, location.scope, location.project)
    if location.layout is Layout.CLAUDE_CODE:
        yield from _claude_code(location, root)
    elif location.layout is Layout.MCP_SERVERS:
        yield from _entries(source, root.get("mcpServers"), "mcpServers")
    elif location.layout is Layout.VSCODE_SERVERS:
        yield from _entries(source, root.get("servers"), "servers")
    else:
        mcp = root.get("mcp")
        if mcp is not None and not isinstance(mcp, dict):
            yield ConfigProblem(location.path, '"mcp" is not an object')
        elif isinstance(mcp, dict):
            yield from _entries(source, mcp.get("servers"), "mcp.servers")


def _identity(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def discover_servers(
    home: Path, projects: Sequence[Path] = (), platform: str = sys.platform
) -> DiscoveryReport:
    """Every MCP server the user's and the projects' client configuration files declare.

    ``platform`` is a ``sys.platform`` value; it picks the user-level paths of the
    desktop apps (Claude Desktop, VS Code). Each file is read once, even when a project
    is the home directory or is named twice.
    """
    locations = user_locations(home, platform)
    for project in projects:
        locations += project_locations(project)
    report = DiscoveryReport()
    seen: set[Path] = set()
    for location in locations:
        identity = _identity(location.path)
        if identity in seen:
            continue
        seen.add(identity)
        document = read_document(location.path)
        if document is None:
            continue
        if isinstance(document, ConfigProblem):
            report.problems.append(document)
            continue
        for found in _servers_in(location, document):
            if isinstance(found, ConfigProblem):
                report.problems.append(found)
            else:
                report.servers.append(found)
    return report
