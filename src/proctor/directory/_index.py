"""The directory, precomputed: what each person or team may see and do, answered in
microseconds on every check.

Built once per directory change (people, groups, memberships, access rules): nested
groups are resolved to each person's full set of subjects, clearances are folded in,
exact grants are indexed by target, and patterns are compiled. A check then does a
few dictionary lookups; the grants a target gets from patterns are matched once per
target and remembered (bounded).
"""

from __future__ import annotations

import fnmatch
import re
import threading
from collections import OrderedDict, defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from proctor.directory._model import (
    GROUP_PREFIX,
    LEVEL_FOR_ACTION,
    AccessLevel,
    AccessRule,
    Grant,
    Group,
    TargetKind,
    group_subject,
)
from proctor.model import ActionClass, Label
from proctor.people import Person

#: How many targets keep the grants their patterns give them remembered.
PATTERN_CACHE_SIZE = 100_000
#: A person's clearance when nothing says otherwise.
DEFAULT_CLEARANCE = Label.INTERNAL


@dataclass(frozen=True, slots=True)
class Principal:
    """A person, or a team that owns a service task, as the directory resolves them."""

    id: str
    clearance: Label
    #: The person's id (or ``group:<team>``) and ``group:<id>`` of every group they are
    #: in, directly or through nested groups.
    subjects: frozenset[str]
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class Bound:
    """How far the humans behind a call may reach, for this one call.

    ``cleared``: every one of them may see data of the call's label; ``permitted``:
    every one of them holds the access level the call's action needs on what it
    touches; ``why`` says in words what is missing (empty when nothing is).
    """

    clearance: Label | None
    cleared: bool
    permitted: bool
    needs: AccessLevel
    why: str = ""


class DirectoryIndex:
    """An immutable, precomputed view of people, groups and access rules."""

    def __init__(
        self,
        principals: Mapping[str, Principal],
        exact: Mapping[tuple[TargetKind, str], tuple[Grant, ...]],
        patterns: Iterable[tuple[TargetKind, str, tuple[Grant, ...]]],
        *,
        unlisted_open: bool = True,
        version: tuple[int, int] = (0, 0),
    ) -> None:
        self.version = version
        self.unlisted_open = unlisted_open
        self._principals = dict(principals)
        self._exact = dict(exact)
        self._patterns = [
            (kind, re.compile(fnmatch.translate(pattern)), grants)
            for kind, pattern, grants in patterns
        ]
        self._matched: OrderedDict[tuple[TargetKind, str], tuple[Grant, ...] | None] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def build(
        cls,
        people: Iterable[Person],
        groups: Iterable[Group],
        rules: Iterable[AccessRule],
        *,
        unlisted_open: bool = True,
        version: tuple[int, int] = (0, 0),
    ) -> DirectoryIndex:
        """Resolve nested groups and index the rules (groups must hold no cycle)."""
        by_id = {group.id: group for group in groups}
        ancestors = _ancestors(by_id)
        person_groups: dict[str, set[str]] = defaultdict(set)
        for group in by_id.values():
            for member in group.people:
                person_groups[member].add(group.id)
        principals: dict[str, Principal] = {}
        for person in people:
            direct = person_groups.get(person.id, set())
            every = set(direct).union(*(ancestors[g] for g in direct if g in ancestors))
            principals[person.id] = Principal(
                id=person.id,
                clearance=_highest(person.clearance, _clearances(by_id, every)),
                subjects=frozenset({person.id, *(group_subject(g) for g in every)}),
                disabled=person.disabled,
            )
        for group in by_id.values():
            team = group_subject(group.id)
            every = {group.id, *ancestors.get(group.id, ())}
            principals[team] = Principal(
                id=team,
                clearance=_highest(None, _clearances(by_id, every)),
                subjects=frozenset(group_subject(g) for g in every),
            )
        exact: dict[tuple[TargetKind, str], tuple[Grant, ...]] = {}
        patterns: list[tuple[TargetKind, str, tuple[Grant, ...]]] = []
        for rule in rules:
            if not rule.grants:
                continue  # a rule without grants is no rule (the store keeps none)
            if _is_pattern(rule.pattern):
                patterns.append((rule.kind, rule.pattern, rule.grants))
            else:
                exact[rule.kind, rule.pattern] = rule.grants
        return cls(principals, exact, patterns, unlisted_open=unlisted_open, version=version)

    def principal(self, requester: str) -> Principal | None:
        """The person (or ``group:<team>``) named ``requester``, if the directory has them."""
        return self._principals.get(requester)

    def grants(self, kind: TargetKind, target: str) -> tuple[Grant, ...] | None:
        """Every grant on ``target``: its own list and every matching pattern's; None when
        no rule names it (it is unlisted)."""
        key = (kind, target)
        with self._lock:
            if key in self._matched:
                self._matched.move_to_end(key)
                return self._matched[key]
        own = self._exact.get(key)
        found: list[Grant] = list(own or ())
        listed = own is not None
        for pattern_kind, compiled, grants in self._patterns:
            if pattern_kind is kind and compiled.match(target):
                found.extend(grants)
                listed = True
        result = tuple(found) if listed else None
        with self._lock:
            self._matched[key] = result
            if len(self._matched) > PATTERN_CACHE_SIZE:
                self._matched.popitem(last=False)
        return result

    def grants_of(self, kind: TargetKind, target: str) -> tuple[Grant, ...] | None:
        """A target's own access list (without what patterns add), or None."""
        return self._exact.get((kind, target))

    def level(self, principal: Principal, kind: TargetKind, target: str) -> AccessLevel | None:
        """The highest level ``principal`` holds on ``target`` (None: nothing), or for an
        unlisted target, ``admin`` when unlisted targets are open and None otherwise."""
        grants = self.grants(kind, target)
        if grants is None:
            return AccessLevel.ADMIN if self.unlisted_open else None
        held = [grant.level for grant in grants if grant.subject in principal.subjects]
        return max(held, key=lambda level: level.rank) if held else None

    def bound(
        self,
        humans: Iterable[str],
        action: ActionClass | None,
        label: Label,
        resource: str | None,
        tool: str,
        owner: str | None = None,
    ) -> Bound:
        """What every human in ``humans`` (the requester, or a task's owning team, and any
        other person of the delegation chain) allows for one call.

        ``owner``: the resource's owner (a person, or a group by its id), who holds
        admin on it whatever its access list says; their clearance still applies."""
        needs = LEVEL_FOR_ACTION.get(action, AccessLevel.ADMIN) if action else AccessLevel.ADMIN
        lowest: Label | None = None
        for human in humans:
            principal = self._principals.get(human)
            problem = _unknown(human, principal)
            if principal is not None and problem is None:
                lowest = (
                    principal.clearance
                    if lowest is None
                    else min(lowest, principal.clearance, key=lambda item: item.rank)
                )
                problem = self._missing(principal, needs, label, resource, tool, owner)
            if problem is not None:
                cleared, why = problem
                return Bound(lowest, cleared, False, needs, why)
        return Bound(lowest, True, True, needs)

    def may_delegate(
        self,
        human: str,
        classes: Mapping[ActionClass, Iterable[tuple[Label, str]]],
        tools: Iterable[tuple[ActionClass, Label, str]],
    ) -> str:
        """What ``human`` could not hand an agent, in one sentence (empty: nothing).

        A person can only give an agent work they could do: every tool a task names
        (``tools``: action class, label, name) must be one they may use themselves, and
        every action class it grants (``classes``: the tools of that class) one they
        may exercise on at least one tool. What the task then reaches is bounded, call
        by call, by its requester.
        """
        principal = self._principals.get(human)
        unknown = _unknown(human, principal)
        if unknown is not None:
            return unknown[1]
        assert principal is not None

        def usable(action: ActionClass, label: Label, tool: str) -> bool:
            needs = LEVEL_FOR_ACTION[action]
            return self._missing(principal, needs, label, None, tool) is None

        missing = [
            f"the action {action.value} (on none of its {len(options)} tools)"
            for action, found in classes.items()
            if (options := list(found)) and not any(usable(action, *o) for o in options)
        ]
        missing += [
            f"{tool} ({label.value})"
            for action, label, tool in tools
            if not usable(action, label, tool)
        ]
        if not missing:
            return ""
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        return (
            f"{human} may not use {', '.join(missing[:5])}{more} themselves (clearance "
            f"{principal.clearance.value}), so they cannot grant it to an agent"
        )

    def _missing(
        self,
        principal: Principal,
        needs: AccessLevel,
        label: Label,
        resource: str | None,
        tool: str,
        owner: str | None = None,
    ) -> tuple[bool, str] | None:
        """(cleared, why) for what ``principal`` lacks for the call, or None."""
        what = resource or tool
        if principal.clearance.rank < label.rank:
            why = (
                f"{principal.id} is cleared for {principal.clearance.value} data, and {what} is "
                f"{label.value}: the agent may not reach further than the person it works for"
            )
            return False, why
        targets = [(TargetKind.TOOL, tool)]
        if resource and not _owns(principal, owner):
            targets.insert(0, (TargetKind.RESOURCE, resource))
        for kind, target in targets:
            held = self.level(principal, kind, target)
            if held is None or held.rank < needs.rank:
                holds = f"holds {held.value}" if held else "holds no access"
                why = (
                    f"{principal.id} {holds} on {kind.value} {target}, and this call needs "
                    f"{needs.value}: the agent may not do what the person it works for cannot"
                )
                return True, why
        return None


