"""Claude Code's tools as Proctor calls: which inventory tool, which arguments, which resource.

| Claude Code tool | Proctor tool | resource |
|---|---|---|
| ``Bash``, ``PowerShell`` | ``shell.read``, ``shell.run``, ``shell.destructive`` | ``dir:<cwd>`` |
| ``Edit``, ``Write``, ``MultiEdit``, ``NotebookEdit`` | ``fs.write`` | ``file:<path>`` |
| ``Read``, ``Glob``, ``Grep``, ``LS``, ``NotebookRead`` | ``fs.read`` | ``file:<path>`` |
| ``WebFetch`` | ``web.fetch`` | ``url:<url>`` |
| ``WebSearch`` | ``web.search`` | |
| ``mcp__<server>__<tool>`` | ``<server>.<tool>`` | |
| anything else | ``claude.<Name>`` | |

Arguments are the tool's input as Claude Code sent it (for shell tools: only the
``command`` and the ``cwd`` it runs in), with two changes that keep a
decision small and the audit log free of bulk: a string longer than
:data:`MAX_STRING` becomes ``{"sha256", "length", "head"}`` (an approval still binds
to the exact text through the digest), and a resource id longer than the gateway
accepts is shortened the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from proctor.gateway import MAX_NAME_LENGTH
from proctor.integrations.claude_code._commands import classify
from proctor.model import ToolCall

#: Strings longer than this are sent as a digest (file contents, long heredocs).
MAX_STRING = 4096
#: How much of a digested string is kept readable.
HEAD = 200

SHELL_TOOLS = frozenset({"Bash", "PowerShell"})
WRITE_TOOLS = frozenset({"Edit", "Write", "MultiEdit", "NotebookEdit"})
READ_TOOLS = frozenset({"Read", "Glob", "Grep", "LS", "NotebookRead"})
WEB_TOOLS = {"WebFetch": "web.fetch", "WebSearch": "web.search"}
#: Claude Code's own bookkeeping: plans, to-do lists, questions to the user, sub-agents
#: (whose own tool calls pass through the hook one by one), reading a running
#: command's output. They change nothing outside the session.
SESSION_TOOLS = frozenset(
    {
        "Agent",
        "Task",
        "TodoWrite",
        "TaskCreate",
        "TaskUpdate",
        "TaskList",
        "TaskGet",
        "AskUserQuestion",
        "ExitPlanMode",
        "EnterPlanMode",
        "BashOutput",
        "KillShell",
        "KillBash",
        "TaskOutput",
        "TaskStop",
    }
)


def map_call(tool_name: str, tool_input: Mapping[str, Any], cwd: str = "") -> ToolCall:
    """The Proctor call a Claude Code tool call is checked as."""
    arguments = {str(name): bounded(value) for name, value in tool_input.items()}
    if tool_name in SHELL_TOOLS:
        command = tool_input.get("command")
        tool = classify(command).value if isinstance(command, str) else "shell.run"
        # What runs is the command in its directory; Claude's description of it and
        # its timeout are not, and would make a re-issued command another call.
        shell = {"command": arguments.get("command"), "cwd": cwd}
        return ToolCall(tool, shell, _resource("dir", cwd))
    if tool_name in WRITE_TOOLS or tool_name in READ_TOOLS:
        path = _first_string(tool_input, "file_path", "notebook_path", "path") or cwd
        tool = "fs.write" if tool_name in WRITE_TOOLS else "fs.read"
        return ToolCall(tool, {"claude_tool": tool_name, **arguments}, _resource("file", path))
    if tool_name in WEB_TOOLS:
        url = _first_string(tool_input, "url")
        return ToolCall(WEB_TOOLS[tool_name], arguments, _resource("url", url))
    if tool_name.startswith("mcp__"):
        return ToolCall(mcp_tool_name(tool_name), arguments)
    return ToolCall(f"claude.{tool_name}", arguments)


def mcp_tool_name(tool_name: str) -> str:
    """``mcp__<server>__<tool>`` as the MCP proxy names it: ``<server>.<tool>``."""
    server, _, tool = tool_name.removeprefix("mcp__").partition("__")
    return f"{server}.{tool}" if tool else f"mcp.{server}"


def bounded(value: Any) -> Any:
    """``value`` with every over-long string replaced by its digest and head."""
    if isinstance(value, str):
        if len(value) <= MAX_STRING:
            return value
        digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
        return {"sha256": digest, "length": len(value), "head": value[:HEAD]}
    if isinstance(value, Mapping):
        return {str(key): bounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [bounded(item) for item in value]
    return value


def _first_string(tool_input: Mapping[str, Any], *names: str) -> str:
    for name in names:
        value = tool_input.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def _resource(kind: str, value: str) -> str | None:
    if not value:
        return None
    resource = f"{kind}:{value}"
    if len(resource) <= MAX_NAME_LENGTH:
        return resource
    # Too long for the gateway: keep the end (the file name) and a digest of the whole.
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    keep = MAX_NAME_LENGTH - len(kind) - len(digest) - 4
    return f"{kind}:…{value[-keep:]}#{digest}"
