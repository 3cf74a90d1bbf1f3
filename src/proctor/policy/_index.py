"""Slicing: find the few policies whose scope can match a call.

Cedar evaluates every policy it is handed, so the engine hands it only the
candidates. A policy's scope (principal, action, resource) is a conjunction Cedar
checks before any condition, so a policy whose scope cannot match is never
satisfied and never errors: leaving it out changes nothing but the cost.

Each scope becomes a key: "any", "is <Type>", or the entity it names (for ``==``,
``in`` and ``is ... in``). A call looks up its own keys: any, its type, its
entity, and that entity's ancestors (agent groups, action groups, tool patterns).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase

from cedarpy import pst

Key = tuple[str, str]

ANY: Key = ("*", "")
_WILDCARD = re.compile(r"[*?\[]")


def _uid_key(uid: pst.EntityUid) -> Key:
    return (str(uid.type), uid.id)


def scope_key(constraint: pst.PrincipalOrResourceConstraint) -> Key:
    """The index key of a principal or resource scope."""
    match constraint:
        case pst.ScopeAny():
            return ANY
        case pst.ScopeIs(entity_type=entity_type):
            return ("is", str(entity_type))
        case pst.ScopeEq(entity=pst.EntityUid() as uid):
            return _uid_key(uid)
        case pst.ScopeIn(entity=pst.EntityUid() as uid):
            return _uid_key(uid)
        case pst.ScopeIsIn(entity=pst.EntityUid() as uid):
            return _uid_key(uid)
    raise ValueError(f"a template slot cannot be indexed: {constraint}")


def action_keys(constraint: pst.ActionConstraint) -> tuple[Key, ...]:
    """The index keys of an action scope: one per action or group it names."""
    match constraint:
        case pst.ActionEq(entity=uid):
            return (_uid_key(uid),)
        case pst.ActionIn(entities=uids):
            return tuple(_uid_key(uid) for uid in uids)
    return (ANY,)


def tool_patterns(templates: Iterable[pst.Template]) -> list[str]:
    """The ``ToolPattern`` ids that resource scopes name, in first-seen order."""
    found: dict[str, None] = {}
    for template in templates:
        key = scope_key(template.resource)
        if key[0] == "ToolPattern":
            found[key[1]] = None
    return list(found)


class PatternMatcher:
    """Which tool patterns (fnmatch style, case-sensitive) match a tool name.

    Patterns are filed under their literal prefix, so matching a name costs one
    lookup per prefix of the name rather than one test per pattern.
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        self._by_prefix: dict[str, list[str]] = defaultdict(list)
        for pattern in patterns:
            wildcard = _WILDCARD.search(pattern)
            prefix = pattern[: wildcard.start()] if wildcard else pattern
            self._by_prefix[prefix].append(pattern)

    def matching(self, name: str) -> list[str]:
        """The patterns that match ``name``."""
        found: list[str] = []
        for end in range(len(name) + 1):
            for pattern in self._by_prefix.get(name[:end], ()):
                if fnmatchcase(name, pattern):
                    found.append(pattern)
        return found


class ScopeIndex:
    """Policy positions filed by principal key, then action key, then resource key."""

    def __init__(self, templates: Sequence[pst.Template]) -> None:
        self._tree: dict[Key, dict[Key, dict[Key, list[int]]]] = {}
        for position, template in enumerate(templates):
            principal = scope_key(template.principal)
            resource = scope_key(template.resource)
            by_action = self._tree.setdefault(principal, {})
            for action in action_keys(template.action):
                by_action.setdefault(action, {}).setdefault(resource, []).append(position)

    def candidates(
        self, principals: Sequence[Key], actions: Sequence[Key], resources: Sequence[Key]
    ) -> tuple[int, ...]:
        """The sorted positions of every policy whose scope may match these keys."""
        found: set[int] = set()
        for principal in principals:
            by_action = self._tree.get(principal)
            if by_action is None:
                continue
            for action in actions:
                by_resource = by_action.get(action)
                if by_resource is None:
                    continue
                for resource in resources:
                    found.update(by_resource.get(resource, ()))
        return tuple(sorted(found))


def principal_keys(agent_id: str, groups: Iterable[str]) -> list[Key]:
    """The keys a call's agent matches: any, its type, itself, its groups."""
    return [ANY, ("is", "Agent"), ("Agent", agent_id), *(("AgentGroup", g) for g in groups)]


def action_lookup_keys(action: str, groups: Iterable[str]) -> list[Key]:
    """The keys a call's action matches: any, itself, its action groups."""
    return [ANY, ("Action", action), *(("Action", group) for group in groups)]


def resource_keys(tool_name: str, patterns: Iterable[str]) -> list[Key]:
    """The keys a call's tool matches: any, its type, itself, its patterns."""
    return [ANY, ("is", "Tool"), ("Tool", tool_name), *(("ToolPattern", p) for p in patterns)]
