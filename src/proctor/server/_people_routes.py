"""People over HTTP: who they are, their roles and personal API keys; and ``/v1/me``.

Every route but ``/v1/me`` needs the role admin; every change is audited.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import Field

from proctor.people import (
    Person,
    PersonKey,
    Role,
    add_person,
    create_person_key,
    disable_person,
    revoke_person_key,
    set_person_roles,
)
from proctor.server._context import Actor, Context, CurrentPrincipal, require_admin
from proctor.server._errors import ERROR_RESPONSES
from proctor.wire import Id, Name, WireIn, WireOut

router = APIRouter(prefix="/v1", tags=["people"], responses=ERROR_RESPONSES)
_admin_only = [require_admin]


class PersonIn(WireIn):
    """A person to add: an id like an agent id, a display name, roles."""

    id: Id
    name: Name
    roles: list[Role] = Field(default_factory=list, max_length=len(Role))


class RolesIn(WireIn):
    """The complete set of roles a person has from now on."""

    roles: list[Role] = Field(max_length=len(Role))


class KeyIn(WireIn):
    """A name for a new key, to tell a person's keys apart (default ``personal key``)."""

    name: Name | None = None


class PersonOut(WireOut):
    id: str
    name: str
    roles: list[Role]
    created_at: datetime
    disabled: bool

    @classmethod
    def from_model(cls, person: Person) -> PersonOut:
        return cls(
            id=person.id,
            name=person.name,
            roles=sorted(person.roles),
            created_at=person.created_at,
            disabled=person.disabled,
        )


class PersonKeyOut(WireOut):
    """A key's record; never the key itself."""

    id: str
    person_id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool

    @classmethod
    def from_model(cls, key: PersonKey) -> PersonKeyOut:
        return cls(
            id=key.id,
            person_id=key.person_id,
            name=key.name,
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            revoked=key.revoked,
        )


class CreatedKeyOut(PersonKeyOut):
    """A new key's record and, this once, the key (``ppk_<id>.<secret>``)."""

    key: str


class PersonDetailOut(PersonOut):
    """A person and their keys."""

    keys: list[PersonKeyOut]


class MeOut(WireOut):
    """Who the API key in this request belongs to."""

    kind: str
    id: str
    name: str
    roles: list[Role]
    actor: str


@router.get("/me")
def me(principal: CurrentPrincipal) -> MeOut:
    """The caller: an admin key or a person, their roles, and how the audit log names them."""
    return MeOut(
        kind=principal.kind,
        id=principal.id,
        name=principal.name,
        roles=sorted(principal.roles),
        actor=principal.actor,
    )


@router.post("/people", status_code=status.HTTP_201_CREATED, dependencies=_admin_only)
def create_person(body: PersonIn, context: Context, actor: Actor) -> PersonOut:
    """Add a person; 409 ``person_exists`` if the id is taken."""
    person = add_person(context.admin, body.id, body.name, body.roles, actor=actor)
    return PersonOut.from_model(person)


@router.get("/people", dependencies=_admin_only)
def list_people(context: Context) -> list[PersonOut]:
    """Everyone, by id."""
    return [PersonOut.from_model(person) for person in context.runtime.people.list()]


@router.get("/people/{person_id}", dependencies=_admin_only)
def get_person(person_id: str, context: Context) -> PersonDetailOut:
    """One person, with their keys (revoked ones included)."""
    people = context.runtime.people
    person = PersonOut.from_model(people.get(person_id))
    keys = [PersonKeyOut.from_model(key) for key in people.list_keys(person_id)]
    return PersonDetailOut(**person.model_dump(), keys=keys)


@router.put("/people/{person_id}/roles", dependencies=_admin_only)
def put_roles(person_id: str, body: RolesIn, context: Context, actor: Actor) -> PersonOut:
    """Replace a person's roles."""
    return PersonOut.from_model(set_person_roles(context.admin, person_id, body.roles, actor=actor))


@router.post("/people/{person_id}/disable", dependencies=_admin_only)
def disable(person_id: str, context: Context, actor: Actor) -> PersonOut:
    """Disable a person: every key of theirs stops working at once."""
    return PersonOut.from_model(disable_person(context.admin, person_id, actor=actor))


@router.post(
    "/people/{person_id}/keys", status_code=status.HTTP_201_CREATED, dependencies=_admin_only
)
def create_key(
    person_id: str, context: Context, actor: Actor, response: Response, body: KeyIn | None = None
) -> CreatedKeyOut:
    """A new personal API key; the answer is the only time the key is shown."""
    key, plaintext = create_person_key(
        context.admin, person_id, body.name if body and body.name else "", actor=actor
    )
    response.headers["Cache-Control"] = "no-store"
    return CreatedKeyOut(**PersonKeyOut.from_model(key).model_dump(), key=plaintext)


@router.delete("/people/{person_id}/keys/{key_id}", dependencies=_admin_only)
def revoke_key(person_id: str, key_id: str, context: Context, actor: Actor) -> PersonKeyOut:
    """Revoke one of a person's keys; it stops working at once."""
    return PersonKeyOut.from_model(revoke_person_key(context.admin, person_id, key_id, actor=actor))
