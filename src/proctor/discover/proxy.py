"""When a configured server counts as behind Proctor.

Only two command shapes count, both of which start Proctor's MCP proxy itself:

- ``proctor mcp-proxy ...`` (the command's file name is ``proctor``, with or without a
  directory and a Windows ``.exe``/``.cmd``/``.bat`` suffix), and
- ``python -m proctor mcp-proxy ...`` (any ``python``, ``python3``, ``python3.12``,
  ``py`` interpreter).

Launchers are deliberately not looked through: ``uvx proctor mcp-proxy`` or
``npx ...`` run whatever the package index serves under that name, so they are reported
as not behind Proctor. A remote (http/sse) server is never counted as behind Proctor:
its URL says nothing about what answers it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PureWindowsPath

_PROXY_SUBCOMMAND = "mcp-proxy"
_WINDOWS_SUFFIXES = (".exe", ".cmd", ".bat")
_PYTHON = re.compile(r"(python[0-9.]*|py)")


def _program(command: str) -> str:
    # PureWindowsPath splits on both "/" and "\", so one rule serves every platform's paths.
    name = PureWindowsPath(command.strip()).name.lower()
    for suffix in _WINDOWS_SUFFIXES:
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


def is_behind_proctor(command: str | None, args: Sequence[str]) -> bool:
    """True when ``command args`` starts Proctor's MCP proxy (see the module docstring)."""
    if not command:
        return False
    program = _program(command)
    if program == "proctor":
        return len(args) >= 1 and args[0] == _PROXY_SUBCOMMAND
    if _PYTHON.fullmatch(program):
        return list(args[:3]) == ["-m", "proctor", _PROXY_SUBCOMMAND]
    return False
