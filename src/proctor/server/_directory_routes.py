"""The directory over HTTP: people as the directory sees them, groups, access rules, and
SCIM import and export. Every route needs the role admin; every change is audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response, status

from proctor.directory import (
    Human,
    export_scim,
    import_scim,
    put_access,
    put_group,
    put_human,
    remove_group,
)
from proctor.errors import InvalidInput
from proctor.people import parse_roles
from proctor.server._context import Actor, Context, require_admin
from proctor.server._errors import ERROR_RESPONSES
from proctor.wire import AccessRuleIn, GroupIn, HumanIn, Put, WireOut

router = APIRouter(
    prefix="/v1", tags=["directory"], responses=ERROR_RESPONSES, dependencies=[require_admin]
)


class HumanOut(HumanIn, WireOut):
    """A person as the directory sees them (their keys are under ``/v1/people``)."""


class ImportOut(WireOut):
    """What a SCIM import did, per person and group: created, updated or unchanged."""

    people: dict[str, str]
    groups: dict[str, str]
    disabled: list[str]


@router.put("/people/{person_id}")
def put_person(person_id: str, body: HumanIn, context: Context, actor: Actor) -> Put[HumanOut]:
    """Add a person or bring their name, e-mail, roles and clearance up to date."""
    if body.id != person_id:
        raise InvalidInput(f"the body names {body.id}, the path {person_id}", code="id_mismatch")
    human = Human(body.id, body.name, body.email, parse_roles(body.roles), body.clearance)
    change = put_human(context.admin, human, actor=actor)
    return Put(change=change.value, item=HumanOut(**body.model_dump()))


@router.get("/groups")
def list_groups(context: Context) -> list[GroupIn]:
    """Every group with its direct members, by id."""
    return [GroupIn.from_model(group) for group in context.runtime.directory.store.groups()]


@router.get("/groups/{group_id}")
def get_group(group_id: str, context: Context) -> GroupIn:
    return GroupIn.from_model(context.runtime.directory.store.group(group_id))


@router.put("/groups/{group_id}")
def put_group_route(group_id: str, body: GroupIn, context: Context, actor: Actor) -> Put[GroupIn]:
    """Create or replace a group; a membership cycle is refused (``group_cycle``)."""
    if body.id != group_id:
        raise InvalidInput(f"the body names {body.id}, the path {group_id}", code="id_mismatch")
    change = put_group(context.admin, body.to_model(), actor=actor)
    return Put(change=change.value, item=body)


@router.delete("/groups/{group_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_group(group_id: str, context: Context, actor: Actor) -> Response:
    """Remove a group: what it granted stops at the next check."""
    remove_group(context.admin, group_id, actor=actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/access")
def list_access(context: Context) -> list[AccessRuleIn]:
    """Every access rule (a resource's own list is the rule named by its id)."""
    return [AccessRuleIn.from_model(rule) for rule in context.runtime.directory.store.rules()]


@router.put("/access")
def put_access_route(body: AccessRuleIn, context: Context, actor: Actor) -> Put[AccessRuleIn]:
    """Replace the grants of one pattern (an empty ``grant`` removes the rule)."""
    change = put_access(context.admin, body.to_model(), actor=actor)
    return Put(change=change.value, item=body)


@router.post("/directory/scim")
def scim_import(
    context: Context,
    actor: Actor,
    document: Annotated[Any, Body(description="A SCIM export")],
) -> ImportOut:
    """Load Users and Groups from a SCIM 2.0 export (a ListResponse, or ``Users`` and
    ``Groups``); nothing changes if any part is invalid."""
    report = import_scim(context.admin, document, actor=actor)
    return ImportOut(
        people={key: change.value for key, change in report.people.items()},
        groups={key: change.value for key, change in report.groups.items()},
        disabled=report.disabled,
    )


@router.get("/directory/scim")
def scim_export(context: Context) -> dict[str, Any]:
    """The directory as a SCIM ListResponse (what the import reads back)."""
    return export_scim(context.admin)
