"""A loaded policy set and inventory, as the Cedar handles that evaluate calls.

Everything Cedar needs is parsed once and reused: the schema per process, the
entities per inventory (and policy set, since tool patterns become parents), and
one policy-set handle per distinct candidate slice, kept in a bounded LRU.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import cedarpy
from cedarpy import pst

from proctor.model import Agent, Tool
from proctor.policy._compile import CompiledPolicy
from proctor.policy._facts import (
    PolicyInput,
    action_groups,
    agent_entities,
    context_keys,
    pattern_entities,
    request,
    tool_entity,
)
from proctor.policy._index import (
    PatternMatcher,
    ScopeIndex,
    action_lookup_keys,
    principal_keys,
    resource_keys,
    tool_patterns,
)
from proctor.policy._judge import Run, read_result
from proctor.policy._lru import LRU
from proctor.policy._resources import schema


class LoadedSet:
    """An immutable compiled policy set, its index and its caches of Cedar handles."""

    def __init__(self, policies: Sequence[CompiledPolicy], cache_size: int) -> None:
        self.infos = tuple(policy.info for policy in policies)
        #: The context attributes the policies read (None: all of them).
        self.context_keys = context_keys(info.text for info in self.infos)
        self.by_id = {info.id: info for info in self.infos}
        # Cedar names each policy ``p<position>``, so its answers map straight back.
        self.templates = tuple(
            replace(policy.template, id=f"p{position}") for position, policy in enumerate(policies)
        )
        self.index = ScopeIndex(self.templates)
        self.patterns = tool_patterns(self.templates)
        self.matcher = PatternMatcher(self.patterns)
        self.slices: LRU[tuple[Any, ...], tuple[tuple[int, ...], cedarpy.PolicySet]] = LRU(
            cache_size
        )
        self.sets: LRU[tuple[int, ...], cedarpy.PolicySet] = LRU(cache_size)
        self._everything: tuple[tuple[int, ...], cedarpy.PolicySet] | None = None

    def policy_set(self, positions: Sequence[int]) -> cedarpy.PolicySet:
        static = {self.templates[p].id: self.templates[p] for p in positions}
        return cedarpy.PolicySet.from_pst(pst.PolicySet({}, static, ()))

    def everything(self) -> tuple[tuple[int, ...], cedarpy.PolicySet]:
        if self._everything is None:
            positions = tuple(range(len(self.templates)))
            self._everything = (positions, self.policy_set(positions))
        return self._everything

    def slice(self, facts: PolicyInput) -> tuple[tuple[int, ...], cedarpy.PolicySet]:
        """The candidate positions for ``facts`` and a Cedar handle holding just those."""
        agent = facts.agent
        key = (agent.id, agent.groups, facts.action, facts.tool_name)
        return self.slices.get_or_build(key, lambda: self._build_slice(facts))

    def _build_slice(self, facts: PolicyInput) -> tuple[tuple[int, ...], cedarpy.PolicySet]:
        positions = self.index.candidates(
            principal_keys(facts.agent.id, facts.agent.groups),
            action_lookup_keys(facts.action, action_groups(facts.action)),
            resource_keys(facts.tool_name, self.matcher.matching(facts.tool_name)),
        )
        return positions, self.sets.get_or_build(positions, lambda: self.policy_set(positions))


class State:
    """A loaded set plus an inventory, and the Cedar entities built from both."""

    def __init__(
        self, loaded: LoadedSet, agents: dict[str, Agent], tools: dict[str, Tool], cache_size: int
    ) -> None:
        self.loaded = loaded
        self.agents = agents
        self.tools = tools
        self.base = self._entities(agents.values(), tools.items())
        self.deltas: LRU[tuple[Any, ...], cedarpy.Entities] = LRU(cache_size)

    def _entities(
        self, agents: Iterable[Agent], tools: Iterable[tuple[str, Tool | None]], action: str = ""
    ) -> cedarpy.Entities:
        # Agents share their group entities; keep one of each.
        entities: dict[tuple[str, str], dict[str, Any]] = {}
        for agent in agents:
            for entity in agent_entities(agent):
                entities[entity["uid"]["type"], entity["uid"]["id"]] = entity
        document = [
            *entities.values(),
            *pattern_entities(self.loaded.patterns),
            *(
                tool_entity(name, tool, action, self.loaded.matcher.matching(name))
                for name, tool in tools
            ),
        ]
        return cedarpy.Entities.from_json_str(json.dumps(document), schema())

    def entities_for(self, facts: PolicyInput) -> cedarpy.Entities:
        """The inventory's entities, plus or overridden by the call's agent and tool."""
        known_agent = self.agents.get(facts.agent.id)
        known_tool = self.tools.get(facts.tool_name)
        if (
            known_tool is not None
            and (known_agent is facts.agent or known_agent == facts.agent)
            and (known_tool is facts.tool or known_tool == facts.tool)
        ):
            return self.base
        key = (facts.agent, facts.tool_name, facts.tool, facts.action)
        return self.deltas.get_or_build(key, lambda: self._call_entities(facts))

    def _call_entities(self, facts: PolicyInput) -> cedarpy.Entities:
        agent, name, tool = facts.agent, facts.tool_name, facts.tool
        known_agent, known_tool = self.agents.get(agent.id), self.tools.get(name)
        if known_agent not in (None, agent) or known_tool not in (None, tool):
            # The call disagrees with the inventory: rebuild with the call's view.
            agents = {**self.agents, agent.id: agent}
            tools: dict[str, Tool | None] = {**self.tools, name: tool}
            return self._entities(agents.values(), tools.items(), facts.action)
        delta: list[dict[str, Any]] = []
        if known_agent is None:
            delta.extend(agent_entities(agent))
        if known_tool is None:
            delta.append(tool_entity(name, tool, facts.action, self.loaded.matcher.matching(name)))
        return self.base.with_added_json_str(json.dumps(delta), schema())

    def run(
        self,
        handle: cedarpy.PolicySet,
        facts: PolicyInput,
        entities: cedarpy.Entities,
        approved: bool,
    ) -> Run:
        """One Cedar evaluation of ``facts`` against ``handle``."""
        # No schema here: Cedar would re-check the context's shape on every call
        # (it costs more than the evaluation), and the context is built from typed
        # facts in one place. The schema checks policies at load and entities here.
        cedar_request = request(facts, approved=approved, keys=self.loaded.context_keys)
        result = cedarpy.is_authorized(cedar_request, handle, entities)
        diagnostics = result.diagnostics
        return read_result(result.decision.value, diagnostics.reasons, diagnostics.errors)
