"""The directory's vocabulary: access levels, subjects, groups and access rules."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from proctor.errors import InvalidInput
from proctor.model import ActionClass, Label

GROUP_PREFIX = "group:"


class AccessLevel(StrEnum):
    """How much a person or group may do with a resource or tool; each includes the ones
    before it."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _LEVELS.index(self)


_LEVELS = list(AccessLevel)

#: The level each action class needs on the resource (or tool) a call touches.
#: Reading needs ``read``; changing who can see something needs ``admin``; every other
#: action changes or sends something, and needs ``write``.
LEVEL_FOR_ACTION: dict[ActionClass, AccessLevel] = {
    ActionClass.READ: AccessLevel.READ,
    ActionClass.WRITE: AccessLevel.WRITE,
    ActionClass.PUBLISH: AccessLevel.WRITE,
    ActionClass.DELETE: AccessLevel.WRITE,
    ActionClass.EXECUTE: AccessLevel.WRITE,
    ActionClass.SEND_EXTERNAL: AccessLevel.WRITE,
    ActionClass.SPEND: AccessLevel.WRITE,
    ActionClass.MODIFY_PERMISSIONS: AccessLevel.ADMIN,
}


def subject_of(value: str) -> str:
    """A grant's subject as stored: ``group:<id>`` for a group, a person's id otherwise."""
    value = value.strip()
    if not value or value == GROUP_PREFIX:
        raise InvalidInput("an access subject is a person id or group:<group id>")
    return value


def group_subject(group_id: str) -> str:
    return GROUP_PREFIX + group_id


@dataclass(frozen=True, slots=True)
class Grant:
    """``subject`` (a person id or ``group:<id>``) may act at ``level``."""

    subject: str
    level: AccessLevel


@dataclass(frozen=True, slots=True)
class Group:
    """A group of people and other groups (nested groups resolve transitively).

    ``clearance``: members are cleared for data up to this label (a person's clearance
    is the highest of their own and their groups'). A group can also be the owning
    team of a service task, bounded by the group's grants and clearance.
    """

    id: str
    name: str
    people: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    clearance: Label | None = None
    description: str = ""


class TargetKind(StrEnum):
    """What an access rule's pattern names."""

    RESOURCE = "resource"
    TOOL = "tool"


@dataclass(frozen=True, slots=True)
class AccessRule:
    """Grants on every resource (or tool) whose id matches ``pattern`` (fnmatch style).

    A resource's own access list is an :class:`AccessRule` whose pattern is its id.
    """

    kind: TargetKind
    pattern: str
    grants: tuple[Grant, ...]
