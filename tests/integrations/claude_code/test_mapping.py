"""Claude Code's tools become inventory tools, bounded arguments and resources."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proctor.gateway import MAX_NAME_LENGTH
from proctor.integrations.claude_code import map_call, mcp_tool_name
from proctor.integrations.claude_code._mapping import HEAD, MAX_STRING, bounded


@pytest.mark.parametrize(
    ("tool_name", "tool_input", "tool", "resource"),
    [
        ("Bash", {"command": "git status"}, "shell.read", "dir:/repo"),
        ("Bash", {"command": "make"}, "shell.run", "dir:/repo"),
        ("PowerShell", {"command": "rm -rf C:/x"}, "shell.destructive", "dir:/repo"),
        ("Edit", {"file_path": "/repo/a.py", "old_string": "a", "new_string": "b"}, "fs.write",
         "file:/repo/a.py"),
        ("Write", {"file_path": "/repo/b.py", "content": ""}, "fs.write", "file:/repo/b.py"),
        ("MultiEdit", {"file_path": "/repo/c.py", "edits": []}, "fs.write", "file:/repo/c.py"),
        ("NotebookEdit", {"notebook_path": "/repo/n.ipynb", "new_source": "x"}, "fs.write",
         "file:/repo/n.ipynb"),
        ("Read", {"file_path": "/repo/a.py"}, "fs.read", "file:/repo/a.py"),
        ("Glob", {"pattern": "**/*.py"}, "fs.read", "file:/repo"),
        ("Grep", {"pattern": "TODO", "path": "/repo/src"}, "fs.read", "file:/repo/src"),
        ("WebFetch", {"url": "https://example.com/a", "prompt": "sum"}, "web.fetch",
         "url:https://example.com/a"),
        ("WebSearch", {"query": "cedar policies"}, "web.search", None),
        ("mcp__github__create_issue", {"title": "t"}, "github.create_issue", None),
        ("mcp__brave-search__web_search", {"q": "x"}, "brave-search.web_search", None),
        ("TodoWrite", {"todos": []}, "claude.TodoWrite", None),
    ],
)  # fmt: skip
def test_each_claude_code_tool_maps_to_its_inventory_tool(
    tool_name: str, tool_input: dict[str, Any], tool: str, resource: str | None
) -> None:
    call = map_call(tool_name, tool_input, cwd="/repo")
    assert (call.tool, call.resource) == (tool, resource)


def test_a_shell_call_is_its_command_and_directory_only() -> None:
    call = map_call(
        "Bash",
        {"command": "ls", "description": "list", "timeout": 1000, "run_in_background": False},
        cwd="/repo",
    )
    assert call.arguments == {"command": "ls", "cwd": "/repo"}


def test_file_tools_say_which_claude_tool_it_was() -> None:
    call = map_call("Edit", {"file_path": "/r/a", "old_string": "x", "new_string": "y"})
    assert call.arguments["claude_tool"] == "Edit"
    assert call.arguments["new_string"] == "y"


def test_mcp_names_follow_the_proxy_naming() -> None:
    assert mcp_tool_name("mcp__plugin_tools_db__query") == "plugin_tools_db.query"
    assert mcp_tool_name("mcp__memory__create__entities") == "memory.create__entities"
    assert mcp_tool_name("mcp__odd") == "mcp.odd"


def test_a_long_file_body_is_sent_as_its_digest() -> None:
    content = "x = 1\n" * 2000
    call = map_call("Write", {"file_path": "/r/big.py", "content": content})
    sent = call.arguments["content"]
    assert sent["length"] == len(content)
    assert sent["head"] == content[:HEAD]
    assert len(sent["sha256"]) == 64
    other = map_call("Write", {"file_path": "/r/big.py", "content": content + "y"})
    assert other.arguments["content"]["sha256"] != sent["sha256"]  # approvals stay exact


def test_a_very_long_path_still_makes_a_distinct_resource() -> None:
    deep = "/r/" + "d/" * 200
    first = map_call("Read", {"file_path": deep + "a.py"}).resource
    second = map_call("Read", {"file_path": deep + "b.py"}).resource
    assert first is not None
    assert second is not None
    assert len(first) <= MAX_NAME_LENGTH
    assert len(second) <= MAX_NAME_LENGTH
    assert first != second
    assert "a.py" in first


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=6000),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@given(json_values)
def test_bounded_values_are_json_with_no_string_over_the_limit(value: Any) -> None:
    result = bounded(value)
    text = json.dumps(result)

    def strings(item: Any) -> list[str]:
        if isinstance(item, str):
            return [item]
        if isinstance(item, dict):
            return [s for v in item.values() for s in strings(v)]
        if isinstance(item, list):
            return [s for v in item for s in strings(v)]
        return []

    assert all(len(s) <= MAX_STRING for s in strings(result))
    assert json.loads(text) == result
