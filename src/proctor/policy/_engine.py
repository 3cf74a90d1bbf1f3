"""The policy engine: load a policy set, know the inventory, judge calls."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import cedarpy

from proctor.model import Agent, Tool
from proctor.policy._arguments import ArgumentTypes, argument_types
from proctor.policy._compile import InvalidPolicies, PolicyInfo, compile_documents
from proctor.policy._explain import Explanation, explain
from proctor.policy._facts import PolicyInput, request
from proctor.policy._judge import Judgment, Run, decide
from proctor.policy._loaded import LoadedSet, State
from proctor.policy._reasons import placeholders
from proctor.policy._resources import default_documents
from proctor.policy._source import PolicyDocument

#: How many candidate slices (and Cedar handles for them) an engine keeps.
DEFAULT_CACHE_SIZE = 4096


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """How full the engine's bounded caches are, and how often the slice cache hit."""

    maxsize: int
    slices: int
    policy_sets: int
    entity_sets: int
    hits: int
    misses: int


class PolicyEngine:
    """Judges calls with Cedar: the default policies, plus any ``documents`` loaded.

    Loading replaces the whole set atomically; a set that fails to parse or
    validate raises :class:`InvalidPolicies` and leaves the previous set in force.
    Evaluation is safe from several threads.
    """

    def __init__(
        self,
        documents: Sequence[PolicyDocument] | None = None,
        *,
        include_defaults: bool = True,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        self._include_defaults = include_defaults
        self._cache_size = cache_size
        self._agents: dict[str, Agent] = {}
        self._tools: dict[str, Tool] = {}
        self._documents: tuple[PolicyDocument, ...] = ()
        self._arguments: ArgumentTypes = ()
        self._version = 0
        self._lock = threading.Lock()
        self._state: State | None = None
        self.load(documents or ())

    @property
    def version(self) -> int:
        """Goes up by one each time a policy set is loaded."""
        return self._version

    @property
    def arguments(self) -> ArgumentTypes:
        """The tool arguments policies may judge (``context.args``), from the catalog."""
        return self._arguments

    def load(self, documents: Sequence[PolicyDocument]) -> None:
        """Compile and validate ``documents`` (after the defaults) and make them the set."""
        loaded = self._compiled(documents, self._arguments)
        with self._lock:
            self._documents = tuple(documents)
            self._state = State(loaded, self._agents, self._tools, self._cache_size)
            self._version += 1

    def set_inventory(self, agents: Iterable[Agent], tools: Iterable[Tool]) -> None:
        """The agents and tools calls will name; their entities are built once, here.

        When the catalog declares other policy arguments than before, the policy set
        is validated again for them (raising :class:`InvalidPolicies` and keeping the
        previous state when a policy no longer fits)."""
        tools = list(tools)
        arguments = argument_types(tools)
        loaded = (
            self._compiled(self._documents, arguments)
            if arguments != self._arguments
            else self._current.loaded
        )
        with self._lock:
            self._agents = {agent.id: agent for agent in agents}
            self._tools = {tool.name: tool for tool in tools}
            if arguments != self._arguments:
                self._arguments = arguments
                self._version += 1
            self._state = State(loaded, self._agents, self._tools, self._cache_size)

    def _compiled(self, documents: Sequence[PolicyDocument], arguments: ArgumentTypes) -> LoadedSet:
        every = [*(default_documents() if self._include_defaults else ()), *documents]
        policies, diagnostics = compile_documents(every, arguments)
        if diagnostics:
            raise InvalidPolicies(diagnostics)
        return LoadedSet(policies, self._cache_size)

    def policies(self) -> list[PolicyInfo]:
        """The loaded policies, in the order they were loaded."""
        return list(self._current.loaded.infos)

    def policy(self, policy_id: str) -> PolicyInfo | None:
        """The loaded policy with id ``policy_id``, if there is one."""
        return self._current.loaded.by_id.get(policy_id)

    def evaluate(self, facts: PolicyInput, *, sliced: bool = True) -> Judgment:
        """Judge one call: allow, require_approval or deny, with reasons.

        ``sliced=False`` hands Cedar every policy instead of the candidates; the
        judgment is the same, only slower (it exists to prove that).
        """
        state = self._current
        loaded = state.loaded
        positions, handle = loaded.slice(facts) if sliced else loaded.everything()
        entities = state.entities_for(facts)

        def evaluate(approved: bool) -> Run:
            return state.run(handle, facts, entities, approved)

        values = placeholders(facts)
        return decide(evaluate, facts.approved, loaded.infos, values, len(positions))

    def cedar_inputs(
        self, facts: PolicyInput, *, approved: bool = False
    ) -> tuple[dict[str, Any], cedarpy.Entities]:
        """The Cedar request and entity set :meth:`evaluate` hands Cedar for ``facts``.

        For comparisons with raw Cedar (the benchmark) and for debugging a policy
        outside Proctor; the judgment itself should always come from :meth:`evaluate`.
        """
        state = self._current
        keys = state.loaded.context_keys
        return request(facts, approved=approved, keys=keys), state.entities_for(facts)

    def explain(self, facts: PolicyInput) -> Explanation:
        """The judgment for ``facts`` with every candidate and matching policy behind it."""
        return explain(self._current, facts, self.evaluate(facts))

    def cache_info(self) -> CacheInfo:
        """The sizes of the bounded caches (none exceeds ``maxsize``)."""
        state = self._current
        slices = state.loaded.slices
        return CacheInfo(
            self._cache_size,
            len(slices),
            len(state.loaded.sets),
            len(state.deltas),
            slices.hits,
            slices.misses,
        )

    @property
    def _current(self) -> State:
        state = self._state
        if state is None:
            raise RuntimeError("the policy engine has no policy set loaded")
        return state
