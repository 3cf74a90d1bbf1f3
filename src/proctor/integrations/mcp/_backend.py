"""Where the proxy's gateway is: in this process (a data directory) or over HTTP.

The proxy needs three things from Proctor: a :class:`~proctor.sdk.Checker` for calls,
the catalog (register and pin what the upstream lists), and visibility (which tools
the agent may not even see). :class:`LocalBackend` acts on a data directory the way
local CLI commands do; :class:`RemoteBackend` talks to ``proctor serve`` with the
agent's task token for calls and visibility, and an admin (or admin-role personal)
key for the catalog, a key the agent never sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from proctor.admin import Admin
from proctor.gateway import Gateway, Visibility
from proctor.integrations.mcp._catalog import McpCatalog, ToolStatus, ToolView
from proctor.integrations.mcp._listed import ListedTool, UnannotatedRule
from proctor.sdk import Checker, Client
from proctor.wire import McpToolIn


class Backend(Protocol):
    """What the proxy asks of Proctor."""

    @property
    def checker(self) -> Checker: ...

    @property
    def inline(self) -> bool:
        """Calls are cheap and local (no network): the proxy may make them on its event
        loop rather than hop to a worker thread."""
        ...

    def observe(
        self, server: str, listed: Sequence[ListedTool], unannotated: UnannotatedRule
    ) -> list[ToolView]:
        """Register and pin a listing; what to show the agent for each tool."""
        ...

    def visibility(self, token: str, names: Sequence[str]) -> Visibility:
        """The token's agent and task, and which of ``names`` are hidden from it."""
        ...


class LocalBackend:
    """The gateway in this process, on a data directory."""

    inline = True

    def __init__(self, gateway: Gateway):
        self.gateway = gateway
        self.catalog = McpCatalog(Admin(gateway))

    @property
    def checker(self) -> Checker:
        return self.gateway

    def observe(
        self, server: str, listed: Sequence[ListedTool], unannotated: UnannotatedRule
    ) -> list[ToolView]:
        return self.catalog.observe(server, listed, unannotated, actor=f"mcp-proxy:{server}")

    def visibility(self, token: str, names: Sequence[str]) -> Visibility:
        return self.gateway.visibility(token, names)


class RemoteBackend:
    """A gateway behind ``proctor serve``; ``client`` carries the admin key for the catalog."""

    inline = False

    def __init__(self, client: Client):
        self.client = client

    @property
    def checker(self) -> Checker:
        return self.client

    def observe(
        self, server: str, listed: Sequence[ListedTool], unannotated: UnannotatedRule
    ) -> list[ToolView]:
        tools = [
            McpToolIn(
                name=tool.name,
                description=tool.description,
                input_schema=dict(tool.input_schema),
                annotations=dict(tool.annotations) if tool.annotations is not None else None,
            )
            for tool in listed
        ]
        answer = self.client.observe_mcp_tools(server, tools, unannotated.value)
        return [
            ToolView(view.name, view.inventory_name, ToolStatus(view.status), view.definition)
            for view in answer.tools
        ]

    def visibility(self, token: str, names: Sequence[str]) -> Visibility:
        return self.client.visibility(token, names)
