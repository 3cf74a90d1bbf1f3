"""Shape rules for inventory names: strict, so ids are safe in logs, URLs and Cedar."""

from __future__ import annotations

import re

from proctor.errors import InvalidInput

_AGENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}")
_TOOL_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,199}")
_RESOURCE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:/@#+=-]{0,299}")


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
            "(max 300)"
        )
    return value
