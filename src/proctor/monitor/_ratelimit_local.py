"""In-process rate limits: GCRA over a bounded table of buckets.

GCRA (the generic cell rate algorithm) keeps one number per bucket, the *theoretical
arrival time* (TAT): when the bucket would be full again if no more calls came. A
call at ``now`` moves it to ``max(TAT, now) + interval`` (``interval = period /
limit``) and is allowed if that is at most ``burst * interval`` ahead of ``now``. A
bucket whose TAT is in the past is full, exactly as if it did not exist, so it can
be dropped: that is what keeps memory bounded.

All times are whole microseconds (integers), so the N-th call of a burst is judged
exactly, with no floating-point drift.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from fnmatch import fnmatchcase
from operator import attrgetter

from proctor.monitor._ratelimit_result import CallKey, LimitResult
from proctor.monitor._ratelimit_rules import RateLimitRule, Scope, check_distinct

DEFAULT_MAX_KEYS = 100_000
_MAX_CACHED_TOOLS = 10_000
_MIN_SWEEP_AT = 1024
_SWEEP_COOLDOWN_US = 1_000_000
_NO_RULE = LimitResult(allowed=True)
_ZERO = timedelta(0)


def _global(_: CallKey) -> str:
    return ""


_SUBJECTS: dict[Scope, Callable[[CallKey], str]] = {
    Scope.AGENT: attrgetter("agent"),
    Scope.TASK: attrgetter("task"),
    Scope.REQUESTER: attrgetter("requester"),
    Scope.TOOL: attrgetter("tool"),
    Scope.GLOBAL: _global,
}


@dataclass(frozen=True, slots=True)
class Bucketing:
    """One rule, ready for counting: its GCRA constants and how a call picks its bucket."""

    number: int
    rule: RateLimitRule
    interval: int  # µs between calls at the sustained rate, rounded up
    window: int  # burst * interval: how far ahead of now the TAT may run
    subject: Callable[[CallKey], str]
    name: str  # short and stable, for keys in a shared store

    @classmethod
    def of(cls, number: int, rule: RateLimitRule) -> Bucketing:
        period_us = rule.period // timedelta(microseconds=1)
        # Rounding the interval up makes the sustained rate a hair (< 1 µs per call)
        # stricter than declared, never looser.
        interval = -(-period_us // rule.limit)
        digest = hashlib.blake2b(rule.id.encode(), digest_size=8).hexdigest()
        return cls(number, rule, interval, rule.allowance * interval, _SUBJECTS[rule.per], digest)


class RuleIndex:
    """Which rules apply to a tool name, cached per name (bounded)."""

    def __init__(self, rules: Iterable[RateLimitRule]) -> None:
        self.rules = check_distinct(rules)
        self._all = tuple(Bucketing.of(number, rule) for number, rule in enumerate(self.rules))
        self._by_tool: dict[str, tuple[Bucketing, ...]] = {}

    def matching(self, tool: str) -> tuple[Bucketing, ...]:
        found = self._by_tool.get(tool)
        if found is None:
            found = tuple(b for b in self._all if fnmatchcase(tool, b.rule.tool))
            # Tool names come from callers: never let them grow this without bound.
            if len(self._by_tool) >= _MAX_CACHED_TOOLS:
                self._by_tool.clear()
            self._by_tool[tool] = found
        return found


def refusal(bucketing: Bucketing, wait_us: int, call: CallKey) -> LimitResult:
    return LimitResult(
        allowed=False,
        rule=bucketing.rule,
        retry_after=timedelta(microseconds=wait_us),
        remaining=0,
        call=call,
    )


class LocalRateLimiter:
    """Rate limits counted in this process (GCRA), thread-safe, in bounded memory.

    At most ``max_keys`` buckets are tracked. Buckets that have refilled are dropped
    in sweeps (amortised, at most once a second once the table is half full). When
    the table is full of live buckets, a call that needs a *new* bucket is refused
    (``rate_limited``) until some drain; existing buckets keep counting. It is never
    unlimited. ``clock`` returns seconds (monotonic).
    """

    def __init__(
        self,
        rules: Iterable[RateLimitRule],
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = DEFAULT_MAX_KEYS,
    ) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self._index = RuleIndex(rules)
        self._clock = clock
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._tats: dict[tuple[int, str], int] = {}
        self._sweep_at = min(_MIN_SWEEP_AT, max_keys)
        self._next_sweep = 0
        self._earliest_drain = 0

    @property
    def rules(self) -> tuple[RateLimitRule, ...]:
        return self._index.rules

    @property
    def bucket_count(self) -> int:
        """How many buckets are held now (drained ones may linger until a sweep)."""
        return len(self._tats)

    def hit(self, call: CallKey) -> LimitResult:
        """Consume one unit from each matching rule's bucket, all or nothing."""
        matched = self._index.matching(call.tool)
        if not matched:
            return _NO_RULE
        now = round(self._clock() * 1_000_000)
        with self._lock:
            return self._hit(call, matched, now)

    def _hit(self, call: CallKey, matched: tuple[Bucketing, ...], now: int) -> LimitResult:
        tats = self._tats
        updates: list[tuple[Bucketing, tuple[int, str], int]] = []
        refused: Bucketing | None = None
        longest = 0
        remaining = -1
        for b in matched:
            key = (b.number, b.subject(call))
            tat = tats.get(key, now)
            new_tat = (tat if tat > now else now) + b.interval
            wait = new_tat - b.window - now
            if wait > 0:
                if wait > longest:
                    refused, longest = b, wait
            elif refused is None:
                updates.append((b, key, new_tat))
                left = (b.window - (new_tat - now)) // b.interval
                if remaining < 0 or left < remaining:
                    remaining = left
        if refused is not None:
            return refusal(refused, longest, call)
        fresh = [b for b, key, _ in updates if key not in tats]
        if fresh and not self._admit(len(fresh), now):
            return self._full(fresh[0], call, now)
        for _, key, new_tat in updates:
            tats[key] = new_tat
        return LimitResult(allowed=True, retry_after=_ZERO, remaining=remaining)

    def _admit(self, fresh: int, now: int) -> bool:
        if len(self._tats) + fresh > self._sweep_at and now >= self._next_sweep:
            self._sweep(now)
        return len(self._tats) + fresh <= self._max_keys

    def _sweep(self, now: int) -> None:
        tats = self._tats
        for key in [key for key, tat in tats.items() if tat <= now]:
            del tats[key]
        size = len(tats)
        self._sweep_at = min(max(2 * size, _MIN_SWEEP_AT), self._max_keys)
        self._earliest_drain = min(tats.values(), default=now)
        # A sweep costs O(table); once doubling no longer amortises it (the table is
        # more than half full of live buckets), sweep at most once a second.
        self._next_sweep = now + _SWEEP_COOLDOWN_US if 2 * size >= self._max_keys else now

    def _full(self, bucketing: Bucketing, call: CallKey, now: int) -> LimitResult:
        wait = max(self._next_sweep, self._earliest_drain, now + 1000) - now
        return LimitResult(
            allowed=False,
            rule=bucketing.rule,
            retry_after=timedelta(microseconds=wait),
            remaining=0,
            call=call,
            detail=(
                f"the rate limiter already tracks its maximum of {self._max_keys:,} "
                "buckets, so a call that needs a new one is refused"
            ),
        )
