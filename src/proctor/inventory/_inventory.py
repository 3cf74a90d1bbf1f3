"""Agents, tools and resources: stored in the database, served from a snapshot."""

from __future__ import annotations

import threading
from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from proctor.errors import NotFound
from proctor.inventory._snapshot import InventorySnapshot
from proctor.inventory._tables import agents, resources, tools
from proctor.inventory._validate import check_agent_id, check_resource_id, check_tool_name
from proctor.model import ActionClass, Agent, AgentStatus, Audience, Label, Resource, Tool
from proctor.store import ChangeWatch, Database, read_version, utcnow

_VERSION_KEY = "inventory"
T = TypeVar("T")


class Change(StrEnum):
    """What an upsert did, as ``proctor apply`` reports it."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class Inventory:
    """The register of agents, tools and resources.

    Writes go to the store; reads on the hot path come from :attr:`snapshot`, which is
    rebuilt after local writes and, at most every ``poll_interval_s``, when another
    process has changed the store.
    """

    def __init__(self, database: Database, *, poll_interval_s: float = 1.0):
        self._db = database
        self._watch = ChangeWatch(database, _VERSION_KEY, poll_interval_s)
        self._lock = threading.Lock()
        self._snapshot = self._load()

    @property
    def snapshot(self) -> InventorySnapshot:
        """The current view; cheap to call on every check."""
        if self._watch.moved_since(self._snapshot.version):
            self.refresh()
        return self._snapshot

    def refresh(self) -> InventorySnapshot:
        with self._lock:
            self._snapshot = self._load()
            self._watch.refreshed()
        return self._snapshot

    # -- agents ---------------------------------------------------------------

    def put_agent(self, agent: Agent) -> Change:
        check_agent_id(agent.id)
        for group in agent.groups:
            check_agent_id(group, "agent group")
        values = {
            "name": agent.name,
            "owner": agent.owner,
            "purpose": agent.purpose,
            "status": agent.status.value,
            "groups": sorted(agent.groups),
        }
        return self._upsert(agents, agents.c.id, agent.id, values)

    def set_agent_status(self, agent_id: str, status: AgentStatus) -> Agent:
        agent = self.get_agent(agent_id)
        self._upsert(agents, agents.c.id, agent_id, {"status": status.value})
        return Agent(
            id=agent.id,
            name=agent.name,
            owner=agent.owner,
            purpose=agent.purpose,
            status=status,
            groups=agent.groups,
        )

    def get_agent(self, agent_id: str) -> Agent:
        return _found(self.snapshot.agents.get(agent_id), f"agent {agent_id!r}")

    def list_agents(self) -> list[Agent]:
        return sorted(self.snapshot.agents.values(), key=lambda a: a.id)

    # -- tools ----------------------------------------------------------------

    def put_tool(self, tool: Tool) -> Change:
        check_tool_name(tool.name)
        values = {
            "description": tool.description,
            "action_class": tool.action_class.value,
            "label": tool.label.value,
            "audience": tool.audience.value if tool.audience else None,
        }
        return self._upsert(tools, tools.c.name, tool.name, values)

    def get_tool(self, name: str) -> Tool:
        return _found(self.snapshot.tools.get(name), f"tool {name!r}")

    def list_tools(self) -> list[Tool]:
        return sorted(self.snapshot.tools.values(), key=lambda t: t.name)

    # -- resources ------------------------------------------------------------

    def put_resource(self, resource: Resource) -> Change:
        check_resource_id(resource.id)
        check_agent_id(resource.owner, "resource owner")
        values = {
            "owner": resource.owner,
            "label": resource.label.value,
            "description": resource.description,
        }
        return self._upsert(resources, resources.c.id, resource.id, values)

    def get_resource(self, resource_id: str) -> Resource:
        return _found(self.snapshot.resources.get(resource_id), f"resource {resource_id!r}")

    def list_resources(self) -> list[Resource]:
        return sorted(self.snapshot.resources.values(), key=lambda r: r.id)

    # -- internals ------------------------------------------------------------

    def _upsert(
        self, table: sa.Table, key: sa.Column[Any], key_value: str, values: dict[str, Any]
    ) -> Change:
        now = utcnow()
        with self._db.begin() as connection:
            row = connection.execute(sa.select(table).where(key == key_value)).mappings().first()
            if row is None:
                connection.execute(
                    sa.insert(table).values(
                        {key.name: key_value, **values, "created_at": now, "updated_at": now}
                    )
                )
                change = Change.CREATED
            elif all(row[name] == value for name, value in values.items()):
                return Change.UNCHANGED
            else:
                connection.execute(
                    sa.update(table).where(key == key_value).values(**values, updated_at=now)
                )
                change = Change.UPDATED
            self._db.bump_version(connection, _VERSION_KEY)
        self.refresh()
        return change

    def _load(self) -> InventorySnapshot:
        with self._db.connect() as connection:
            version = read_version(connection, _VERSION_KEY)
            return InventorySnapshot(
                version=version,
                agents=_rows(connection, agents, _agent_from_row, "id"),
                tools=_rows(connection, tools, _tool_from_row, "name"),
                resources=_rows(connection, resources, _resource_from_row, "id"),
            )


def _rows(
    connection: Connection, table: sa.Table, convert: Callable[[Any], T], key: str
) -> dict[str, T]:
    return {row[key]: convert(row) for row in connection.execute(sa.select(table)).mappings()}


def _agent_from_row(row: Any) -> Agent:
    return Agent(
        id=row["id"],
        name=row["name"],
        owner=row["owner"],
        purpose=row["purpose"],
        status=AgentStatus(row["status"]),
        groups=tuple(row["groups"]),
    )


def _tool_from_row(row: Any) -> Tool:
    return Tool(
        name=row["name"],
        description=row["description"],
        action_class=ActionClass(row["action_class"]),
        label=Label(row["label"]),
        audience=Audience(row["audience"]) if row["audience"] else None,
    )


def _resource_from_row(row: Any) -> Resource:
    return Resource(
        id=row["id"], owner=row["owner"], label=Label(row["label"]), description=row["description"]
    )


def _found(value: T | None, what: str) -> T:
    if value is None:
        raise NotFound(f"{what} is not in the inventory")
    return value
