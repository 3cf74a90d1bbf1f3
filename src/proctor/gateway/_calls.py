"""What a call may hold before it is judged: short names and plain, bounded JSON.

A call that breaks these limits is refused (``invalid_input``) and recorded cut short,
so nothing oversized or unrepresentable reaches the policy engine or the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from proctor.errors import InvalidInput
from proctor.model import ToolCall

MAX_NAME_LENGTH = 300
MAX_ARGUMENT_DEPTH = 32
#: RFC 8785 numbers are IEEE doubles: larger integers cannot be recorded exactly.
MAX_EXACT_INTEGER = 2**53 - 1
MAX_ARGUMENT_ITEMS = 10_000


def check_call(call: ToolCall) -> None:
    """Names are short strings and arguments plain JSON; else refused before recording."""
    for field, value in (("tool", call.tool), ("resource", call.resource or "")):
        if not isinstance(value, str) or len(value) > MAX_NAME_LENGTH:
            raise InvalidInput(f"{field} must be a string of at most {MAX_NAME_LENGTH} characters")
    check_arguments(call.arguments)


def check_arguments(arguments: Mapping[str, Any]) -> None:
    """Arguments must be plain JSON (they are canonicalized into the audit log)."""
    if not isinstance(arguments, Mapping):
        raise InvalidInput("call arguments must be a JSON object (name → value)")
    budget = [MAX_ARGUMENT_ITEMS]

    def walk(value: Any, depth: int) -> None:
        budget[0] -= 1
        if budget[0] < 0:
            raise InvalidInput(f"call arguments hold more than {MAX_ARGUMENT_ITEMS} values")
        if depth > MAX_ARGUMENT_DEPTH:
            raise InvalidInput(f"call arguments nest deeper than {MAX_ARGUMENT_DEPTH} levels")
        if value is None or isinstance(value, str | bool):
            return
        if isinstance(value, int):
            if abs(value) > MAX_EXACT_INTEGER:
                raise InvalidInput(
                    "integers beyond 2**53 cannot be recorded exactly; send them as strings"
                )
            return
        if isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise InvalidInput("call arguments may not hold NaN or infinity")
            return
        if isinstance(value, list | tuple):
            for item in value:
                walk(item, depth + 1)
            return
        if isinstance(value, Mapping):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise InvalidInput("argument names must be strings")
                walk(item, depth + 1)
            return
        raise InvalidInput(f"call arguments must be JSON values, not {type(value).__name__}")

    walk(arguments, 0)


def recordable(value: object, invalid: bool) -> object:
    """``value`` as the audit log may hold it: an invalid request's fields are cut short."""
    if not invalid:
        return value
    return value[:MAX_NAME_LENGTH] if isinstance(value, str) else repr(value)[:MAX_NAME_LENGTH]
