"""What ``proctor hook claude-code init`` prints: the settings snippet and the inventory."""

from __future__ import annotations

from typing import Any

from proctor.integrations.claude_code._mapping import SESSION_TOOLS

#: The command Claude Code runs for every hook event.
HOOK_COMMAND = "proctor hook claude-code"


def settings_snippet(command: str = HOOK_COMMAND, timeout_s: int = 120) -> dict[str, Any]:
    """The ``hooks`` block of ``.claude/settings.json``: every tool, before and after.

    The matcher ``*`` sends every tool call through Proctor, so a tool nobody put in
    the inventory is denied rather than waved through.
    """

    def group() -> list[dict[str, Any]]:
        handler = {"type": "command", "command": command, "timeout": timeout_s}
        return [{"matcher": "*", "hooks": [handler]}]

    return {
        "hooks": {
            "PreToolUse": group(),
            "PostToolUse": group(),
            "PostToolUseFailure": group(),
        }
    }


def _tool(name: str, action: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "action_class": action, "label": "internal", **extra,
            "description": description}  # fmt: skip


def inventory_manifest(agent_id: str = "claude-code", owner: str = "platform-team") -> str:
    """A ``proctor apply -f`` manifest: the agent and the tools the hook checks calls as."""
    tools = [
        _tool("shell.read", "read", "Claude Code: a shell command on the read-only list",
              targets=["command"]),
        _tool("shell.run", "execute", "Claude Code: any other shell command",
              targets=["command"]),
        _tool("shell.destructive", "delete",
              "Claude Code: a shell command matching a destructive pattern "
              "(rm -rf, git push --force, DROP TABLE, terraform destroy...)",
              targets=["command"]),
        _tool("fs.read", "read", "Claude Code: Read, Glob, Grep"),
        _tool("fs.write", "write", "Claude Code: Edit, Write, MultiEdit, NotebookEdit"),
        _tool("web.fetch", "read", "Claude Code: WebFetch (content from outside)",
              untrusted_output=True, targets=["url"]),
        _tool("web.search", "read", "Claude Code: WebSearch (content from outside)",
              untrusted_output=True),
    ]  # fmt: skip
    tools += [
        _tool(f"claude.{name}", "read", "Claude Code bookkeeping: changes nothing outside")
        for name in sorted(SESSION_TOOLS)
    ]
    manifest = {
        "agents": [
            {
                "id": agent_id,
                "name": "Claude Code",
                "owner": owner,
                "purpose": "Coding agent; every tool call is checked by the Proctor hook",
            }
        ],
        "tools": tools,
        # Every file and working directory the session touches, as one entry each:
        # internal data of the agent's owner (add entries of your own, by id or
        # pattern, for files and directories that are more sensitive).
        "resources": [
            {
                "id": "file:*",
                "owner": owner,
                "label": "internal",
                "description": "Files the coding session reads and writes",
            },
            {
                "id": "dir:*",
                "owner": owner,
                "label": "internal",
                "description": "Directories the coding session runs commands in",
            },
        ],
    }
    header = (
        "# Claude Code's tools as the Proctor hook checks them. Apply with:\n"
        "#   proctor apply -f claude-code.yaml\n"
        "# MCP tools (mcp__<server>__<tool>) are checked as <server>.<tool>: register\n"
        "# them under those names too.\n"
    )
    import yaml  # here: the hook itself, run for every tool call, never prints this

    return header + yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True)
