"""Tools discovered, not trusted: registering what an upstream MCP server lists, pinning
it, and holding a tool whose definition changed until an admin accepts the change.

- **First sight.** A tool the inventory does not know is registered: its action class
  follows from its annotations by the documented rule; a tool that declares no hints
  gets what the ``unannotated`` setting says (by default: registered under review, so
  every call waits for an admin). A tool an admin registered already keeps its entry.
  Either way its definition is pinned.
- **Same pin.** Nothing happens (one query per listing).
- **Changed pin** (a "rug pull"): the tool is put under review (every call held for an
  admin), an alert is raised, and the agent keeps seeing the *accepted* definition:
  the new description may itself be the attack (instructions aimed at the model).
  Only :meth:`McpCatalog.accept`, an admin's audited act, ends the hold.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from proctor.admin import Admin
from proctor.errors import Conflict, InvalidInput
from proctor.integrations.mcp._listed import (
    ListedTool,
    Unannotated,
    UnannotatedRule,
    check_server_name,
    inventory_name,
)
from proctor.integrations.mcp._pins import ToolPin, ToolPins
from proctor.inventory import (
    action_class_from_annotations,
    check_annotations,
    untrusted_from_annotations,
)
from proctor.model import Tool
from proctor.runtime import Runtime

log = logging.getLogger("proctor.integrations.mcp")

_MAX_DESCRIPTION = 4096
_MAX_REASON = 2000
_MAX_REVIEW = 500


class ToolStatus(StrEnum):
    """Where a listed tool stands after the proxy saw the listing."""

    #: First sight: registered in the inventory and pinned.
    REGISTERED = "registered"
    #: First sight of a tool an admin had registered: pinned, entry untouched.
    PINNED = "pinned"
    #: Listed as accepted.
    KNOWN = "known"
    #: Listed differently from what was accepted: held, shown as accepted.
    CHANGED = "changed"
    #: Not in the inventory (unannotated under ``deny``, or a name the inventory
    #: cannot hold): every call is denied, and the proxy hides it.
    NOT_REGISTERED = "not_registered"


@dataclass(frozen=True, slots=True)
class ToolView:
    """One listed tool: its inventory name, where it stands, and what the agent sees."""

    name: str
    inventory_name: str | None
    status: ToolStatus
    #: ``description``, ``inputSchema``, ``annotations`` to show the agent.
    definition: Mapping[str, Any]


class McpCatalog:
    """Registers and pins upstream tools; holds and alerts on changes; accepts them."""

    def __init__(self, admin: Admin):
        self.admin = admin
        self.runtime: Runtime = admin.runtime
        self.pins = ToolPins(self.runtime.database)

    def observe(
        self,
        server: str,
        listed: Sequence[ListedTool],
        unannotated: UnannotatedRule = Unannotated.REQUIRE_APPROVAL,
        *,
        actor: str,
    ) -> list[ToolView]:
        """What to show the agent for each tool of one ``tools/list`` answer, after
        registering first-seen tools and holding changed ones."""
        check_server_name(server)
        pins = self.pins.for_server(server)
        return [
            self._observe_one(server, tool, pins.get(tool.name), unannotated, actor)
            for tool in listed
        ]

    def _observe_one(
        self,
        server: str,
        listed: ListedTool,
        pin: ToolPin | None,
        unannotated: UnannotatedRule,
        actor: str,
    ) -> ToolView:
        name = inventory_name(server, listed.name)
        if name is None:
            return ToolView(listed.name, None, ToolStatus.NOT_REGISTERED, listed.to_wire())
        if pin is None:
            status = self._first_sight(server, listed, name, unannotated, actor)
            if status is not None:
                return ToolView(listed.name, name, status, listed.to_wire())
            # Another proxy pinned it a moment ago: judge against that pin.
            pin = self.pins.get(server, listed.name)
        if pin.pin == listed.pin and not pin.changed:
            return ToolView(listed.name, name, ToolStatus.KNOWN, listed.to_wire())
        if pin.pin != listed.pin and self.pins.note_change(server, listed):
            self._hold(pin, listed, actor)
        # Held until an admin accepts, even if the server went back to the accepted form.
        return ToolView(listed.name, pin.inventory_name, ToolStatus.CHANGED, pin.definition)

    def _first_sight(
        self, server: str, listed: ListedTool, name: str, rule: UnannotatedRule, actor: str
    ) -> ToolStatus | None:
        """Register (unless an admin already did) and pin; None if pinned meanwhile."""
        registered = False
        if name not in self.runtime.inventory.snapshot.tools:
            tool = tool_entry(server, listed, name, rule)
            if tool is None:
                return ToolStatus.NOT_REGISTERED
            self.admin.put_tool(tool, actor=actor)
            registered = True
        if not self.pins.pin_first_sight(server, listed, name, registered=registered, actor=actor):
            return None
        return ToolStatus.REGISTERED if registered else ToolStatus.PINNED

    def _hold(self, pin: ToolPin, listed: ListedTool, actor: str) -> None:
        changed = changed_fields(pin.definition, listed.to_wire())
        what = " and ".join(changed)
        review = (
            f"MCP server {pin.server} changed the {what} of {pin.tool} since it was accepted; "
            f"an admin must accept it (proctor mcp accept {pin.server} {pin.tool} --reason ...)"
        )
        tool = self.runtime.inventory.snapshot.tools.get(pin.inventory_name)
        if tool is not None:
            self.admin.put_tool(replace(tool, review=_cut(review, _MAX_REVIEW)), actor=actor)
        raise_alert(
            self.runtime,
            "mcp.tool_changed",
            {
                "server": pin.server,
                "tool": pin.tool,
                "inventory_name": pin.inventory_name,
                "changed": list(changed),
                "accepted_pin": pin.pin,
                "listed_pin": listed.pin,
                "seen_by": actor,
            },
        )

    def accept(self, server: str, tool: str, *, actor: str, reason: str) -> ToolPin:
        """An admin accepts a tool: its changed definition becomes the pinned one and the
        review hold is lifted (also for an unannotated tool held on first sight)."""
        reason = reason.strip()
        if not 0 < len(reason) <= _MAX_REASON:
            raise InvalidInput(
                f"say why you accept it: a reason of 1 to {_MAX_REASON} characters",
                code="invalid_reason",
            )
        pin = self.pins.get(server, tool)
        entry = self.runtime.inventory.snapshot.tools.get(pin.inventory_name)
        if not pin.changed and (entry is None or entry.review is None):
            raise Conflict(
                f"tool {tool} of MCP server {server} is not waiting for anyone: nothing to accept",
                code="nothing_to_accept",
            )
        accepted = self.pins.accept(server, tool, actor=actor)
        if entry is not None:
            self.admin.put_tool(_accepted_entry(entry, pin, accepted), actor=actor)
        self.runtime.audit.append(
            "mcp",
            {
                "action": "mcp.tool_accepted",
                "actor": actor,
                "server": server,
                "tool": tool,
                "inventory_name": pin.inventory_name,
                "reason": reason,
                "pin": accepted.pin,
                "previous_pin": pin.pin,
            },
        )
        return accepted


def tool_entry(server: str, listed: ListedTool, name: str, rule: UnannotatedRule) -> Tool | None:
    """The inventory entry for a first-seen tool; None when ``rule`` says not to register."""
    hints = listed.hints
    review = None
    if hints:
        action = action_class_from_annotations(hints)
        untrusted = untrusted_from_annotations(hints)
    elif rule is Unannotated.DENY:
        return None
    else:
        # No hints: the specification's defaults (destructive, open world) until an
        # admin says otherwise.
        untrusted = untrusted_from_annotations({})
        if rule is Unannotated.REQUIRE_APPROVAL:
            action = action_class_from_annotations({})
            review = (
                f"unannotated MCP tool: server {server} declared no hints for {listed.name}; "
                f"an admin must accept it (proctor mcp accept {server} {listed.name} --reason ...)"
            )
        else:
            action = rule
    return Tool(
        name=name,
        action_class=action,
        description=_cut(listed.description),
        annotations=check_annotations(hints),
        untrusted_output=untrusted,
        review=_cut(review, _MAX_REVIEW) if review else None,
    )


def _accepted_entry(entry: Tool, before: ToolPin, after: ToolPin) -> Tool:
    if not before.changed:
        return replace(entry, review=None)
    listed = ListedTool.from_wire({"name": after.tool, **after.definition})
    if not before.registered:
        # An admin's own entry keeps its class; only the description follows the server.
        return replace(entry, review=None, description=_cut(listed.description))
    hints = listed.hints
    return replace(
        entry,
        review=None,
        description=_cut(listed.description),
        action_class=action_class_from_annotations(hints),
        annotations=check_annotations(hints),
        untrusted_output=untrusted_from_annotations(hints),
    )


def changed_fields(accepted: Mapping[str, Any], listed: Mapping[str, Any]) -> tuple[str, ...]:
    """Which of description, input schema and annotations differ."""
    fields = (
        ("description", "description"),
        ("inputSchema", "input schema"),
        ("annotations", "annotations"),
    )
    changed = tuple(words for key, words in fields if accepted.get(key) != listed.get(key))
    return changed or ("definition",)


def raise_alert(runtime: Runtime, alert: str, details: Mapping[str, Any]) -> None:
    """Raise an alert: an audit entry of kind ``alert`` (and a warning in the log).

    Every alert the MCP integration raises goes through here, so routing alerts to
    people (notifications) is one change in one place.
    """
    log.warning("alert %s: %s", alert, dict(details))
    runtime.audit.append("alert", {"alert": alert, **details})


def _cut(text: str, limit: int = _MAX_DESCRIPTION) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
