"""The directory's vocabulary: access levels, subjects, groups and access rules."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from proctor.errors import InvalidInput
from proctor.model import ActionClass, Label

GROUP_PREFIX = "group:"
_PATTERN = re.compile(r"[A-Za-z0-9_*?\[\]][A-Za-z0-9_.:/@#+=*?\[\]!-]{0,299}")


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


def grants_from(mapping: Mapping[str, str]) -> tuple[Grant, ...]:
    """``{"group:eng": "read", "dana": "admin"}`` as grants (what manifests and the API say)."""
    grants = []
    for subject, level in mapping.items():
        try:
            parsed = AccessLevel(level)
        except ValueError:
            raise InvalidInput(
                f"access level {level!r} for {subject}: use read, write or admin",
                code="invalid_access",
            ) from None
        grants.append(Grant(subject_of(subject), parsed))
    return tuple(sorted(grants, key=_by_subject))


def check_pattern(pattern: str) -> str:
    """A resource id, tool name or fnmatch pattern of them."""
    if not _PATTERN.fullmatch(pattern):
        raise InvalidInput(
            f"access pattern {pattern!r} is not valid: an id or an fnmatch pattern (max 300)",
            code="invalid_access",
        )
    return pattern


def _by_subject(grant: Grant) -> str:
    return grant.subject
