"""Watching and stopping agents: the kill switch and rate limits (breakers come next)."""

from proctor.monitor._kill_switch import KillSwitch, SwitchState
from proctor.monitor._ratelimit_local import DEFAULT_MAX_KEYS, LocalRateLimiter
from proctor.monitor._ratelimit_redis import (
    DEFAULT_KEY_PREFIX,
    OnError,
    RedisRateLimiter,
    build_rate_limiter,
)
from proctor.monitor._ratelimit_result import (
    RATE_LIMITED,
    RATE_LIMITER_UNAVAILABLE,
    CallKey,
    LimitResult,
    RateLimiter,
)
from proctor.monitor._ratelimit_rules import (
    RateLimitRule,
    Scope,
    format_rate_limit,
    parse_rate_limit,
    parse_rate_limits,
    rate_limit_from_mapping,
)

__all__ = [
    "DEFAULT_KEY_PREFIX",
    "DEFAULT_MAX_KEYS",
    "RATE_LIMITED",
    "RATE_LIMITER_UNAVAILABLE",
    "CallKey",
    "KillSwitch",
    "LimitResult",
    "LocalRateLimiter",
    "OnError",
    "RateLimitRule",
    "RateLimiter",
    "RedisRateLimiter",
    "Scope",
    "SwitchState",
    "build_rate_limiter",
    "format_rate_limit",
    "parse_rate_limit",
    "parse_rate_limits",
    "rate_limit_from_mapping",
]
