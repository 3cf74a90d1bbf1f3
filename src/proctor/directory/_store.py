"""Groups, memberships and access rules in the store.

Every write bumps the ``directory`` change counter in the same transaction, so every
process rebuilds its precomputed view (:class:`~proctor.directory.DirectoryIndex`).
A change that would make a group contain itself, directly or through other groups,
is refused before anything is written.
"""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from proctor.directory._model import (
    AccessLevel,
    AccessRule,
    Grant,
    Group,
    TargetKind,
    _by_subject,
    check_pattern,
)
from proctor.directory._tables import access_grants, directory_groups, directory_members
from proctor.errors import InvalidInput, NotFound
from proctor.inventory import Change, check_agent_id
from proctor.model import Label
from proctor.store import Database

VERSION_KEY = "directory"
_MAX_MEMBERS = 100_000


class DirectoryStore:
    """Reads and writes groups and access rules (the table's own class; nothing else
    writes them)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    # -- groups -----------------------------------------------------------------------

    def put_group(self, group: Group) -> Change:
        """Create or replace a group and its members; refuses a membership cycle."""
        check_agent_id(group.id, "group id")
        if not group.name.strip() or len(group.name) > 200:
            raise InvalidInput(f"group {group.id}: a name is 1 to 200 characters")
        if len(group.people) + len(group.groups) > _MAX_MEMBERS:
            raise InvalidInput(f"group {group.id}: at most {_MAX_MEMBERS} members")
        for person in group.people:
            check_agent_id(person, "person id")
        for member in group.groups:
            check_agent_id(member, "group id")
        with self._db.begin() as connection:
            nested = _nested_groups(connection)
            nested[group.id] = set(group.groups)
            refuse_cycles(nested, group.id)
            before = _group(connection, group.id)
            if before == group:
                return Change.UNCHANGED
            _write_group(connection, group)
            self._db.bump_version(connection, VERSION_KEY)
        return Change.CREATED if before is None else Change.UPDATED

    def add_member(self, group_id: str, *, person: str) -> None:
        """Add a person to a group (creating nothing else); harmless if already in."""
        with self._db.begin() as connection:
            if _group(connection, group_id) is None:
                raise NotFound(f"no group {group_id!r}", code="unknown_group")
            exists = connection.execute(
                sa.select(directory_members.c.group_id).where(
                    directory_members.c.group_id == group_id,
                    directory_members.c.kind == "person",
                    directory_members.c.member_id == person,
                )
            ).first()
            if exists is None:
                connection.execute(
                    sa.insert(directory_members).values(
                        group_id=group_id, kind="person", member_id=person
                    )
                )
                self._db.bump_version(connection, VERSION_KEY)

    def remove_group(self, group_id: str) -> None:
        with self._db.begin() as connection:
            done = connection.execute(
                sa.delete(directory_groups).where(directory_groups.c.id == group_id)
            )
            if not done.rowcount:
                raise NotFound(f"no group {group_id!r}", code="unknown_group")
            members = directory_members.c
            connection.execute(
                sa.delete(directory_members).where(
                    (members.group_id == group_id)
                    | ((members.kind == "group") & (members.member_id == group_id))
                )
            )
            self._db.bump_version(connection, VERSION_KEY)

    def groups(self) -> builtins.list[Group]:
        """Every group with its direct members, by id."""
        with self._db.connect() as connection:
            return _all_groups(connection)

    def group(self, group_id: str) -> Group:
        with self._db.connect() as connection:
            found = _group(connection, group_id)
        if found is None:
            raise NotFound(f"no group {group_id!r}", code="unknown_group")
        return found

    # -- access rules ------------------------------------------------------------------

    def put_rule(self, rule: AccessRule) -> Change:
        """Create or replace the grants of one pattern (a resource's own list when the
        pattern is its id)."""
        check_pattern(rule.pattern)
        grants = sorted({grant.subject: grant for grant in rule.grants}.values(), key=_by_subject)
        if len(grants) != len(rule.grants):
            raise InvalidInput(f"{rule.kind} {rule.pattern}: a subject is granted twice")
        with self._db.begin() as connection:
            before = _rule_grants(connection, rule.kind, rule.pattern)
            if before == tuple(grants):
                return Change.UNCHANGED
            connection.execute(_delete_rule(rule.kind, rule.pattern))
            if grants:
                connection.execute(
                    sa.insert(access_grants),
                    [
                        {
                            "kind": rule.kind.value,
                            "pattern": rule.pattern,
                            "subject": grant.subject,
                            "level": grant.level.value,
                        }
                        for grant in grants
                    ],
                )
            self._db.bump_version(connection, VERSION_KEY)
        if not before:
            return Change.CREATED if grants else Change.UNCHANGED
        return Change.UPDATED

    def put_rules(self, rules: Iterable[AccessRule]) -> int:
        """Replace the grants of many patterns in one transaction (a bulk load: one
        change counter bump, one rebuild); returns how many rules were written."""
        rows: builtins.list[dict[str, str]] = []
        written: builtins.list[AccessRule] = []
        for rule in rules:
            check_pattern(rule.pattern)
            written.append(rule)
            rows.extend(
                {
                    "kind": rule.kind.value,
                    "pattern": rule.pattern,
                    "subject": grant.subject,
                    "level": grant.level.value,
                }
                for grant in {grant.subject: grant for grant in rule.grants}.values()
            )
        with self._db.begin() as connection:
            for rule in written:
                connection.execute(_delete_rule(rule.kind, rule.pattern))
            if rows:
                connection.execute(sa.insert(access_grants), rows)
            self._db.bump_version(connection, VERSION_KEY)
        return len(written)

    def rules(self) -> builtins.list[AccessRule]:
        """Every rule, by kind and pattern."""
        table = access_grants
        query = sa.select(table).order_by(table.c.kind, table.c.pattern, table.c.subject)
        found: dict[tuple[str, str], builtins.list[Grant]] = defaultdict(builtins.list)
        with self._db.connect() as connection:
            for row in connection.execute(query):
                found[row.kind, row.pattern].append(Grant(row.subject, AccessLevel(row.level)))
        return [
            AccessRule(TargetKind(kind), pattern, tuple(grants))
            for (kind, pattern), grants in found.items()
        ]

    def version(self) -> int:
        return self._db.version(VERSION_KEY)


def _delete_rule(kind: TargetKind, pattern: str) -> sa.Delete:
    return sa.delete(access_grants).where(
        access_grants.c.kind == kind.value, access_grants.c.pattern == pattern
    )


def _rule_grants(connection: Connection, kind: TargetKind, pattern: str) -> tuple[Grant, ...]:
    table = access_grants
    rows = connection.execute(
        sa.select(table)
        .where(table.c.kind == kind.value, table.c.pattern == pattern)
        .order_by(table.c.subject)
    )
    return tuple(Grant(row.subject, AccessLevel(row.level)) for row in rows)


def _nested_groups(connection: Connection) -> dict[str, set[str]]:
    members = directory_members.c
    rows = connection.execute(
        sa.select(members.group_id, members.member_id).where(members.kind == "group")
    )
    nested: dict[str, set[str]] = defaultdict(set)
    for group_id, member in rows:
        nested[group_id].add(member)
    return nested


def refuse_cycles(nested: Mapping[str, Iterable[str]], start: str) -> None:
    """Refuse if ``start`` can reach itself through nested groups, naming the loop."""
    path: builtins.list[str] = []
    on_path: set[str] = set()
    done: set[str] = set()

    def visit(group: str) -> None:
        if group in on_path:
            loop = [*path[path.index(group) :], group]
            raise InvalidInput(
                "groups may not contain themselves: " + " → ".join(loop), code="group_cycle"
            )
        if group in done:
            return
        on_path.add(group)
        path.append(group)
        for member in nested.get(group, ()):
            visit(member)
        path.pop()
        on_path.discard(group)
        done.add(group)

    visit(start)


def _write_group(connection: Connection, group: Group) -> None:
    values = {
        "name": group.name,
        "clearance": group.clearance.value if group.clearance else None,
        "description": group.description,
    }
    updated = connection.execute(
        sa.update(directory_groups).where(directory_groups.c.id == group.id).values(**values)
    )
    if not updated.rowcount:
        connection.execute(sa.insert(directory_groups).values(id=group.id, **values))
    connection.execute(sa.delete(directory_members).where(directory_members.c.group_id == group.id))
    rows = [{"group_id": group.id, "kind": "person", "member_id": p} for p in set(group.people)]
    rows += [{"group_id": group.id, "kind": "group", "member_id": g} for g in set(group.groups)]
    if rows:
        connection.execute(sa.insert(directory_members), rows)


def _group(connection: Connection, group_id: str) -> Group | None:
    row = connection.execute(
        sa.select(directory_groups).where(directory_groups.c.id == group_id)
    ).first()
    if row is None:
        return None
    members = connection.execute(
        sa.select(directory_members.c.kind, directory_members.c.member_id).where(
            directory_members.c.group_id == group_id
        )
    ).all()
    return _as_group(row, members)


def _all_groups(connection: Connection) -> builtins.list[Group]:
    members: dict[str, builtins.list[tuple[str, str]]] = defaultdict(builtins.list)
    for row in connection.execute(sa.select(directory_members)):
        members[row.group_id].append((row.kind, row.member_id))
    rows = connection.execute(sa.select(directory_groups).order_by(directory_groups.c.id))
    return [_as_group(row, members.get(row.id, [])) for row in rows]


def _as_group(row: sa.Row[tuple[object, ...]], members: Iterable[tuple[str, str]]) -> Group:
    listed = list(members)
    return Group(
        id=str(row.id),
        name=str(row.name),
        people=tuple(sorted(m for kind, m in listed if kind == "person")),
        groups=tuple(sorted(m for kind, m in listed if kind == "group")),
        clearance=Label(str(row.clearance)) if row.clearance else None,
        description=str(row.description),
    )
