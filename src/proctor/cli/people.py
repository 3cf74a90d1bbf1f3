"""``proctor people``: humans, their roles and their personal API keys."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from proctor.admin import Admin
from proctor.cli._common import (
    DataDir,
    JsonOutput,
    console,
    errors,
    fail,
    open_gateway,
    print_json,
)
from proctor.directory import Human, put_human
from proctor.model import Label
from proctor.people import (
    Person,
    PersonKey,
    Role,
    create_person_key,
    disable_person,
    parse_roles,
    revoke_person_key,
    set_person_roles,
)

people_app = typer.Typer(help="People, their roles and personal API keys.", no_args_is_help=True)
key_app = typer.Typer(help="A person's API keys.", no_args_is_help=True)
people_app.add_typer(key_app, name="key")

# The CLI works on the data directory itself, as the local admin.
_ACTOR = "cli"

Roles = Annotated[
    list[Role] | None,
    typer.Option("--role", help="A role (repeat for several).", show_default=False),
]


def person_record(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "email": person.email,
        "roles": sorted(role.value for role in person.roles),
        "clearance": person.clearance.value,
        "created_at": person.created_at.isoformat(),
        "disabled": person.disabled,
    }


def key_record(key: PersonKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "person_id": key.person_id,
        "name": key.name,
        "created_at": key.created_at.isoformat(),
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
        "revoked": key.revoked,
    }


@people_app.command("add")
def add(
    person_id: Annotated[str, typer.Argument(help="The person's id, e.g. dana.")],
    name: Annotated[str, typer.Option(help="Their name, for people to read.")],
    role: Roles = None,
    email: Annotated[str | None, typer.Option(help="Their e-mail address.")] = None,
    clearance: Annotated[
        Label, typer.Option(help="The highest label of data they may see.")
    ] = Label.INTERNAL,
    data_dir: DataDir = None,
    json_output: JsonOutput = False,
) -> None:
    """Add a person with roles (admin, approver, auditor, viewer, launcher, security) and
    a clearance; their agents never reach further than they may."""
    with open_gateway(data_dir) as gateway:
        if gateway.runtime.people.find(person_id) is not None:
            fail(
                f"person {person_id!r} already exists; 'proctor people roles' or apply change them"
            )
        human = Human(person_id, name, email, parse_roles(role or []), clearance)
        put_human(Admin(gateway), human, actor=_ACTOR)
        person = gateway.runtime.people.get(person_id)
    if json_output:
        print_json(person_record(person))
        return
    roles = ", ".join(sorted(person.roles)) or "no roles"
    console.print(f"added {person.id} ({roles})", highlight=False)


@people_app.command("list")
def list_people(data_dir: DataDir = None, json_output: JsonOutput = False) -> None:
    """Everyone, by id."""
    with open_gateway(data_dir) as gateway:
        people = gateway.runtime.people.list()
    if json_output:
        print_json([person_record(person) for person in people])
        return
    table = Table(title="People", title_justify="left")
    for column in ("id", "name", "roles", "clearance", "status"):
        table.add_column(column)
    for person in people:
        status = "disabled" if person.disabled else "active"
        roles = ", ".join(sorted(person.roles))
        table.add_row(person.id, person.name, roles, person.clearance.value, status)
    console.print(table)


@people_app.command("show")
def show(person_id: str, data_dir: DataDir = None) -> None:
    """One person and their keys, as JSON (never the keys themselves)."""
    with open_gateway(data_dir) as gateway:
        people = gateway.runtime.people
        record = person_record(people.get(person_id))
        record["keys"] = [key_record(key) for key in people.list_keys(person_id)]
    print_json(record)


@people_app.command("roles")
def roles(
    person_id: str, role: Roles = None, data_dir: DataDir = None, json_output: JsonOutput = False
) -> None:
    """Replace a person's roles with those given (none given: no roles)."""
    with open_gateway(data_dir) as gateway:
        person = set_person_roles(Admin(gateway), person_id, role or [], actor=_ACTOR)
    if json_output:
        print_json(person_record(person))
        return
    console.print(f"{person.id}: {', '.join(sorted(person.roles)) or 'no roles'}", highlight=False)


@people_app.command("disable")
def disable(person_id: str, data_dir: DataDir = None) -> None:
    """Disable a person: every key of theirs stops working at once."""
    with open_gateway(data_dir) as gateway:
        disable_person(Admin(gateway), person_id, actor=_ACTOR)
    console.print(f"disabled {person_id}; their keys no longer work", highlight=False)


@key_app.command("create")
def create_key(
    person_id: str,
    name: Annotated[str, typer.Option(help="Tells this key apart from the person's others.")] = "",
    data_dir: DataDir = None,
    json_output: JsonOutput = False,
) -> None:
    """Create a personal API key; it is printed this once and never stored."""
    with open_gateway(data_dir) as gateway:
        key, plaintext = create_person_key(Admin(gateway), person_id, name, actor=_ACTOR)
    if json_output:
        print_json({**key_record(key), "key": plaintext})
    else:
        # Plain write: a console would wrap a long key across lines.
        sys.stdout.write(plaintext + "\n")
    errors.print(
        f"key {key.id} for {person_id}: store it now (a password manager, a secret store); "
        "it cannot be shown again. Send it as 'Authorization: Bearer <key>'.",
        highlight=False,
    )


@key_app.command("revoke")
def revoke_key(person_id: str, key_id: str, data_dir: DataDir = None) -> None:
    """Revoke one of a person's keys; it stops working at once."""
    with open_gateway(data_dir) as gateway:
        revoke_person_key(Admin(gateway), person_id, key_id, actor=_ACTOR)
    console.print(f"revoked key {key_id} of {person_id}", highlight=False)


@key_app.command("list")
def list_keys(person_id: str, data_dir: DataDir = None, json_output: JsonOutput = False) -> None:
    """A person's keys (never the keys themselves)."""
    with open_gateway(data_dir) as gateway:
        keys = gateway.runtime.people.list_keys(person_id)
    if json_output:
        print_json([key_record(key) for key in keys])
        return
    table = Table(title=f"Keys of {person_id}", title_justify="left")
    for column in ("id", "name", "created", "last used", "status"):
        table.add_column(column)
    for key in keys:
        used = key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "-"
        status = "revoked" if key.revoked else "active"
        table.add_row(key.id, key.name, key.created_at.isoformat(timespec="seconds"), used, status)
    console.print(table)
