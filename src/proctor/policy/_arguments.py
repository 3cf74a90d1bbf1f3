"""Arguments policies may judge: the typed attributes of ``context.args``.

The tool catalog declares which arguments of a tool policies may read, and their
type (``policy_arguments: {amount: long, currency: string}``). The schema gets one
optional attribute per declared name (the union over every tool; a name must have one
type everywhere), so a policy like ``forbid (...) when { context.args has amount &&
context.args.amount > 1000 }`` validates; the gateway writes the declared arguments
of each call into the context.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

import cedarpy

from proctor.errors import InvalidInput
from proctor.inventory import POLICY_ARGUMENT_TYPES
from proctor.model import Tool
from proctor.policy._resources import schema_text

#: Catalog type names and their Cedar types.
ARGUMENT_TYPES = dict(zip(POLICY_ARGUMENT_TYPES, ("Long", "String", "Bool"), strict=True))
_PLACEHOLDER = "type ArgumentFacts = {};"

#: A frozen mapping of argument name to catalog type, as the engine keys schemas by it.
ArgumentTypes = tuple[tuple[str, str], ...]


def argument_types(tools: Iterable[Tool]) -> ArgumentTypes:
    """The union of every tool's declared arguments; a name declared with two types is
    refused (``invalid_policy_argument``), naming both tools."""
    seen: dict[str, tuple[str, str]] = {}
    for tool in tools:
        for name, kind in tool.policy_arguments:
            earlier = seen.setdefault(name, (kind, tool.name))
            if earlier[0] != kind:
                raise InvalidInput(
                    f"policy argument {name} is {earlier[0]} for {earlier[1]} and {kind} for "
                    f"{tool.name}: one name, one type",
                    code="invalid_policy_argument",
                )
    return tuple(sorted((name, kind) for name, (kind, _) in seen.items()))


def schema_text_for(arguments: ArgumentTypes) -> str:
    """The schema with ``context.args`` typed for ``arguments``."""
    attributes = ", ".join(f"{name}?: {ARGUMENT_TYPES[kind]}" for name, kind in arguments)
    return schema_text().replace(_PLACEHOLDER, f"type ArgumentFacts = {{{attributes}}};")


@lru_cache(maxsize=16)
def schema_for(arguments: ArgumentTypes) -> cedarpy.Schema:
    """The parsed schema for ``arguments`` (each distinct set parsed once)."""
    return cedarpy.Schema.from_str(schema_text_for(arguments))


def typed_arguments(
    tool: Tool, arguments: Mapping[str, object]
) -> tuple[dict[str, object], str | None]:
    """The call's declared arguments as ``context.args`` holds them, or a problem: a
    declared argument of the wrong type is refused, never passed on as something else."""
    found: dict[str, object] = {}
    for name, kind in tool.policy_arguments:
        if name not in arguments:
            continue
        value = arguments[name]
        if kind == "long" and (isinstance(value, bool) or not isinstance(value, int)):
            return {}, f"argument {name} of {tool.name} must be an integer"
        if kind == "string" and not isinstance(value, str):
            return {}, f"argument {name} of {tool.name} must be a string"
        if kind == "bool" and not isinstance(value, bool):
            return {}, f"argument {name} of {tool.name} must be true or false"
        found[name] = value
    return found, None
