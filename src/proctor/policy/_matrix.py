"""Compile a YAML permission matrix into readable, scoped Cedar policies.

Each entry names agents and/or agent groups, tools (exact names or fnmatch
patterns) and an outcome. Every (principal, tool) pair becomes its own scoped
policy, so the engine can index it: an exact name compiles to
``resource == Tool::"x"``, a pattern to ``resource in ToolPattern::"p"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from proctor.errors import PolicyError
from proctor.policy._compile import approver_problem
from proctor.policy._source import PolicyDocument

_OUTCOMES = ("allow", "approval", "deny")
_KEYS = frozenset({"agents", "groups", "tools", "outcome", "approver", "reason"})
_DEFAULT_REASONS = {
    "allow": "the permission matrix allows {agent} to use {tool}",
    "deny": "the permission matrix forbids {agent} to use {tool}",
    "approval": "the permission matrix needs approval for {agent} to use {tool}",
}


def compile_matrix(matrix: str | Mapping[str, Any], source_name: str) -> PolicyDocument:
    """The Cedar document for a permission matrix (YAML text or its parsed mapping).

    An entry without agents or groups, or without tools, is refused: an empty list
    never means "everything".
    """
    data: Any = matrix
    if isinstance(matrix, str):
        try:
            data = yaml.safe_load(matrix)
        except yaml.YAMLError as error:
            raise PolicyError(f"{source_name}: not valid YAML: {error}") from error
    if not isinstance(data, Mapping) or not isinstance(data.get("matrix"), list):
        raise PolicyError(f"{source_name}: expected a mapping with a 'matrix' list")
    policies: list[str] = [f"// Compiled from the permission matrix {source_name}."]
    for number, entry in enumerate(data["matrix"], start=1):
        policies.extend(_compile_entry(entry, f"{source_name} entry {number}", source_name, number))
    return PolicyDocument(source_name, "\n\n".join(policies) + "\n")


def _compile_entry(entry: Any, where: str, source_name: str, number: int) -> list[str]:
    if not isinstance(entry, Mapping):
        raise PolicyError(f"{where}: expected a mapping")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise PolicyError(f"{where}: unknown keys {', '.join(map(str, unknown))}")
    agents = _names(entry, "agents", where)
    groups = _names(entry, "groups", where)
    tools = _names(entry, "tools", where)
    if not agents and not groups:
        raise PolicyError(f"{where}: name at least one agent or group")
    if not tools:
        raise PolicyError(f"{where}: name at least one tool or tool pattern")
    outcome = entry.get("outcome")
    if outcome not in _OUTCOMES:
        raise PolicyError(f"{where}: outcome must be one of {', '.join(_OUTCOMES)}")
    approver = entry.get("approver", "requester")
    if outcome != "approval" and "approver" in entry:
        raise PolicyError(f"{where}: only an approval entry takes an approver")
    if not isinstance(approver, str):
        raise PolicyError(f"{where}: approver must be a string")
    problem = approver_problem(approver)
    if problem is not None:
        raise PolicyError(f"{where}: {problem}")
    reason = entry.get("reason", _DEFAULT_REASONS[outcome])
    if not isinstance(reason, str) or not reason:
        raise PolicyError(f"{where}: reason must be a non-empty string")

    principals = [f"principal == Agent::{_quote(agent)}" for agent in agents]
    principals += [f"principal in AgentGroup::{_quote(group)}" for group in groups]
    resources = [_resource_scope(tool) for tool in tools]
    pairs = [(p, r) for p in principals for r in resources]
    base = f"matrix:{source_name}:{number}"
    policies: list[str] = []
    for index, (principal, resource) in enumerate(pairs, start=1):
        policy_id = base if len(pairs) == 1 else f"{base}.{index}"
        scope = f"({principal}, action, {resource})"
        head = f"@id({_quote(policy_id)})\n@reason({_quote(reason)})\n"
        if outcome == "allow":
            policies.append(f"{head}permit {scope};")
        elif outcome == "deny":
            policies.append(f"{head}forbid {scope};")
        else:
            hold = f'{head}@outcome("approval")\n@approver({_quote(approver)})\n'
            policies.append(f"{hold}forbid {scope}\nunless {{ context.approved }};")
            approved = f"@id({_quote(policy_id + ':approved')})\n@reason({_quote(reason)})\n"
            policies.append(f"{approved}permit {scope}\nwhen {{ context.approved }};")
    return policies


def _names(entry: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = entry.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise PolicyError(f"{where}: {key} must be a list of non-empty strings")
    return list(dict.fromkeys(value))


def _resource_scope(tool: str) -> str:
    if any(char in tool for char in "*?["):
        return f"resource in ToolPattern::{_quote(tool)}"
    return f"resource == Tool::{_quote(tool)}"


def _quote(text: str) -> str:
    """``text`` as a Cedar string literal."""
    escaped: list[str] = []
    for char in text:
        if char in '"\\':
            escaped.append("\\" + char)
        elif char == "\n":
            escaped.append("\\n")
        elif char == "\t":
            escaped.append("\\t")
        elif char == "\r":
            escaped.append("\\r")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{{{ord(char):x}}}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'
