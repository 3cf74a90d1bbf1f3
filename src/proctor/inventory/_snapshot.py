"""An immutable in-memory view of the inventory for the hot path."""

from __future__ import annotations

import fnmatch
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from proctor.model import Agent, Label, Resource, Tool

#: How many resolved resource ids a snapshot remembers (those matched by a pattern).
_RESOLVED_CACHE = 50_000


def is_resource_pattern(resource_id: str) -> bool:
    """Whether an inventory resource id is an fnmatch pattern (``file:*``)."""
    return any(character in resource_id for character in "*?[")


@dataclass(frozen=True, slots=True)
class InventorySnapshot:
    """Everything a check needs to look up, read without touching the store.

    A resource entry whose id is a pattern (``file:*``, ``repo:acme/*``) describes every
    resource it matches that has no entry of its own: thousands of files or
    repositories need one entry, not one each. The most specific pattern (the longest
    part before its first wildcard, then the longest) wins.
    """

    version: int = 0
    agents: Mapping[str, Agent] = field(default_factory=dict)
    tools: Mapping[str, Tool] = field(default_factory=dict)
    resources: Mapping[str, Resource] = field(default_factory=dict)
    _patterns: tuple[tuple[re.Pattern[str], Resource], ...] = field(default=(), repr=False)
    _resolved: OrderedDict[str, Resource | None] = field(
        default_factory=OrderedDict, repr=False, compare=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def of(
        cls,
        version: int,
        agents: Mapping[str, Agent],
        tools: Mapping[str, Tool],
        resources: Mapping[str, Resource],
    ) -> InventorySnapshot:
        patterns = sorted(
            (r for r in resources.values() if is_resource_pattern(r.id)),
            key=lambda r: (-len(re.split(r"[*?\[]", r.id, maxsplit=1)[0]), -len(r.id), r.id),
        )
        compiled = tuple((re.compile(fnmatch.translate(r.id)), r) for r in patterns)
        return cls(version, agents, tools, resources, compiled)

    def resource(self, resource_id: str) -> Resource | None:
        """The resource a call names: its own entry, else the most specific pattern entry
        matching it (carrying the call's id), else None (unknown)."""
        own = self.resources.get(resource_id)
        if own is not None or not self._patterns:
            return own
        with self._lock:
            if resource_id in self._resolved:
                return self._resolved[resource_id]
        found = next(
            (replace(entry, id=resource_id) for compiled, entry in self._patterns
             if compiled.match(resource_id)),
            None,
        )  # fmt: skip
        with self._lock:
            self._resolved[resource_id] = found
            if len(self._resolved) > _RESOLVED_CACHE:
                self._resolved.popitem(last=False)
        return found

    def data_label(self, tool: Tool, resource_id: str | None) -> Label:
        """The label of the data a call of ``tool`` on ``resource_id`` touches: the
        resource's, the tool's when it names none, and restricted for a resource that
        is not in the inventory (unknown data is the most sensitive kind: fail closed)."""
        if not resource_id:
            return tool.label
        resource = self.resource(resource_id)
        return resource.label if resource is not None else Label.RESTRICTED
