"""Audited changes to people and their keys: what the API and the CLI call.

Each change is applied, then appended to the audit log as an ``admin`` entry in the
shape :class:`proctor.admin.Admin` uses, so one reader sees the whole control plane.
A key's secret is never recorded, only its id and name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from proctor.people._people import Person, PersonKey
from proctor.people._role import Role

if TYPE_CHECKING:
    # Only for types: proctor.admin imports the runtime, which imports this package.
    from proctor.admin import Admin


def add_person(
    admin: Admin, person_id: str, name: str, roles: Iterable[str | Role], *, actor: str
) -> Person:
    """Add a person (``person.create``)."""
    person = admin.runtime.people.add(person_id, name, roles)
    details = {"name": person.name, "roles": _names(person.roles)}
    _record(admin, "person.create", "created", actor, person.id, details)
    return person


def set_person_roles(
    admin: Admin, person_id: str, roles: Iterable[str | Role], *, actor: str
) -> Person:
    """Replace a person's roles (``person.roles``); unchanged roles record nothing."""
    before = admin.runtime.people.get(person_id)
    person = admin.runtime.people.set_roles(person_id, roles)
    if person.roles != before.roles:
        details = {"roles": _names(person.roles), "previous": _names(before.roles)}
        _record(admin, "person.roles", "updated", actor, person.id, details)
    return person


def disable_person(admin: Admin, person_id: str, *, actor: str) -> Person:
    """Disable a person (``person.disable``); their keys stop working at once."""
    before = admin.runtime.people.get(person_id)
    person = admin.runtime.people.disable(person_id)
    if not before.disabled:
        _record(admin, "person.disable", "updated", actor, person.id, {})
    return person


def create_person_key(
    admin: Admin, person_id: str, name: str = "", *, actor: str
) -> tuple[PersonKey, str]:
    """A new personal API key (``person.key.create``); the plaintext is returned once."""
    key, plaintext = admin.runtime.people.create_key(person_id, name)
    _record(admin, "person.key.create", "created", actor, person_id, _key_details(key))
    return key, plaintext


def revoke_person_key(admin: Admin, person_id: str, key_id: str, *, actor: str) -> PersonKey:
    """Revoke one of a person's keys (``person.key.revoke``)."""
    key = admin.runtime.people.revoke_key(person_id, key_id)
    _record(admin, "person.key.revoke", "updated", actor, person_id, _key_details(key))
    return key


def _names(roles: frozenset[Role]) -> list[str]:
    return sorted(role.value for role in roles)


def _key_details(key: PersonKey) -> dict[str, Any]:
    return {"key_id": key.id, "name": key.name}


def _record(
    admin: Admin, action: str, change: str, actor: str, target: str, details: dict[str, Any]
) -> None:
    admin.runtime.audit.append(
        "admin",
        {"action": action, "change": change, "actor": actor, "target": target, "details": details},
    )
