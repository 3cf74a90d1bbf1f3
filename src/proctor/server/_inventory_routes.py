"""The inventory over HTTP: agents, tools, resources and the tasks given to agents."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from proctor.directory import TargetKind, grants_from
from proctor.errors import Forbidden, InvalidInput
from proctor.model import Resource
from proctor.people import Role
from proctor.server._context import (
    Actor,
    Context,
    CurrentPrincipal,
    Principal,
    ServerContext,
    require_admin,
    require_role,
)
from proctor.server._errors import ERROR_RESPONSES
from proctor.wire import (
    AgentIn,
    AgentOut,
    AgentStatusIn,
    CredentialOut,
    Id,
    Put,
    ResourceIn,
    ResourceOut,
    ShadowAgentOut,
    TaskIn,
    TaskOut,
    ToolIn,
    ToolOut,
    WireIn,
    credential_to_wire,
)

router = APIRouter(prefix="/v1", dependencies=[require_admin], responses=ERROR_RESPONSES)


# -- agents ---------------------------------------------------------------------------


@router.get("/agents", tags=["inventory"])
def list_agents(context: Context) -> list[AgentOut]:
    """Every registered agent, by id."""
    return [AgentOut.from_model(agent) for agent in context.runtime.inventory.list_agents()]


@router.get("/shadow-agents", tags=["inventory"])
def list_shadow_agents(context: Context) -> list[ShadowAgentOut]:
    """Unregistered agents that tried to act (all denied), most recently seen first."""
    return [
        ShadowAgentOut.model_validate(shadow, from_attributes=True)
        for shadow in context.runtime.shadow_agents.list()
    ]


@router.post("/agents", tags=["inventory"])
def put_agent(body: AgentIn, context: Context, actor: Actor) -> Put[AgentOut]:
    """Register an agent or update it; says whether anything changed."""
    agent = body.to_model()
    change = context.admin.put_agent(agent, actor=actor)
    return Put(change=change.value, item=AgentOut.from_model(agent))


@router.get("/agents/{agent_id}", tags=["inventory"])
def get_agent(agent_id: str, context: Context) -> AgentOut:
    return AgentOut.from_model(context.runtime.inventory.get_agent(agent_id))


@router.post("/agents/{agent_id}/status", tags=["inventory"])
def set_agent_status(
    agent_id: str, body: AgentStatusIn, context: Context, actor: Actor
) -> AgentOut:
    """Suspend, retire or reactivate an agent; takes effect on its next check."""
    agent = context.admin.set_agent_status(agent_id, body.status, actor=actor, reason=body.reason)
    return AgentOut.from_model(agent)


# -- tools ----------------------------------------------------------------------------


@router.get("/tools", tags=["inventory"])
def list_tools(context: Context) -> list[ToolOut]:
    return [ToolOut.from_model(tool) for tool in context.runtime.inventory.list_tools()]


@router.post("/tools", tags=["inventory"])
def put_tool(body: ToolIn, context: Context, actor: Actor) -> Put[ToolOut]:
    """Register a tool (its action class, label and audience) or update it."""
    tool = body.to_model()
    change = context.admin.put_tool(tool, actor=actor)
    return Put(change=change.value, item=ToolOut.from_model(tool))


# Tool names may contain "/" (an MCP server prefix), hence the path converter.
@router.get("/tools/{name:path}", tags=["inventory"])
def get_tool(name: str, context: Context) -> ToolOut:
    return ToolOut.from_model(context.runtime.inventory.get_tool(name))


# -- resources ------------------------------------------------------------------------


@router.get("/resources", tags=["inventory"])
def list_resources(context: Context) -> list[ResourceOut]:
    resources = context.runtime.inventory.list_resources()
    return [_resource_out(context, resource) for resource in resources]


@router.post("/resources", tags=["inventory"])
def put_resource(body: ResourceIn, context: Context, actor: Actor) -> Put[ResourceOut]:
    """Register a resource (its owner and label) or update it; ``access``, when given,
    replaces its own access list."""
    resource = body.to_model()
    access = grants_from(body.access) if body.access is not None else None
    change = context.admin.put_resource(resource, actor=actor, access=access)
    return Put(change=change.value, item=_resource_out(context, resource))


@router.get("/resources/{resource_id:path}", tags=["inventory"])
def get_resource(resource_id: str, context: Context) -> ResourceOut:
    return _resource_out(context, context.runtime.inventory.get_resource(resource_id))


def _resource_out(context: ServerContext, resource: Resource) -> ResourceOut:
    """The resource with its own access list (None when it has none)."""
    grants = context.runtime.directory.index.grants_of(TargetKind.RESOURCE, resource.id)
    access = {grant.subject: grant.level for grant in grants} if grants is not None else None
    return ResourceOut.from_model(resource, access)


# -- tasks ----------------------------------------------------------------------------

#: Tasks are not admin-only: people launch them (see docs/people.md).
tasks_router = APIRouter(prefix="/v1", tags=["tasks"], responses=ERROR_RESPONSES)
_any_role = [require_role(*Role)]


class TaskTokenIn(WireIn):
    """How long a fresh task token lives (default: the configured token lifetime)."""

    ttl_seconds: int | None = Field(default=None, ge=1, le=86_400)


@tasks_router.get("/tasks", dependencies=_any_role)
def list_tasks(
    context: Context,
    agent_id: Annotated[Id | None, Query(description="Only this agent's tasks")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[TaskOut]:
    """The newest tasks first."""
    tasks = context.runtime.tasks.list(agent_id=agent_id, limit=limit)
    return [TaskOut.from_model(task) for task in tasks]


@tasks_router.post("/tasks", status_code=status.HTTP_201_CREATED)
def create_task(
    body: TaskIn, context: Context, principal: CurrentPrincipal, response: Response
) -> TaskOut:
    """Give an agent a task, and get the token to hand to it (the launcher path).

    A person creates tasks for themselves, or, as a launcher or admin, for another
    requester; an admin key must name the requester.
    """
    task = context.admin.create_task(
        agent_id=body.agent_id,
        requester=_requester(principal, body.requester),
        purpose=body.purpose,
        capabilities=body.capabilities(),
        deliverable=body.deliverable.to_model() if body.deliverable else None,
        ttl=body.ttl(),
        actor=principal.actor,
    )
    issued = context.admin.issue_task_token(task.id, actor=principal.actor)
    response.headers["Cache-Control"] = "no-store"
    return TaskOut.from_model(task).model_copy(update={"credential": credential_to_wire(issued)})


@tasks_router.get("/tasks/{task_id}", dependencies=_any_role)
def get_task(task_id: str, context: Context) -> TaskOut:
    return TaskOut.from_model(context.runtime.tasks.get(task_id))


@tasks_router.post("/tasks/{task_id}/token")
def issue_task_token(
    task_id: str,
    context: Context,
    principal: CurrentPrincipal,
    response: Response,
    body: TaskTokenIn | None = None,
) -> CredentialOut:
    """A fresh token for an existing task, e.g. when the last one expired.

    For the task's requester, a launcher or an admin; the token never outlives the task.
    """
    task = context.runtime.tasks.get(task_id)
    is_requester = principal.kind == "person" and principal.id == task.requester
    if not is_requester and not principal.has_any(Role.ADMIN, Role.LAUNCHER):
        raise Forbidden(
            f"only the task's requester ({task.requester}), a launcher or an admin may get "
            f"a token for task {task.id}",
            code="not_task_requester",
        )
    ttl = timedelta(seconds=body.ttl_seconds) if body and body.ttl_seconds else None
    issued = context.admin.issue_task_token(task.id, actor=principal.actor, ttl=ttl)
    response.headers["Cache-Control"] = "no-store"
    return credential_to_wire(issued)


def _requester(principal: Principal, named: str | None) -> str:
    """Whom the task is for: the calling person unless they may, and do, name another."""
    if principal.kind == "admin_key":
        if named is None:
            raise InvalidInput(
                "an admin key acts for no one: name the task's requester ('requester')",
                code="requester_required",
                http_status=400,
            )
        return named
    if named is None or named == principal.id:
        return principal.id
    if not principal.has_any(Role.LAUNCHER, Role.ADMIN):
        raise Forbidden(
            f"{principal.actor} may create tasks only for themselves; naming another "
            f"requester ({named}) needs the role 'launcher' or 'admin'",
            code="requester_not_self",
        )
    return named
