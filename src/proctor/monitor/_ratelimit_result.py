"""What a rate limiter is asked (a call's key) and what it answers (a result)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from proctor.monitor._ratelimit_rules import RateLimitRule, Scope

RATE_LIMITED = "rate_limited"
RATE_LIMITER_UNAVAILABLE = "rate_limiter_unavailable"
_ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class CallKey:
    """What the gateway knows about a call, as far as rate limits care."""

    agent: str
    task: str
    requester: str
    tool: str


@dataclass(frozen=True, slots=True)
class LimitResult:
    """The answer for one call.

    ``rule`` is the rule that refused it (the one with the longest wait when several
    did); ``retry_after`` is zero when allowed; ``remaining`` is how many more calls
    the tightest matching rule would allow now (``None`` when no rule matched or the
    limits could not be checked). ``unavailable`` means the limits could not be
    checked at all (the shared store did not answer), so the call is refused.
    """

    allowed: bool
    rule: RateLimitRule | None = None
    retry_after: timedelta = _ZERO
    remaining: int | None = None
    unavailable: bool = False
    call: CallKey | None = None
    detail: str = ""

    @property
    def code(self) -> str | None:
        """``rate_limited``, ``rate_limiter_unavailable``, or ``None`` when allowed."""
        if self.allowed:
            return None
        return RATE_LIMITER_UNAVAILABLE if self.unavailable else RATE_LIMITED

    def message(self) -> str:
        """A sentence a person can act on."""
        if self.allowed:
            return "within its rate limits"
        if self.unavailable:
            return (
                f"rate limits could not be checked ({self.detail}); calls are refused "
                "until the rate limiter answers again"
            )
        wait = wait_words(self.retry_after)
        if self.detail:
            return f"{self.detail}; try again in {wait}"
        if self.rule is None or self.call is None:
            return f"rate limited; try again in {wait}"
        return f"{_limited(self.rule, self.call)}; {_who(self.rule, self.call)} {wait}"


def _limited(rule: RateLimitRule, call: CallKey) -> str:
    if rule.tool == "*":
        subject = "tool calls are"
    elif rule.tool == call.tool:
        subject = f"{call.tool} is"
    else:
        subject = f"{call.tool} is, as one of {rule.tool},"
    return f"{subject} limited to {rule.describe()}"


def _who(rule: RateLimitRule, call: CallKey) -> str:
    if rule.per is Scope.AGENT:
        return f"{call.agent} may call again in"
    if rule.per is Scope.TASK:
        return f"agents on task {call.task} may call again in"
    if rule.per is Scope.REQUESTER:
        return f"agents acting for {call.requester} may call again in"
    return "it may be called again in"


def wait_words(wait: timedelta) -> str:
    """``41 minutes``, ``1 hour 5 minutes``, ``3 seconds``: rounded up, never ``0``."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        return _plural(seconds, "second")
    hours, minutes = divmod(math.ceil(seconds / 60), 60)
    if not hours:
        return _plural(minutes, "minute")
    if not minutes:
        return _plural(hours, "hour")
    return f"{_plural(hours, 'hour')} {_plural(minutes, 'minute')}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


class RateLimiter(Protocol):
    """Counts calls against the rules; one per gateway process."""

    def hit(self, call: CallKey) -> LimitResult:
        """Consume one unit from every bucket the call falls in, or from none.

        If any matching rule refuses, no bucket is consumed. Thread-safe. Never
        raises for a broken backend: that is an ``unavailable`` refusal instead.
        """
        ...
