"""The MCP proxy's routes: the catalog of upstream MCP tools (admin) and which tools an
agent may see (its task token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from proctor.errors import Unauthorized
from proctor.integrations.mcp import ListedTool, McpCatalog, ToolPin, parse_unannotated
from proctor.server._context import Actor, Context, require_admin
from proctor.server._errors import ERROR_RESPONSES
from proctor.wire import (
    McpAcceptIn,
    McpPinOut,
    McpToolsIn,
    McpToolsOut,
    McpToolViewOut,
    VisibilityIn,
    VisibilityOut,
)

router = APIRouter(
    prefix="/v1/mcp", tags=["mcp"], dependencies=[require_admin], responses=ERROR_RESPONSES
)
agent_router = APIRouter(prefix="/v1/mcp", tags=["mcp"], responses=ERROR_RESPONSES)

_task_token = HTTPBearer(
    auto_error=False,
    scheme_name="TaskToken",
    description="The agent's task token: `Authorization: Bearer <JWT issued by Proctor>`",
)


def _token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_task_token)],
) -> str:
    if credentials is None:
        raise Unauthorized(
            "this route needs the agent's task token: send 'Authorization: Bearer <token>'",
            code="missing_token",
        )
    return credentials.credentials


@router.post("/servers/{server}/tools")
def observe_tools(server: str, body: McpToolsIn, context: Context, actor: Actor) -> McpToolsOut:
    """Register and pin what an upstream MCP server lists; say what to show the agent.

    First-seen tools are registered (unless already in the inventory) and pinned; a
    tool whose description, schema or annotations changed is held for an admin, an
    alert is raised, and the accepted definition is what the agent keeps seeing.
    """
    listed = [
        ListedTool(tool.name, tool.description, tool.input_schema, tool.annotations)
        for tool in body.tools
    ]
    catalog = McpCatalog(context.admin)
    views = catalog.observe(server, listed, parse_unannotated(body.unannotated), actor=actor)
    return McpToolsOut(
        tools=[
            McpToolViewOut(
                name=view.name,
                inventory_name=view.inventory_name,
                status=view.status.value,
                definition=dict(view.definition),
            )
            for view in views
        ]
    )


@router.get("/servers/{server}/tools")
def list_pins(server: str, context: Context) -> list[McpPinOut]:
    """Every pinned tool of an upstream server, with any change waiting for an admin."""
    return [_pin_out(pin) for pin in McpCatalog(context.admin).pins.list(server)]


@router.post("/servers/{server}/tools/{tool:path}/accept")
def accept_tool(
    server: str, tool: str, body: McpAcceptIn, context: Context, actor: Actor
) -> McpPinOut:
    """Accept a changed (or unannotated) tool: pin what the server lists now and lift
    the review hold (audited as ``mcp.tool_accepted``)."""
    pin = McpCatalog(context.admin).accept(server, tool, actor=actor, reason=body.reason)
    return _pin_out(pin)


@agent_router.post("/visibility")
def visibility(
    body: VisibilityIn, context: Context, token: Annotated[str, Depends(_token)]
) -> VisibilityOut:
    """Which of these tools a policy denies the calling agent outright (nothing recorded)."""
    seen = context.gateway.visibility(token, body.tools)
    return VisibilityOut(agent_id=seen.agent_id, task_id=seen.task_id, hidden=sorted(seen.hidden))


def _pin_out(pin: ToolPin) -> McpPinOut:
    return McpPinOut(
        server=pin.server,
        tool=pin.tool,
        inventory_name=pin.inventory_name,
        pin=pin.pin,
        registered=pin.registered,
        first_seen=pin.first_seen,
        accepted_by=pin.accepted_by,
        accepted_at=pin.accepted_at,
        changed_pin=pin.changed_pin,
        changed_at=pin.changed_at,
    )
