"""Agents, tools and resources: stored in the database, served from a snapshot."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar

import sqlalchemy as sa
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry
from sqlalchemy.engine import Connection

from proctor.errors import InvalidInput, NotFound
from proctor.inventory._snapshot import InventorySnapshot
from proctor.inventory._tables import agents, resources, tools
from proctor.inventory._validate import check_agent_id, check_resource_id, check_tool
from proctor.model import (
    ActionClass,
    Agent,
    AgentStatus,
    Audience,
    Label,
    PermissionArguments,
    Resource,
    Tool,
)
from proctor.store import ChangeWatch, Database, read_version, utcnow

_VERSION_KEY = "inventory"
T = TypeVar("T")

#: The public keys an agent may register, by key type: its curve, and the JWS
#: algorithms its assertions may use (an ``alg`` member must name one of them).
_KEY_TYPES: dict[str, tuple[str, frozenset[str]]] = {
    "OKP": ("Ed25519", frozenset({"EdDSA", "Ed25519"})),
    "EC": ("P-256", frozenset({"ES256"})),
}
#: Members that only a private (or symmetric) JWK has, whatever its key type.
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_MAX_MEMBER_CHARS = 200


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
        return self._snapshot

    # -- agents ---------------------------------------------------------------

    def put_agent(self, agent: Agent) -> Change:
        """Register or replace an agent; its public key, if any, must be a valid public JWK.

        The put is the whole agent: an agent put without a public key no longer has one.
        """
        check_agent_id(agent.id)
        for group in agent.groups:
            check_agent_id(group, "agent group")
        public_key = None if agent.public_key is None else check_public_key(agent.public_key)
        values = {
            "name": agent.name,
            "owner": agent.owner,
            "purpose": agent.purpose,
            "status": agent.status.value,
            "groups": sorted(agent.groups),
            "public_key": public_key,
        }
        return self._upsert(agents, agents.c.id, agent.id, values)

    def set_agent_status(self, agent_id: str, status: AgentStatus) -> Agent:
        agent = self.get_agent(agent_id)
        self._upsert(agents, agents.c.id, agent_id, {"status": status.value})
        return dataclasses.replace(agent, status=status)

    def get_agent(self, agent_id: str) -> Agent:
        return _found(self.snapshot.agents.get(agent_id), f"agent {agent_id!r}")

    def list_agents(self) -> list[Agent]:
        return sorted(self.snapshot.agents.values(), key=lambda a: a.id)

    # -- tools ----------------------------------------------------------------

    def put_tool(self, tool: Tool) -> Change:
        check_tool(tool)
        arguments = tool.permission_arguments
        values = {
            "description": tool.description,
            "action_class": tool.action_class.value,
            "label": tool.label.value,
            "audience": tool.audience.value if tool.audience else None,
            "annotations": dict(tool.annotations),
            "untrusted_output": tool.untrusted_output,
            "targets": list(tool.targets),
            "permission_arguments": (
                {"grantee": arguments.grantee, "level": arguments.level} if arguments else None
            ),
            "review": tool.review,
            "policy_arguments": dict(tool.policy_arguments),
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
            return InventorySnapshot.of(
                version,
                _rows(connection, agents, _agent_from_row, "id"),
                _rows(connection, tools, _tool_from_row, "name"),
                _rows(connection, resources, _resource_from_row, "id"),
            )


def _rows(
    connection: Connection, table: sa.Table, convert: Callable[[Any], T], key: str
) -> dict[str, T]:
    return {row[key]: convert(row) for row in connection.execute(sa.select(table)).mappings()}


def _agent_from_row(row: Any) -> Agent:
    public_key = row["public_key"]
    return Agent(
        id=row["id"],
        name=row["name"],
        owner=row["owner"],
        purpose=row["purpose"],
        status=AgentStatus(row["status"]),
        groups=tuple(row["groups"]),
        # Read-only: the snapshot is shared by every thread.
        public_key=MappingProxyType(dict(public_key)) if public_key is not None else None,
    )


def check_public_key(jwk: Mapping[str, Any]) -> dict[str, str]:
    """``jwk`` as stored, if it is a public OKP/Ed25519 or EC/P-256 key a JWS can verify with.

    A private key is refused (``private_key_not_accepted``): Proctor never holds an
    agent's private key. Any other key type or curve is ``unsupported_public_key``; a
    key that does not parse, or carries members Proctor does not use, is
    ``invalid_public_key``.
    """
    if not isinstance(jwk, Mapping):
        raise _bad_key("invalid_public_key", "a public key is a JWK: a JSON object")
    if _PRIVATE_MEMBERS & set(jwk):
        raise _bad_key(
            "private_key_not_accepted",
            "this JWK holds a private key; Proctor never holds agent private keys: "
            "register only the public members (kty, crv, x, and y for EC) and, since "
            "this private key has left the agent, replace it",
        )
    kty, crv = jwk.get("kty"), jwk.get("crv")
    expected = _KEY_TYPES.get(kty) if isinstance(kty, str) else None
    if expected is None or crv != expected[0]:
        raise _bad_key(
            "unsupported_public_key",
            f"public keys are OKP/Ed25519 or EC/P-256; this one is {kty!r}/{crv!r}",
        )
    allowed = {"kty", "crv", "x", "kid", "use", "alg"} | ({"y"} if kty == "EC" else set())
    unknown = sorted(str(name) for name in set(jwk) - allowed)
    if unknown:
        raise _bad_key("invalid_public_key", f"JWK members not accepted: {', '.join(unknown)}")
    for name, value in jwk.items():
        if not isinstance(value, str) or not value or len(value) > _MAX_MEMBER_CHARS:
            raise _bad_key("invalid_public_key", f"JWK member {name!r} must be a short string")
    if jwk.get("use", "sig") != "sig":
        raise _bad_key("invalid_public_key", "the key's use must be 'sig' (it verifies signatures)")
    algorithms = expected[1]
    if "alg" in jwk and jwk["alg"] not in algorithms:
        names = " or ".join(sorted(algorithms))
        raise _bad_key("invalid_public_key", f"the alg of a {crv} key is {names}")
    try:
        JWKRegistry.import_key(dict(jwk))
    except (JoseError, ValueError, TypeError) as exc:
        raise _bad_key(
            "invalid_public_key",
            f"not a valid {kty}/{crv} public key: the coordinates must be unpadded "
            "base64url of a point on the curve",
        ) from exc
    return dict(jwk)


def _bad_key(code: str, message: str) -> InvalidInput:
    return InvalidInput(message, code=code)


def _tool_from_row(row: Any) -> Tool:
    arguments = row["permission_arguments"]
    return Tool(
        name=row["name"],
        description=row["description"],
        action_class=ActionClass(row["action_class"]),
        label=Label(row["label"]),
        audience=Audience(row["audience"]) if row["audience"] else None,
        annotations=tuple(sorted((str(k), bool(v)) for k, v in row["annotations"].items())),
        untrusted_output=bool(row["untrusted_output"]),
        targets=tuple(row["targets"]),
        permission_arguments=(
            PermissionArguments(arguments["grantee"], arguments.get("level")) if arguments else None
        ),
        review=row["review"],
        policy_arguments=tuple(sorted(row["policy_arguments"].items())),
    )


def _resource_from_row(row: Any) -> Resource:
    return Resource(
        id=row["id"], owner=row["owner"], label=Label(row["label"]), description=row["description"]
    )


def _found(value: T | None, what: str) -> T:
    if value is None:
        raise NotFound(f"{what} is not in the inventory")
    return value
