"""Loading the directory from a SCIM 2.0 export (RFC 7643 resources, RFC 7644 list
responses): the Users and Groups an identity provider already holds.

What is read:

- a User's ``userName`` becomes the person's id (what tasks name as requester),
  ``displayName`` (or ``name.formatted``, or given and family name) their name, the
  primary (else first) ``emails`` value their e-mail; ``active: false`` disables
  them; a clearance comes from the extension below, else stays as it is;
- a Group's ``externalId`` (else its ``displayName``, as a slug) becomes the group id;
  its ``members`` (``type`` ``User`` or ``Group``, ``value`` the member's SCIM ``id``)
  become its people and nested groups.

Roles are never imported: what a person may decide in Proctor is Proctor's call. The
whole file is checked (ids, references, membership cycles) before anything is
written, so a bad export changes nothing. :func:`export_scim` writes the same shape
back, so an export imports to the same directory.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from proctor.directory._control import Human, put_group, put_human
from proctor.directory._model import Group
from proctor.directory._store import refuse_cycles
from proctor.errors import InvalidInput
from proctor.inventory import Change, check_agent_id
from proctor.model import Label
from proctor.people import check_email

if TYPE_CHECKING:
    from proctor.admin import Admin

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
#: Proctor's extension to User: the highest label of data the person may see.
CLEARANCE_SCHEMA = "urn:proctor:params:scim:schemas:extension:2.0:User"
_SLUG = re.compile(r"[^a-z0-9._:@-]+")
_MAX_RESOURCES = 200_000


@dataclass
class ImportReport:
    """What an import did: people and groups created, updated or unchanged."""

    people: dict[str, Change] = field(default_factory=dict)
    groups: dict[str, Change] = field(default_factory=dict)
    disabled: list[str] = field(default_factory=list)

    def count(self, change: Change) -> int:
        every = [*self.people.values(), *self.groups.values()]
        return sum(1 for item in every if item is change)


@dataclass(frozen=True)
class _Parsed:
    humans: list[tuple[Human, bool]]
    groups: list[Group]


def import_scim(admin: Admin, document: object, *, actor: str) -> ImportReport:
    """Upsert the Users and Groups of a SCIM export; people and groups it does not
    name are left alone."""
    parsed = _parse(document, admin)
    report = ImportReport()
    for human, active in parsed.humans:
        report.people[human.id] = put_human(admin, human, actor=actor)
        person = admin.runtime.people.get(human.id)
        if not active and not person.disabled:
            admin.runtime.people.disable(human.id)
            report.disabled.append(human.id)
    for group in parsed.groups:
        report.groups[group.id] = put_group(admin, group, actor=actor)
    return report


def export_scim(admin: Admin) -> dict[str, Any]:
    """The directory as a SCIM ListResponse of Users and Groups (what :func:`import_scim`
    reads back to the same directory)."""
    resources: list[dict[str, Any]] = []
    for person in admin.runtime.people.list():
        user: dict[str, Any] = {
            "schemas": [USER_SCHEMA, CLEARANCE_SCHEMA],
            "id": person.id,
            "userName": person.id,
            "displayName": person.name,
            "active": not person.disabled,
            CLEARANCE_SCHEMA: {"clearance": person.clearance.value},
        }
        if person.email:
            user["emails"] = [{"value": person.email, "primary": True}]
        resources.append(user)
    for group in admin.runtime.directory.store.groups():
        members = [{"value": p, "type": "User"} for p in group.people]
        members += [{"value": g, "type": "Group"} for g in group.groups]
        entry: dict[str, Any] = {
            "schemas": [GROUP_SCHEMA],
            "id": group.id,
            "externalId": group.id,
            "displayName": group.name,
            "members": members,
        }
        resources.append(entry)
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": len(resources),
        "itemsPerPage": len(resources),
        "startIndex": 1,
        "Resources": resources,
    }


def _parse(document: object, admin: Admin) -> _Parsed:
    users, groups = _resources(document)
    existing = {person.id: person for person in admin.runtime.people.list()}
    user_ids: dict[str, str] = {}
    humans: list[tuple[Human, bool]] = []
    for number, user in enumerate(users, start=1):
        human, active = _human(user, number, existing)
        user_ids[str(user.get("id", human.id))] = human.id
        humans.append((human, active))
    group_ids = {
        str(group.get("id", "")): _group_id(group, number)
        for number, group in enumerate(groups, start=1)
    }
    known_groups = {group.id for group in admin.runtime.directory.store.groups()}
    parsed_groups = [
        _group(group, number, user_ids, group_ids, set(existing), known_groups)
        for number, group in enumerate(groups, start=1)
    ]
    nested = {group.id: set(group.groups) for group in admin.runtime.directory.store.groups()}
    nested.update({group.id: set(group.groups) for group in parsed_groups})
    for group in parsed_groups:
        refuse_cycles(nested, group.id)
    return _Parsed(humans, parsed_groups)


def _resources(document: object) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    if isinstance(document, list):
        items: list[Any] = document
    elif isinstance(document, Mapping) and "Resources" in document:
        items = list(document["Resources"] or [])
    elif isinstance(document, Mapping) and ("Users" in document or "Groups" in document):
        listed_users = [{**u, "schemas": [USER_SCHEMA]} for u in document.get("Users") or []]
        listed_groups = [{**g, "schemas": [GROUP_SCHEMA]} for g in document.get("Groups") or []]
        items = [*listed_users, *listed_groups]
    else:
        raise _invalid("expected a SCIM ListResponse (Resources), or Users and Groups")
    if len(items) > _MAX_RESOURCES:
        raise _invalid(f"at most {_MAX_RESOURCES} resources per import")
    users: list[Mapping[str, Any]] = []
    groups: list[Mapping[str, Any]] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            raise _invalid(f"resource {number} is not an object")
        schemas = item.get("schemas") or []
        if USER_SCHEMA in schemas:
            users.append(item)
        elif GROUP_SCHEMA in schemas:
            groups.append(item)
        else:
            raise _invalid(f"resource {number} is neither a SCIM User nor a Group")
    return users, groups


def _human(user: Mapping[str, Any], number: int, existing: Mapping[str, Any]) -> tuple[Human, bool]:
    person_id = user.get("userName")
    if not isinstance(person_id, str) or not person_id:
        raise _invalid(f"User {number} has no userName")
    _checked(person_id, f"User {number}: userName")
    before = existing.get(person_id)
    clearance = (user.get(CLEARANCE_SCHEMA) or {}).get("clearance")
    try:
        level = Label(clearance) if clearance else (before.clearance if before else Label.INTERNAL)
    except ValueError:
        raise _invalid(f"User {person_id}: clearance {clearance!r} is not a label") from None
    human = Human(
        id=person_id,
        name=_name(user) or person_id,
        email=check_email(_email(user)),
        roles=before.roles if before else frozenset(),
        clearance=level,
    )
    return human, user.get("active", True) is not False


def _group(
    group: Mapping[str, Any],
    number: int,
    user_ids: Mapping[str, str],
    group_ids: Mapping[str, str],
    people: set[str],
    groups: set[str],
) -> Group:
    group_id = _group_id(group, number)
    members_people: list[str] = []
    members_groups: list[str] = []
    for member in group.get("members") or []:
        value = str(member.get("value", "")) if isinstance(member, Mapping) else ""
        kind = str(member.get("type", "User")) if isinstance(member, Mapping) else ""
        if kind == "Group":
            nested = group_ids.get(value) or (value if value in groups else None)
            if nested is None:
                raise _invalid(f"Group {group_id}: member group {value!r} is not in the export")
            members_groups.append(nested)
        else:
            person = user_ids.get(value) or (value if value in people else None)
            if person is None:
                raise _invalid(f"Group {group_id}: member {value!r} is not a known User")
            members_people.append(person)
    return Group(
        id=group_id,
        name=str(group.get("displayName") or group_id),
        people=tuple(sorted(set(members_people))),
        groups=tuple(sorted(set(members_groups))),
    )


def _group_id(group: Mapping[str, Any], number: int) -> str:
    external = group.get("externalId")
    if isinstance(external, str) and external:
        return _checked(external, f"Group {number}: externalId")
    name = group.get("displayName")
    if not isinstance(name, str) or not name.strip():
        raise _invalid(f"Group {number} has neither externalId nor displayName")
    return _checked(_SLUG.sub("-", name.strip().lower()).strip("-"), f"Group {number}")


def _name(user: Mapping[str, Any]) -> str:
    if isinstance(user.get("displayName"), str) and user["displayName"].strip():
        return str(user["displayName"]).strip()
    name = user.get("name") or {}
    if isinstance(name, Mapping):
        if name.get("formatted"):
            return str(name["formatted"])
        parts = [name.get("givenName"), name.get("familyName")]
        return " ".join(str(part) for part in parts if part)
    return ""


def _email(user: Mapping[str, Any]) -> str | None:
    emails = [e for e in user.get("emails") or [] if isinstance(e, Mapping) and e.get("value")]
    primary = [e for e in emails if e.get("primary")]
    chosen = primary or emails
    return str(chosen[0]["value"]) if chosen else None


def _checked(value: str, what: str) -> str:
    try:
        return check_agent_id(value, what)
    except InvalidInput as exc:
        raise _invalid(exc.message) from None


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(f"SCIM import: {message}; nothing was changed", code="invalid_scim")
