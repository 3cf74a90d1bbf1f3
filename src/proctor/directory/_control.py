"""Audited changes to the directory: what the API, the CLI and ``proctor apply`` call.

Each change is applied, appended to the audit log as an ``admin`` entry (the shape
:class:`proctor.admin.Admin` uses), and the precomputed view is marked stale, so this
process's next check (or read of the view) rebuilds it first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from proctor.directory._model import AccessRule, Group
from proctor.inventory import Change
from proctor.model import Label
from proctor.people import Person, Role, parse_roles

if TYPE_CHECKING:
    # Only for types: proctor.admin imports the runtime, which imports this package.
    from proctor.admin import Admin


@dataclass(frozen=True, slots=True)
class Human:
    """What the directory says of a person (their keys are the people module's)."""

    id: str
    name: str
    email: str | None = None
    roles: frozenset[Role] = frozenset()
    clearance: Label = Label.INTERNAL

    @classmethod
    def of(cls, person: Person) -> Human:
        return cls(person.id, person.name, person.email, person.roles, person.clearance)


def put_human(admin: Admin, human: Human, *, actor: str) -> Change:
    """Add a person, or bring their name, e-mail, roles and clearance up to date."""
    people = admin.runtime.people
    existing = people.find(human.id)
    roles = parse_roles(human.roles)
    if existing is None:
        people.add(human.id, human.name, roles, email=human.email, clearance=human.clearance)
        change = Change.CREATED
    elif Human.of(existing) == Human(human.id, human.name, human.email, roles, human.clearance):
        return Change.UNCHANGED
    else:
        people.set_profile(human.id, name=human.name, email=human.email, clearance=human.clearance)
        people.set_roles(human.id, roles)
        change = Change.UPDATED
    details = {
        "name": human.name,
        "email": human.email,
        "roles": sorted(role.value for role in roles),
        "clearance": human.clearance.value,
    }
    _record(admin, "person.put", change, actor, human.id, details)
    return change


def put_group(admin: Admin, group: Group, *, actor: str) -> Change:
    """Create or replace a group (a membership cycle is refused, naming it)."""
    change = admin.runtime.directory.store.put_group(group)
    details = {
        "name": group.name,
        "people": list(group.people),
        "groups": list(group.groups),
        "clearance": group.clearance.value if group.clearance else None,
    }
    _record(admin, "group.put", change, actor, group.id, details)
    return change


def remove_group(admin: Admin, group_id: str, *, actor: str) -> None:
    """Remove a group: its members lose what it granted on the next check."""
    admin.runtime.directory.store.remove_group(group_id)
    _record(admin, "group.remove", Change.UPDATED, actor, group_id, {})


def put_access(admin: Admin, rule: AccessRule, *, actor: str) -> Change:
    """Replace the grants of one pattern (or one resource's own access list)."""
    change = admin.runtime.directory.store.put_rule(rule)
    details = {
        "kind": rule.kind.value,
        "grants": {grant.subject: grant.level.value for grant in rule.grants},
    }
    _record(admin, "access.put", change, actor, rule.pattern, details)
    return change


def _record(
    admin: Admin, action: str, change: Change, actor: str, target: str, details: dict[str, Any]
) -> None:
    admin.runtime.directory.invalidate()
    if change is Change.UNCHANGED:
        return
    admin.runtime.audit.append(
        "admin",
        {
            "action": action,
            "change": change.value,
            "actor": actor,
            "target": target,
            "details": details,
        },
    )
