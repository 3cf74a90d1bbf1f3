"""Writing fixture client configurations into a temporary home and project."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from proctor.discover import DiscoveredServer, DiscoveryReport


def write(path: Path, content: str | dict[str, Any]) -> Path:
    """Write ``content`` (text as is, a dict as JSON) to ``path``, creating its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else json.dumps(content, indent=2)
    path.write_text(text, encoding="utf-8")
    return path


def by_name(report: DiscoveryReport) -> dict[str, DiscoveredServer]:
    names = [server.name for server in report.servers]
    assert len(names) == len(set(names)), f"fixture server names must be unique: {names}"
    return {server.name: server for server in report.servers}


def stdio(command: str, *args: str, **extra: Any) -> dict[str, Any]:
    return {"command": command, "args": list(args), **extra}
