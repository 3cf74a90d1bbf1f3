"""Behavioural baselines for every agent: anomaly facts before a call, learning after.

Thread-safe: one lock guards the in-memory profiles; each operation holds it for a
few microseconds and never does I/O under it. Only a cache miss (an agent not in
memory) reads the store, once; saving happens in :meth:`Baselines.flush`, each
agent's at most once per :data:`SAVE_EVERY_S` (and everything on close).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from proctor.errors import StoreError
from proctor.model import HIGH_RISK_ACTIONS, ActionClass, Label, Outcome
from proctor.monitor._facts import AnomalyFacts, Observation, OutcomeObservation
from proctor.monitor._monitor_store import BaselineStore
from proctor.monitor._profile import KEY_TIMES, UNCLASSIFIED, AgentProfile
from proctor.monitor._scoring import ahead, assess_rated, judge, prepare, screen
from proctor.monitor._settings import BaselineSettings

_log = logging.getLogger("proctor.monitor")
_RANK = {label: rank for rank, label in enumerate(Label)}
_LABEL_NAMES = [str(label) for label in Label]
_HIGH_RISK = frozenset(HIGH_RISK_ACTIONS)
#: Each action class's key in the baseline and whether it is high-risk (a tool missing
#: from the inventory, action None, counts as high-risk).
_ACTIONS: dict[ActionClass | None, tuple[str, bool]] = {
    None: (UNCLASSIFIED, True),
    **{action: (action.value, action in _HIGH_RISK) for action in ActionClass},
}
#: Calls scoring at least this enter the baseline at :data:`DAMPENED_WEIGHT`.
DAMPEN_ABOVE = 0.5
DAMPENED_WEIGHT = 0.1
#: A baseline in steady use is saved at most this often (seconds): it is kept for a
#: restart, and learning lost to a crash is at most this much. Saving every agent
#: that changed at every flush (every 5 s) held the lock the checks' anomaly facts
#: need, and the store's write lock, for tens of milliseconds with 1,000 agents.
SAVE_EVERY_S = 60.0


#: A decided call as the baseline learns it: tool, action key, high-risk, label rank,
#: epoch seconds, fingerprint, denied.
_Call = tuple[str, str, bool, int, float, int | None, bool]


class _Unrated:
    """The type of :data:`_UNRATED`."""


#: A call's rate ratios are not computed yet (the profile computes them as it learns).
_UNRATED = _Unrated()


class Baselines:
    """What normal looks like for each agent, learned from its own calls.

    The gateway calls :meth:`facts` before deciding a call (pure memory, a few µs) and
    :meth:`observe` after (a few µs; it may do so after replying). :meth:`flush`
    saves the agents that changed; call it on a timer and on close.
    """

    def __init__(
        self,
        store: BaselineStore | None = None,
        settings: BaselineSettings | None = None,
        *,
        save_every_s: float = SAVE_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._store = store
        self._save_every_s = save_every_s
        self._clock = clock
        #: When each agent's baseline was last saved (clock seconds), for a while.
        self._saved_at: dict[str, float] = {}
        self._settings = settings or BaselineSettings()
        prepare(max(self._settings.recent_calls, KEY_TIMES))
        self._lock = threading.Lock()
        self._profiles: OrderedDict[str, AgentProfile] = OrderedDict()
        self._dirty: set[str] = set()
        # Evicted agents not saved yet: written by the next flush, reloaded from here.
        self._evicted: dict[str, dict[str, Any]] = {}
        # Agents with a stored baseline, read once: an agent not among them is new, and
        # its first call need not ask the store (a per-call read would cost more than
        # everything else the monitor does). None: unknown, so every miss asks.
        self._stored: set[str] | None = self._stored_agents()

    @property
    def settings(self) -> BaselineSettings:
        return self._settings

    def facts(
        self,
        agent: str,
        tool: str,
        action: ActionClass | None,
        label: Label,
        at: datetime,
        *,
        delegated_to: str | None = None,
        call_key: str | None = None,
    ) -> AnomalyFacts:
        """The anomaly facts of a call about to be decided; changes nothing.

        ``call_key`` is the call's fingerprint (see :class:`Observation`), if known.
        """
        call = (
            tool,
            *_action_info(action),
            _RANK[label],
            _epoch(at),
            delegated_to,
            None if call_key is None else fingerprint(tool, call_key),
            self._settings,
        )
        return self._judged(agent, judge, call)

    def screen(
        self,
        agent: str,
        tool: str,
        action: ActionClass | None,
        label: Label,
        at: datetime,
        *,
        delegated_to: str | None = None,
    ) -> AnomalyFacts:
        """The facts of a call about to be decided, as the hot path needs them (a few
        µs; changes nothing): novelty, labels and delegation as :meth:`facts` judges
        them; the rate, burst or loop and denial evidence as :meth:`learn` found it for
        the agent's latest call (rate and pace only if that call was made within a
        minute), not recomputed. See ``docs/monitoring.md``."""
        action_key, high_risk = _action_info(action)
        rank = _RANK[label]
        moment = _epoch(at)
        settings = self._settings
        with self._lock:
            profile = self._profiles.get(agent)
            if profile is not None:
                self._profiles.move_to_end(agent)
                return screen(
                    profile, tool, action_key, high_risk, rank, moment, delegated_to, settings
                )
        profile = self._profile(agent)
        with self._lock:
            return screen(
                profile, tool, action_key, high_risk, rank, moment, delegated_to, settings
            )

    def _judged(
        self, agent: str, how: Callable[..., AnomalyFacts], call: tuple[Any, ...]
    ) -> AnomalyFacts:
        """``how(profile, *call)`` on the agent's profile, under the lock (the profile
        is loaded, or started, outside it)."""
        with self._lock:
            profile = self._profiles.get(agent)
            if profile is not None:
                self._profiles.move_to_end(agent)
                return how(profile, *call)
        profile = self._profile(agent)
        with self._lock:
            return how(profile, *call)

    def learn(self, observation: Observation) -> AnomalyFacts:
        """Judge a decided call exactly as :meth:`facts` would have just before it, then
        learn from it as :meth:`observe` does with those facts; returns them. Its burst
        or loop evidence is kept for :meth:`screen` to carry to the agent's next call."""
        agent = observation.agent
        call = _call(observation)
        with self._lock:
            profile = self._profiles.get(agent)
            if profile is not None:
                self._profiles.move_to_end(agent)
                facts = self._learn_call(profile, call, observation.delegated_to)
                self._dirty.add(agent)
                return facts
        profile = self._profile(agent)
        with self._lock:
            self._attach(agent, profile)
            facts = self._learn_call(profile, call, observation.delegated_to)
            self._dirty.add(agent)
        return facts

    def _learn_call(self, profile: AgentProfile, call: _Call, delegate: str | None) -> AnomalyFacts:
        """Under the lock: :meth:`learn` on the agent's profile. The call's rate ratios
        are computed once, for judging it and for learning from it (the profile does
        not change in between)."""
        settings = self._settings
        tool, action, high_risk, rank, moment, key, _ = call
        reference = profile.reference_rate(moment, settings)
        ratios = profile.log_rate_ratios(moment, reference)
        facts, pace = assess_rated(
            profile,
            tool,
            action,
            high_risk,
            rank,
            moment,
            delegate,
            key,
            settings,
            reference,
            ratios,
        )
        # The first call starts the rates before it is observed: its ratios are
        # computed again then (there are none: no call came before it).
        rated = ratios if profile.first_at is not None else _UNRATED
        self._observe(profile, call, delegate, facts, rated)
        profile.ahead = ahead(profile, moment, facts.rate_zscore, pace, settings)
        return facts

    def observe(self, observation: Observation, facts: AnomalyFacts | None = None) -> None:
        """Learn from one decided call; pass the call's ``facts`` so that a call that
        looked anomalous is learned at a tenth of the weight (see the docs)."""
        agent = observation.agent
        call = _call(observation)
        profile = self._profile(agent)
        with self._lock:
            self._attach(agent, profile)
            self._observe(profile, call, observation.delegated_to, facts, _UNRATED)
            self._dirty.add(agent)

    def _observe(
        self,
        profile: AgentProfile,
        call: _Call,
        delegate: str | None,
        facts: AnomalyFacts | None,
        ratios: list[float] | _Unrated | None,
    ) -> None:
        """Under the lock: one call into ``profile``, dampened if ``facts`` say so or if
        a recent call of its tool scored as anomalous (the rest of an episode).
        ``ratios``: the call's log rate ratios, if already computed on this profile."""
        tool, action, high_risk, rank, moment, key, denied = call
        weight = 1.0
        if facts is not None and not facts.learning and facts.anomaly_score >= DAMPEN_ABOVE:
            weight = DAMPENED_WEIGHT
            if high_risk:
                profile.mark_suspect(tool)
        elif profile.suspects and profile.suspect(tool):
            weight = DAMPENED_WEIGHT
        settings = self._settings
        if isinstance(ratios, _Unrated):
            profile.observe(tool, action, rank, denied, moment, delegate, settings, weight, key)
        else:
            profile.observe_rated(
                tool, action, rank, denied, moment, delegate, settings, weight, key, ratios
            )

    def observe_outcome(self, outcome: OutcomeObservation) -> None:
        """Learn whether a call the agent ran failed."""
        agent = outcome.agent
        with self._lock:
            profile = self._profiles.get(agent)
            if profile is not None:
                self._profiles.move_to_end(agent)
                profile.observe_outcome(outcome.tool, outcome.failed, self._settings)
                self._dirty.add(agent)
                return
        profile = self._profile(agent)
        with self._lock:
            self._attach(agent, profile)
            profile.observe_outcome(outcome.tool, outcome.failed, self._settings)
            self._dirty.add(agent)

    def describe(self, agent: str) -> dict[str, Any]:
        """The agent's baseline as JSON-able evidence: what its normal looks like and
        its most recent calls."""
        profile = self._profile(agent)
        with self._lock:
            return _describe(profile, self._settings)

    def state(self, agent: str) -> dict[str, Any]:
        """The agent's baseline exactly as it is saved (JSON-able)."""
        profile = self._profile(agent)
        with self._lock:
            return profile.to_state()

    def flush(self, *, everything: bool = False) -> int:
        """Save the agents whose baseline changed since they were last saved and that
        were not saved in the last :data:`SAVE_EVERY_S` (``everything``: every changed
        one; agents evicted from memory always); returns how many.

        Each agent's state is taken under the lock on its own, so a check waits for
        one, not for all. A failed save keeps them for the next flush and raises
        :class:`StoreError`.
        """
        now = self._clock()
        since = now - self._save_every_s
        with self._lock:
            states = dict(self._evicted)
            self._evicted.clear()
            saved_at = self._saved_at
            due = [
                agent
                for agent in self._dirty
                if everything or saved_at.get(agent, float("-inf")) <= since
            ]
        for agent in due:
            with self._lock:
                profile = self._profiles.get(agent)
                if profile is not None and agent in self._dirty:
                    states[agent] = profile.to_state()
                    self._dirty.discard(agent)
        if self._store is None or not states:
            return len(states) if self._store is not None else 0
        try:
            self._store.save_many(states)
            if self._stored is not None:
                self._stored.update(states)
            self._saved(states, now, since)
        except StoreError:
            with self._lock:
                for agent, state in states.items():
                    if agent in self._profiles:
                        self._dirty.add(agent)
                    else:
                        self._evicted.setdefault(agent, state)
            raise
        return len(states)

    def _saved(self, states: dict[str, Any], now: float, since: float) -> None:
        with self._lock:
            for agent in states:
                self._saved_at[agent] = now
            # Older entries change nothing: their agents are due anyway.
            self._saved_at = {a: at for a, at in self._saved_at.items() if at > since}

    def forget(self, agent: str) -> None:
        """Drop an agent's baseline (memory and store): it starts learning again."""
        with self._lock:
            self._profiles.pop(agent, None)
            self._dirty.discard(agent)
            self._evicted.pop(agent, None)
        if self._store is not None:
            self._store.delete(agent)
            if self._stored is not None:
                self._stored.discard(agent)

    def agents_in_memory(self) -> int:
        """How many agents' baselines are held in memory (at most ``max_agents``)."""
        with self._lock:
            return len(self._profiles)

    def _attach(self, agent: str, profile: AgentProfile) -> None:
        """Under the lock: make ``profile`` the agent's held one and the most recent,
        even if another thread evicted it since it was fetched."""
        if self._profiles.get(agent) is not profile:
            self._profiles[agent] = profile
            self._evicted.pop(agent, None)
            self._trim()
        else:
            self._profiles.move_to_end(agent)

    def _trim(self) -> None:
        while len(self._profiles) > self._settings.max_agents:
            evicted, old = self._profiles.popitem(last=False)
            if evicted in self._dirty:
                self._dirty.discard(evicted)
                self._evicted[evicted] = old.to_state()

    def _profile(self, agent: str) -> AgentProfile:
        """The agent's profile, loading it (outside the lock) on a miss."""
        with self._lock:
            profile = self._profiles.get(agent)
            if profile is not None:
                return profile
            pending = self._evicted.pop(agent, None)
            if pending is not None:
                self._dirty.add(agent)
        state = pending if pending is not None else self._load(agent)
        loaded = self._restore(agent, state)
        with self._lock:
            profile = self._profiles.get(agent)
            if profile is not None:  # another thread won the race
                return profile
            self._profiles[agent] = loaded
            self._trim()
            return loaded

    def _stored_agents(self) -> set[str] | None:
        if self._store is None:
            return None
        try:
            return self._store.stored_agents()
        except StoreError:
            _log.exception("could not list stored baselines; each is read on first use")
            return None

    def _load(self, agent: str) -> dict[str, Any] | None:
        if self._store is None:
            return None
        stored = self._stored
        if stored is not None and agent not in stored:
            return None
        try:
            return self._store.load(agent)
        except StoreError:
            # Fail closed: an agent whose baseline cannot be read starts learning.
            _log.exception("could not load the baseline of %s; it starts learning", agent)
            return None

    def _restore(self, agent: str, state: dict[str, Any] | None) -> AgentProfile:
        if state is None:
            return AgentProfile(self._settings)
        try:
            return AgentProfile.from_state(state, self._settings)
        except (KeyError, TypeError, ValueError, IndexError):
            _log.warning("the stored baseline of %s is malformed; it starts learning", agent)
            return AgentProfile(self._settings)


