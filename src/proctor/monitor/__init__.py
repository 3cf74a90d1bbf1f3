"""Watching and stopping agents: rate limits, behavioural baselines and anomaly facts,
circuit breakers, alerts, and the kill switch."""

from typing import TYPE_CHECKING

from proctor._lazy import lazy_exports

if TYPE_CHECKING:
    from proctor.monitor._alert_store import MAX_ALERT_PAGE, AlertListener, AlertStore
    from proctor.monitor._alerts import Alert, AlertKind, AlertRule, Severity
    from proctor.monitor._baseline import Baselines
    from proctor.monitor._breaker import DEFAULT_RULES, Breakers, BreakerSettings
    from proctor.monitor._events import (
        BreakerEvent,
        BreakerState,
        BreakerStatus,
        HalfOpen,
        Listener,
        Reset,
        Trip,
        TripAction,
    )
    from proctor.monitor._facts import AnomalyFacts, Observation, OutcomeObservation
    from proctor.monitor._kill_switch import KillSwitch, SwitchState
    from proctor.monitor._limits_store import RATE_LIMITS_VERSION_KEY, LimitsChange, RateLimitStore
    from proctor.monitor._monitor import (
        ALERT_SUBJECT_PREFIX,
        Monitor,
        MonitorSetup,
        Screen,
        alert_message,
    )
    from proctor.monitor._monitor_store import BaselineStore, BreakerRecord, BreakerStore
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
    from proctor.monitor._rules import (
        ActionBurst,
        AnomalyRun,
        BreakerRule,
        Denials,
        ErrorRate,
        action_burst,
        anomaly,
        denials,
        error_rate,
        parse_duration,
        parse_rule,
        parse_rules,
    )
    from proctor.monitor._settings import BaselineSettings

__all__ = [
    "ALERT_SUBJECT_PREFIX",
    "DEFAULT_KEY_PREFIX",
    "DEFAULT_MAX_KEYS",
    "DEFAULT_RULES",
    "MAX_ALERT_PAGE",
    "RATE_LIMITED",
    "RATE_LIMITER_UNAVAILABLE",
    "RATE_LIMITS_VERSION_KEY",
    "ActionBurst",
    "Alert",
    "AlertKind",
    "AlertListener",
    "AlertRule",
    "AlertStore",
    "AnomalyFacts",
    "AnomalyRun",
    "BaselineSettings",
    "BaselineStore",
    "Baselines",
    "BreakerEvent",
    "BreakerRecord",
    "BreakerRule",
    "BreakerSettings",
    "BreakerState",
    "BreakerStatus",
    "BreakerStore",
    "Breakers",
    "CallKey",
    "Denials",
    "ErrorRate",
    "HalfOpen",
    "KillSwitch",
    "LimitResult",
    "LimitsChange",
    "Listener",
    "LocalRateLimiter",
    "Monitor",
    "MonitorSetup",
    "Observation",
    "OnError",
    "OutcomeObservation",
    "RateLimitRule",
    "RateLimitStore",
    "RateLimiter",
    "RedisRateLimiter",
    "Reset",
    "Scope",
    "Screen",
    "Severity",
    "SwitchState",
    "Trip",
    "TripAction",
    "action_burst",
    "alert_message",
    "anomaly",
    "build_rate_limiter",
    "denials",
    "error_rate",
    "format_rate_limit",
    "parse_duration",
    "parse_rate_limit",
    "parse_rate_limits",
    "parse_rule",
    "parse_rules",
    "rate_limit_from_mapping",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(
        __name__,
        {
            "_alert_store": ("MAX_ALERT_PAGE", "AlertListener", "AlertStore"),
            "_alerts": ("Alert", "AlertKind", "AlertRule", "Severity"),
            "_baseline": ("Baselines",),
            "_breaker": ("DEFAULT_RULES", "Breakers", "BreakerSettings"),
            "_events": (
                "BreakerEvent",
                "BreakerState",
                "BreakerStatus",
                "HalfOpen",
                "Listener",
                "Reset",
                "Trip",
                "TripAction",
            ),
            "_facts": ("AnomalyFacts", "Observation", "OutcomeObservation"),
            "_kill_switch": ("KillSwitch", "SwitchState"),
            "_limits_store": ("RATE_LIMITS_VERSION_KEY", "LimitsChange", "RateLimitStore"),
            "_monitor": (
                "ALERT_SUBJECT_PREFIX",
                "Monitor",
                "MonitorSetup",
                "Screen",
                "alert_message",
            ),
            "_monitor_store": ("BaselineStore", "BreakerRecord", "BreakerStore"),
            "_ratelimit_local": ("DEFAULT_MAX_KEYS", "LocalRateLimiter"),
            "_ratelimit_redis": (
                "DEFAULT_KEY_PREFIX",
                "OnError",
                "RedisRateLimiter",
                "build_rate_limiter",
            ),
            "_ratelimit_result": (
                "RATE_LIMITED",
                "RATE_LIMITER_UNAVAILABLE",
                "CallKey",
                "LimitResult",
                "RateLimiter",
            ),
            "_ratelimit_rules": (
                "RateLimitRule",
                "Scope",
                "format_rate_limit",
                "parse_rate_limit",
                "parse_rate_limits",
                "rate_limit_from_mapping",
            ),
            "_rules": (
                "ActionBurst",
                "AnomalyRun",
                "BreakerRule",
                "Denials",
                "ErrorRate",
                "action_burst",
                "anomaly",
                "denials",
                "error_rate",
                "parse_duration",
                "parse_rule",
                "parse_rules",
            ),
            "_settings": ("BaselineSettings",),
        },
    )
