"""The knobs of behavioural baselines, with the defaults ``docs/monitoring.md`` explains."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta

from proctor.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class BaselineSettings:
    """How an agent's baseline learns and how much of it is kept.

    An agent is learning until it has made ``learning_calls`` calls *and* been active
    for ``learning_period`` (so that its baseline has seen at least one daily cycle).
    """

    learning_calls: int = 300
    learning_period: timedelta = timedelta(hours=24)
    #: The lowest anomaly score a learning agent's calls get.
    learning_floor: float = 0.5
    #: Tools remembered per agent (the most used, by decayed count).
    max_tools: int = 64
    #: Delegates (sub-agents) remembered per agent.
    max_delegates: int = 16
    #: Recent calls kept per agent, for short-horizon rates and evidence.
    recent_calls: int = 16
    #: After this many of the agent's calls, an old call weighs half in the mix.
    mix_half_life_calls: int = 1500
    #: Time constants of the fast and slow call-rate averages.
    fast_rate_window: timedelta = timedelta(hours=1)
    slow_rate_window: timedelta = timedelta(hours=24)
    #: Agents kept in memory (about 20 KB each, 90 KB at the bounds); the least
    #: recently seen are saved and dropped, and reloaded from the store when they return.
    max_agents: int = 2_000
    # Derived once, read on every call.
    fast_tau_s: float = field(init=False, repr=False, compare=False)
    slow_tau_s: float = field(init=False, repr=False, compare=False)
    learning_period_s: float = field(init=False, repr=False, compare=False)
    mix_decay: float = field(init=False, repr=False, compare=False)
    mix_beta: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.learning_calls < 1 or self.learning_period < timedelta(0):
            raise InvalidInput("the learning period needs at least one call and no negative time")
        if not 0.0 <= self.learning_floor <= 1.0:
            raise InvalidInput("learning_floor must be between 0 and 1")
        if self.max_tools < 4 or self.max_delegates < 1 or not 8 <= self.recent_calls <= 64:
            raise InvalidInput("max_tools >= 4, max_delegates >= 1, 8 <= recent_calls <= 64")
        if self.mix_half_life_calls < 10 or self.max_agents < 1:
            raise InvalidInput("mix_half_life_calls >= 10 and max_agents >= 1")
        if self.fast_rate_window <= timedelta(0) or self.slow_rate_window <= timedelta(0):
            raise InvalidInput("the rate windows must be positive")
        derived = {
            "fast_tau_s": self.fast_rate_window.total_seconds(),
            "slow_tau_s": self.slow_rate_window.total_seconds(),
            "learning_period_s": self.learning_period.total_seconds(),
            # Per-call growth of the newest call's weight (the inverse of the decay),
            # and the matching EWMA weight of one call.
            "mix_decay": 2.0 ** (1.0 / self.mix_half_life_calls),
            "mix_beta": 1.0 - 2.0 ** (-1.0 / self.mix_half_life_calls),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    @property
    def forget_weight(self) -> float:
        """Below this weight (in calls) a tool or delegate is forgotten: about
        fourteen half-lives without use."""
        return _FORGET_WEIGHT


_FORGET_WEIGHT = math.exp(-10.0)