def fingerprint(tool: str, call_key: str) -> int:
    """A call's fingerprint as the baseline keeps it, in memory only: the hash of its
    tool and key (Python's, so it differs between processes; saved baselines keep no
    fingerprints)."""
    return hash((tool, call_key))


def _call(observation: Observation) -> _Call:
    """The call an observation reports, as the baseline learns it."""
    call_key = observation.call_key
    tool = observation.tool
    action, high_risk = _action_info(observation.action)
    return (
        tool,
        action,
        high_risk,
        _RANK[observation.label],
        _epoch(observation.at),
        None if call_key is None else fingerprint(tool, call_key),
        observation.outcome is Outcome.DENY,
    )


def _action_info(action: ActionClass | None) -> tuple[str, bool]:
    """The action's key in the baseline (``unclassified`` for None) and whether it is
    high-risk."""
    try:
        return _ACTIONS[action]
    except KeyError:  # not an ActionClass: judged as the class it claims to be
        return action.value, action in _HIGH_RISK  # type: ignore[union-attr]


def _epoch(at: datetime) -> float:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.timestamp()


def _describe(profile: AgentProfile, settings: BaselineSettings) -> dict[str, Any]:
    total = profile.total or 1.0
    top_tools = sorted(profile.tools.items(), key=lambda item: -item[1])[:10]
    normal = profile.normal_max_label()
    now = profile.recent[-1][0] if profile.recent else 0.0
    return {
        "calls": profile.calls,
        "learning": profile.is_learning(now, settings),
        "calls_per_hour": round(profile.reference_rate(now, settings) * 3600.0, 2),
        "tools": {tool: round(weight / total, 4) for tool, weight in top_tools},
        "action_classes": {
            action: round(weight / total, 4)
            for action, weight in sorted(profile.actions.items(), key=lambda item: -item[1])
        },
        "labels": {
            name: round(weight / total, 4)
            for name, weight in zip(_LABEL_NAMES, profile.labels, strict=True)
        },
        "normal_max_label": _LABEL_NAMES[normal] if normal >= 0 else None,
        "deny_rate": round(profile.deny_share, 4),
        "error_rate": round(profile.error_share, 4),
        "recent_calls": [
            {
                "at": datetime.fromtimestamp(at, UTC).isoformat(),
                "tool": tool,
                "action": action,
                "label": _LABEL_NAMES[rank],
                "denied": denied,
            }
            for at, tool, action, rank, denied in profile.recent
        ],
    }
