"""``ToolPins``: the stored pin of every upstream MCP tool, and changes waiting for an admin."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from proctor.errors import NotFound
from proctor.integrations.mcp._listed import ListedTool
from proctor.integrations.mcp._tables import mcp_tool_pins
from proctor.store import Database, as_utc, utcnow


@dataclass(frozen=True, slots=True)
class ToolPin:
    """One upstream tool as Proctor knows it: the accepted definition, and a change."""

    server: str
    tool: str
    inventory_name: str
    pin: str
    #: The accepted definition (``description``, ``inputSchema``, ``annotations``).
    definition: Mapping[str, Any]
    #: The proxy registered the inventory entry (else an admin had registered it first).
    registered: bool
    first_seen: datetime
    accepted_by: str
    accepted_at: datetime
    changed_pin: str | None = None
    changed_definition: Mapping[str, Any] | None = None
    changed_at: datetime | None = None

    @property
    def changed(self) -> bool:
        """The server lists something other than what was accepted; an admin must look."""
        return self.changed_pin is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "tool": self.tool,
            "inventory_name": self.inventory_name,
            "pin": self.pin,
            "registered": self.registered,
            "first_seen": self.first_seen.isoformat(),
            "accepted_by": self.accepted_by,
            "accepted_at": self.accepted_at.isoformat(),
            "changed_pin": self.changed_pin,
            "changed_at": self.changed_at.isoformat() if self.changed_at else None,
        }


class ToolPins:
    """Reads and writes ``mcp_tool_pins``; nothing else touches the table."""

    def __init__(self, database: Database):
        self.database = database

    def for_server(self, server: str) -> dict[str, ToolPin]:
        """Every pinned tool of ``server``, by the server's tool name."""
        query = sa.select(mcp_tool_pins).where(mcp_tool_pins.c.server == server)
        with self.database.connect() as connection:
            return {row.tool: _pin(row) for row in connection.execute(query)}

    def list(self, server: str | None = None) -> list[ToolPin]:
        query = sa.select(mcp_tool_pins).order_by(mcp_tool_pins.c.server, mcp_tool_pins.c.tool)
        if server is not None:
            query = query.where(mcp_tool_pins.c.server == server)
        with self.database.connect() as connection:
            return [_pin(row) for row in connection.execute(query)]

    def get(self, server: str, tool: str) -> ToolPin:
        query = sa.select(mcp_tool_pins).where(
            mcp_tool_pins.c.server == server, mcp_tool_pins.c.tool == tool
        )
        with self.database.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            raise NotFound(
                f"MCP server {server!r} has no tool {tool!r} on record", code="unknown_mcp_tool"
            )
        return _pin(row)

    def pin_first_sight(
        self, server: str, listed: ListedTool, inventory_name: str, *, registered: bool, actor: str
    ) -> bool:
        """Pin a tool seen for the first time; False if another process pinned it first."""
        now = utcnow()
        values = {
            "server": server,
            "tool": listed.name,
            "inventory_name": inventory_name,
            "pin": listed.pin,
            "definition": listed.to_wire(),
            "registered": registered,
            "first_seen": now,
            "accepted_by": actor,
            "accepted_at": now,
        }
        try:
            with self.database.begin_raw() as connection:
                connection.execute(sa.insert(mcp_tool_pins).values(**values))
        except sa.exc.IntegrityError:
            return False
        return True

    def note_change(self, server: str, listed: ListedTool) -> bool:
        """Record that the server now lists ``listed``, which differs from the accepted
        definition; False when exactly this change was already on record."""
        pin = listed.pin
        table = mcp_tool_pins
        with self.database.begin() as connection:
            updated = connection.execute(
                sa.update(table)
                .where(
                    table.c.server == server,
                    table.c.tool == listed.name,
                    table.c.pin != pin,
                    sa.or_(table.c.changed_pin.is_(None), table.c.changed_pin != pin),
                )
                .values(changed_pin=pin, changed_definition=listed.to_wire(), changed_at=utcnow())
            )
        return updated.rowcount == 1

    def accept(self, server: str, tool: str, *, actor: str) -> ToolPin:
        """Make the changed definition (if any) the accepted one, accepted by ``actor``."""
        table = mcp_tool_pins
        where = (table.c.server == server, table.c.tool == tool)
        with self.database.begin() as connection:
            row = connection.execute(sa.select(table).where(*where)).first()
            if row is None:
                raise NotFound(
                    f"MCP server {server!r} has no tool {tool!r} on record",
                    code="unknown_mcp_tool",
                )
            values: dict[str, Any] = {"accepted_by": actor, "accepted_at": utcnow()}
            if row.changed_pin is not None:
                values |= {
                    "pin": row.changed_pin,
                    "definition": row.changed_definition,
                    "changed_pin": None,
                    "changed_definition": None,
                    "changed_at": None,
                }
            connection.execute(sa.update(table).where(*where).values(**values))
        return self.get(server, tool)


def _pin(row: Any) -> ToolPin:
    return ToolPin(
        server=row.server,
        tool=row.tool,
        inventory_name=row.inventory_name,
        pin=row.pin,
        definition=row.definition,
        registered=row.registered,
        first_seen=as_utc(row.first_seen),
        accepted_by=row.accepted_by,
        accepted_at=as_utc(row.accepted_at),
        changed_pin=row.changed_pin,
        changed_definition=row.changed_definition,
        changed_at=as_utc(row.changed_at) if row.changed_at is not None else None,
    )
