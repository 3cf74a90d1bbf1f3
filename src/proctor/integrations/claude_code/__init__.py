"""Claude Code hooks: every tool call a coding session makes is checked by Proctor.

``proctor hook claude-code`` is the command Claude Code runs (see docs/claude-code.md);
:class:`ClaudeCodeHook` is its logic, :func:`map_call` the mapping from Claude Code's
tools to inventory tools, :func:`classify` the sorting of shell commands.
"""

from proctor.integrations.claude_code._commands import (
    DESTRUCTIVE_PATTERNS,
    CommandClass,
    classify,
    destructive_matches,
)
from proctor.integrations.claude_code._hook import ClaudeCodeHook, HookResult, parse_event
from proctor.integrations.claude_code._mapping import map_call, mcp_tool_name
from proctor.integrations.claude_code._setup import inventory_manifest, settings_snippet
from proctor.integrations.claude_code._state import STATE_DIR_ENV, CallState, PendingCall

__all__ = [
    "DESTRUCTIVE_PATTERNS",
    "STATE_DIR_ENV",
    "CallState",
    "ClaudeCodeHook",
    "CommandClass",
    "HookResult",
    "PendingCall",
    "classify",
    "destructive_matches",
    "inventory_manifest",
    "map_call",
    "mcp_tool_name",
    "parse_event",
    "settings_snippet",
]
