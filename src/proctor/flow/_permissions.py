"""Whether a permission change widens access: a larger audience or a higher level.

A ``modify_permissions`` tool declares in the catalog which arguments name the
grantee and the level. Grantees and levels come in every vocabulary (GitHub's
``pull``/``push``/``admin``, Google Drive's ``reader``/``writer``/``owner`` and
``anyone``, cloud storage's ``allUsers`` and ``roles/storage.objectViewer``...); they
are read into one scale:

- the grantee's reach: a person or group, the whole organization, or the public;
- the level: none (a removal), read, write or admin.

The change widens access when it reaches the organization or the public, or gives a
person or group a level above what the directory says they hold on the resource now.
Removing access or lowering a level narrows it. A level Proctor cannot read counts as
admin, a tool whose arguments are not declared as widening: unknown is the worst case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from proctor.directory import AccessLevel, DirectoryIndex, TargetKind
from proctor.model import PermissionArguments


class Reach(StrEnum):
    """How far a grant reaches, from narrowest to widest."""

    PRINCIPAL = "principal"
    ORGANIZATION = "organization"
    PUBLIC = "public"


_PUBLIC = {
    "public", "anyone", "anyonewithlink", "anyone-with-link", "anyone_with_link", "allusers",
    "everyone", "*", "internet", "world", "all-users",
}  # fmt: skip
_ORGANIZATION = {
    "all-employees", "allemployees", "all_employees", "allauthenticatedusers", "organization",
    "org", "company", "domain", "all-staff", "everyone-internal", "all", "members",
}  # fmt: skip
_NONE = {"none", "remove", "revoke", "no-access", "noaccess", "null", "", "deny", "revoked"}
_READ = {
    "read", "reader", "viewer", "view", "commenter", "comment", "pull", "triage", "guest",
    "roles/viewer", "roles/storage.objectviewer", "roles/storage.legacybucketreader",
    "objectviewer", "legacybucketreader", "read-only", "readonly", "r",
}  # fmt: skip
_WRITE = {
    "write", "writer", "editor", "edit", "push", "maintain", "contributor", "member",
    "roles/editor", "roles/storage.objectcreator", "roles/storage.objectuser",
    "roles/storage.legacybucketwriter", "objectcreator", "legacybucketwriter", "rw",
    "read-write", "developer",
}  # fmt: skip
_ADMIN = {
    "admin", "owner", "manage", "manager", "organizer", "fullcontrol", "full-control",
    "roles/owner", "roles/storage.admin", "roles/storage.objectadmin", "objectadmin",
    "maintainer",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PermissionChange:
    """What a call asks for: who, how far that reaches, at what level (None: removal)."""

    grantee: str
    reach: Reach
    level: AccessLevel | None
    widens: bool
    why: str


def read_change(
    arguments: Mapping[str, object],
    declared: PermissionArguments | None,
    resource: str | None,
    directory: DirectoryIndex,
) -> PermissionChange:
    """The permission change a call makes, and whether it widens access."""
    if declared is None:
        why = "the tool does not declare its grantee and level arguments, so it counts as widening"
        return PermissionChange("", Reach.PUBLIC, AccessLevel.ADMIN, True, why)
    grantee = _text(_argument(arguments, declared.grantee))
    level_value = _argument(arguments, declared.level) if declared.level else "read"
    level = _level(level_value)
    reach = _reach(grantee)
    if level is None:
        return PermissionChange(grantee, reach, None, False, f"it removes {grantee}'s access")
    if reach is not Reach.PRINCIPAL:
        why = f"it opens {resource or 'the resource'} to {grantee} ({reach.value})"
        return PermissionChange(grantee, reach, level, True, why)
    held = _held(directory, grantee, resource)
    widens = held is None or level.rank > held.rank
    now = held.value if held else "nothing"
    verb = "raises" if widens else "keeps or lowers"
    why = f"it {verb} {grantee} from {now} to {level.value} on {resource or 'the resource'}"
    return PermissionChange(grantee, reach, level, widens, why)


def _argument(arguments: Mapping[str, object], name: str) -> object:
    """An argument by name; a dotted name reaches into nested objects."""
    value: object = arguments
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _text(value: object) -> str:
    if isinstance(value, list | tuple):
        # Several grantees at once: the widest decides (read as one comma-separated value).
        return ", ".join(_text(item) for item in value)
    return str(value).strip() if value is not None else ""


def _reach(grantee: str) -> Reach:
    names = [part.strip().lower() for part in grantee.split(",")] or [""]
    widest = Reach.PRINCIPAL
    for name in names:
        bare = name.removeprefix("group:").removeprefix("user:")
        if bare in _PUBLIC or not bare:
            return Reach.PUBLIC
        if bare in _ORGANIZATION or bare.startswith(("domain:", "domain=")):
            widest = Reach.ORGANIZATION
    return widest


def _level(value: object) -> AccessLevel | None:
    if value is None:
        return AccessLevel.READ
    text = str(value).strip().lower()
    if text in _NONE:
        return None
    if text in _READ:
        return AccessLevel.READ
    if text in _WRITE:
        return AccessLevel.WRITE
    # An admin level, or one Proctor cannot read: the worst case either way.
    return AccessLevel.ADMIN


def _held(directory: DirectoryIndex, grantee: str, resource: str | None) -> AccessLevel | None:
    """The level ``grantee`` (a person id or ``group:<id>``) holds on ``resource`` now."""
    if not resource:
        return None
    grants = directory.grants(TargetKind.RESOURCE, resource) or ()
    held = [g.level for g in grants if g.subject in (grantee, f"group:{grantee}")]
    return max(held, key=lambda level: level.rank) if held else None
