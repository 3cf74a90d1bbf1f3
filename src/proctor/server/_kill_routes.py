"""The stop controls over HTTP: the global kill switch and owner-wide suspension."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from proctor.errors import InvalidInput
from proctor.server._context import Actor, Context, require_admin
from proctor.server._errors import ERROR_RESPONSES
from proctor.wire import Id, Text, WireIn, WireOut

router = APIRouter(
    prefix="/v1", dependencies=[require_admin], responses=ERROR_RESPONSES, tags=["kill switch"]
)


class StopIn(WireIn):
    """Stop every agent (``scope: all``) or every agent of one owner (``scope: owner``)."""

    scope: Literal["all", "owner"]
    owner: Id | None = None
    reason: Text


class StopOut(WireOut):
    engaged: bool
    suspended: list[str]


class ResumeIn(WireIn):
    """Release the global kill switch (suspended agents stay suspended)."""

    reason: Text


@router.post("/kill")
def stop(body: StopIn, context: Context, actor: Actor) -> StopOut:
    """Stop agents now; effective on the next check. Audited with who and why."""
    if body.scope == "all":
        context.admin.stop_all_agents(actor=actor, reason=body.reason)
        return StopOut(engaged=True, suspended=[])
    if body.owner is None:
        raise InvalidInput("scope 'owner' needs the owner whose agents to suspend")
    suspended = context.admin.suspend_agents(owner=body.owner, actor=actor, reason=body.reason)
    return StopOut(engaged=context.runtime.kill_switch.state.engaged, suspended=suspended)


@router.post("/revive")
def resume(body: ResumeIn, context: Context, actor: Actor) -> StopOut:
    """Release the global kill switch; revive single agents with ``/v1/agents/{id}/status``."""
    context.admin.resume_all_agents(actor=actor, reason=body.reason)
    return StopOut(engaged=False, suspended=[])