def _owns(principal: Principal, owner: str | None) -> bool:
    if not owner:
        return False
    return owner in principal.subjects or group_subject(owner) in principal.subjects


def _unknown(human: str, principal: Principal | None) -> tuple[bool, str] | None:
    if principal is None:
        kind = "team" if human.startswith(GROUP_PREFIX) else "requester"
        return False, (
            f"{kind} {human} is not in the directory, so nothing bounds what its agent may "
            "reach: add them (proctor people add, proctor apply) or import the directory"
        )
    if principal.disabled:
        return False, f"requester {human} is disabled: their agents may not act for them"
    return None


def _clearances(groups: Mapping[str, Group], ids: Iterable[str]) -> list[Label | None]:
    return [groups[group].clearance for group in ids if group in groups]


def _is_pattern(value: str) -> bool:
    return any(character in value for character in "*?[")


def _highest(own: Label | None, others: Iterable[Label | None]) -> Label:
    labels = [label for label in (own, *others) if label is not None]
    return max(labels, key=lambda label: label.rank) if labels else DEFAULT_CLEARANCE


def _ancestors(groups: Mapping[str, Group]) -> dict[str, frozenset[str]]:
    """For each group, every group that contains it, directly or through others
    (breadth-first, so deep nesting needs no recursion; a cycle cannot loop it)."""
    parents: dict[str, set[str]] = defaultdict(set)
    for entry in groups.values():
        for member in entry.groups:
            parents[member].add(entry.id)
    found: dict[str, frozenset[str]] = {}
    for group_id in groups:
        seen: set[str] = set()
        queue = deque(parents.get(group_id, ()))
        while queue:
            parent = queue.popleft()
            if parent in seen or parent == group_id:
                continue
            seen.add(parent)
            queue.extend(parents.get(parent, ()))
        found[group_id] = frozenset(seen)
    return found
