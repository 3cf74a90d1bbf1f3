"""A guarded function's arguments as JSON the gateway can record and judge."""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from typing import Any

#: Nesting beyond this is recorded as a repr (the gateway refuses deeper than 32).
MAX_DEPTH = 16
#: How long a repr standing in for a non-JSON value may be.
MAX_REPR = 200
_SKIPPED = frozenset({"self", "cls"})
#: Filled in by the SDK after the decision (the provenance stamp), so never judged.
_SDK_SUPPLIED = frozenset({"proctor_stamp"})


def call_arguments(
    signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[inspect.BoundArguments, dict[str, Any]]:
    """The call bound to ``signature`` (defaults applied) and its JSON-safe arguments.

    A method's ``self``/``cls`` is left out: it is the tool, not an argument to it;
    so is ``proctor_stamp``, which the SDK fills in after the decision.
    Raises ``TypeError`` as the call itself would if the arguments do not fit.
    """
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    names = list(bound.arguments)
    skip = names[0] if names and names[0] in _SKIPPED else None
    arguments = {
        name: json_safe(value)
        for name, value in bound.arguments.items()
        if name != skip and name not in _SDK_SUPPLIED
    }
    return bound, arguments


def json_safe(value: Any, depth: int = 0) -> Any:
    """``value`` as plain JSON: containers converted, anything else as a short repr.

    Strings, numbers and structure are kept exactly (a decision, and an approval,
    is about these very values); only what JSON cannot hold is replaced.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else short_repr(value)
    if isinstance(value, str):
        # The string itself, even from a subclass such as a StrEnum member.
        return str.__str__(value)
    if depth >= MAX_DEPTH:
        return short_repr(value)
    if isinstance(value, Mapping):
        return {
            str.__str__(key) if isinstance(key, str) else short_repr(key): json_safe(
                item, depth + 1
            )
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [json_safe(item, depth + 1) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((json_safe(item, depth + 1) for item in value), key=repr)
    return short_repr(value)


def short_repr(value: Any, limit: int = MAX_REPR) -> str:
    """``repr(value)`` cut to ``limit`` characters; never raises."""
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__} (repr failed)>"
    return text if len(text) <= limit else text[: limit - 1] + "…"
