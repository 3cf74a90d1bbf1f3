"""A tool as an upstream MCP server lists it, its name in the inventory, and its pin.

Inventory names are namespaced per upstream server: the proxy started with
``--server github`` registers the server's ``create_issue`` as
``github.create_issue``, so two servers' tools never collide. The agent keeps
seeing (and calling) the server's own name.

The pin is SHA-256 over the RFC 8785 form of what the model reads about a tool and
how it is called: its description, input schema and annotations. A server that
changes any of them after the tool was accepted has changed the tool.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from proctor.audit import canonical_json
from proctor.errors import InvalidInput
from proctor.inventory import ANNOTATION_DEFAULTS
from proctor.model import ActionClass

_SERVER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
# The inventory's tool-name alphabet, less what would make "server.tool" ambiguous
# to read back: the server part has no dot; the tool part may.
_TOOL_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,134}")

#: The MCP annotation keys (wire spelling) that are hints; ``title`` is not one.
HINT_KEYS: tuple[str, ...] = tuple(ANNOTATION_DEFAULTS)


def check_server_name(name: str) -> str:
    """The ``--server`` name: letters, digits, ``_`` and ``-``, up to 64 characters."""
    if not _SERVER_NAME.fullmatch(name):
        raise InvalidInput(
            f"MCP server name {name!r} is not valid: use letters, digits, _ and - (max 64), "
            "no dots",
            code="invalid_server_name",
        )
    return name


def inventory_name(server: str, tool: str) -> str | None:
    """``server.tool``, or None when the tool's name cannot be an inventory name
    (such a tool can never be registered, so every call of it is denied)."""
    if not _TOOL_NAME.fullmatch(tool):
        return None
    return f"{server}.{tool}"


class Unannotated(StrEnum):
    """What a tool that declares no hints gets, when first seen (``--unannotated``)."""

    #: Registered under review: every call is held for an admin until accepted.
    REQUIRE_APPROVAL = "require_approval"
    #: Not registered: the default policy denies (and hides) a tool it does not know.
    DENY = "deny"


#: ``--unannotated``: one of :class:`Unannotated`, or an action class to register with.
UnannotatedRule = Unannotated | ActionClass


def parse_unannotated(value: str) -> UnannotatedRule:
    """``require_approval``, ``deny`` or an action class name."""
    for kind in (Unannotated, ActionClass):
        try:
            return kind(value)
        except ValueError:
            continue
    choices = ", ".join([*(u.value for u in Unannotated), *(a.value for a in ActionClass)])
    raise InvalidInput(
        f"--unannotated {value!r} is not one of {choices}", code="invalid_unannotated"
    )


@dataclass(frozen=True, slots=True)
class ListedTool:
    """What a server's ``tools/list`` says about one tool (wire field names)."""

    name: str
    description: str = ""
    input_schema: Mapping[str, Any] = field(default_factory=dict)
    #: The ``annotations`` object as listed (hints and ``title``), or None.
    annotations: Mapping[str, Any] | None = None

    @classmethod
    def from_wire(cls, tool: Mapping[str, Any]) -> ListedTool:
        """From one entry of a ``tools/list`` result; :class:`InvalidInput` if it is not
        shaped like a tool."""
        name = tool.get("name")
        description = tool.get("description")
        schema = tool.get("inputSchema")
        annotations = tool.get("annotations")
        if not isinstance(name, str) or not name:
            raise InvalidInput("a listed tool has no name", code="invalid_mcp_tool")
        if description is not None and not isinstance(description, str):
            raise InvalidInput(f"tool {name!r}: description is not text", code="invalid_mcp_tool")
        if not isinstance(schema, dict):
            raise InvalidInput(
                f"tool {name!r}: inputSchema is not an object", code="invalid_mcp_tool"
            )
        if annotations is not None and not isinstance(annotations, dict):
            raise InvalidInput(
                f"tool {name!r}: annotations is not an object", code="invalid_mcp_tool"
            )
        return cls(name, description or "", schema, annotations)

    def to_wire(self) -> dict[str, Any]:
        """The fields the pin covers, in wire spelling (what the proxy shows the agent)."""
        body: dict[str, Any] = {
            "description": self.description,
            "inputSchema": dict(self.input_schema),
        }
        body["annotations"] = dict(self.annotations) if self.annotations is not None else None
        return body

    @property
    def hints(self) -> dict[str, bool]:
        """The declared hints that are booleans; anything else a server puts there is
        ignored (and still covered by the pin)."""
        declared = self.annotations or {}
        return {key: value for key in HINT_KEYS if isinstance(value := declared.get(key), bool)}

    @property
    def pin(self) -> str:
        """SHA-256 (hex) over the RFC 8785 form of description, input schema, annotations."""
        return pin_of(self.to_wire())


def pin_of(definition: Mapping[str, Any]) -> str:
    """The pin of a definition as :meth:`ListedTool.to_wire` shapes it."""
    body = {
        "description": definition.get("description") or "",
        "inputSchema": definition.get("inputSchema") or {},
        "annotations": definition.get("annotations"),
    }
    try:
        text = canonical_json(body)
    except InvalidInput:
        # RFC 8785 has no form for integers past 2**53; a server may still list one.
        # Sorted, compact JSON is as stable for those.
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
