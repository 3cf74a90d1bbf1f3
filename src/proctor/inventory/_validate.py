"""Shape rules for inventory names: strict, so ids are safe in logs, URLs and Cedar."""

from __future__ import annotations

import re
from collections.abc import Mapping

from proctor.errors import InvalidInput
from proctor.model import ActionClass, Tool

_AGENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}")
_TOOL_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,199}")
_RESOURCE_ID = re.compile(r"[A-Za-z0-9_*?\[][A-Za-z0-9_.:/@#+=*?\[\]!-]{0,299}")


def check_agent_id(value: str, what: str = "agent id") -> str:
    if not _AGENT_ID.fullmatch(value):
        raise InvalidInput(
            f"{what} {value!r} is not valid: use letters, digits and . _ : @ - (max 200)"
        )
    return value


def check_tool_name(value: str) -> str:
    if not _TOOL_NAME.fullmatch(value):
        raise InvalidInput(
            f"tool name {value!r} is not valid: use letters, digits and . _ : / - (max 200)"
        )
    return value


def check_resource_id(value: str) -> str:
    if not _RESOURCE_ID.fullmatch(value):
        raise InvalidInput(
            f"resource id {value!r} is not valid: use letters, digits and . _ : / @ # + = - "
            "(max 300; * ? [ ] make it a pattern)"
        )
    return value


_ARGUMENT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,99}")
_MAX_TARGETS = 20
_MAX_REVIEW = 500


def check_tool(tool: Tool) -> Tool:
    """The whole catalog entry: its name, argument names, and what only some classes have."""
    check_tool_name(tool.name)
    if len(tool.targets) > _MAX_TARGETS:
        raise InvalidInput(f"tool {tool.name}: at most {_MAX_TARGETS} target arguments")
    for argument in tool.targets:
        _check_argument(tool.name, argument)
    arguments = tool.permission_arguments
    if arguments is not None:
        if tool.action_class is not ActionClass.MODIFY_PERMISSIONS:
            raise InvalidInput(
                f"tool {tool.name}: permission arguments belong to modify_permissions tools, "
                f"not {tool.action_class.value}"
            )
        _check_argument(tool.name, arguments.grantee)
        if arguments.level is not None:
            _check_argument(tool.name, arguments.level)
    check_policy_arguments(tool.name, dict(tool.policy_arguments))
    if tool.review is not None and not 0 < len(tool.review.strip()) <= _MAX_REVIEW:
        raise InvalidInput(f"tool {tool.name}: a review reason is 1 to {_MAX_REVIEW} characters")
    return tool


def _check_argument(tool: str, argument: str) -> None:
    if not _ARGUMENT_NAME.fullmatch(argument):
        raise InvalidInput(
            f"tool {tool}: argument name {argument!r} is not valid (letters, digits, _ . -; "
            "a dotted name reaches into a nested object)"
        )


#: The types a policy argument may have (``context.args`` holds them typed).
POLICY_ARGUMENT_TYPES = ("long", "string", "bool")
_ARGUMENT_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
#: Cedar words an attribute may not be named (they would not parse as ``args.<name>``).
_CEDAR_WORDS = frozenset({"true", "false", "if", "then", "else", "in", "is", "like", "has"})


def check_policy_arguments(tool: str, declared: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """A tool's declared policy arguments, checked: identifier names, known types."""
    checked = []
    for name, kind in declared.items():
        if not _ARGUMENT_IDENTIFIER.fullmatch(name) or name in _CEDAR_WORDS:
            raise InvalidInput(
                f"tool {tool}: policy argument {name!r} must be an identifier (not a Cedar word)",
                code="invalid_policy_argument",
            )
        if kind not in POLICY_ARGUMENT_TYPES:
            raise InvalidInput(
                f"tool {tool}: policy argument {name} has type {kind!r}; use "
                + ", ".join(POLICY_ARGUMENT_TYPES),
                code="invalid_policy_argument",
            )
        checked.append((name, kind))
    return tuple(sorted(checked))
