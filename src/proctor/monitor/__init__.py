"""Watching and stopping agents: behavioural baselines and anomaly facts, circuit
breakers, alerts, and the kill switch."""

from proctor.monitor import _monitor_tables as _monitor_tables
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
from proctor.monitor._monitor_store import BaselineStore, BreakerRecord, BreakerStore
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
    "DEFAULT_RULES",
    "ActionBurst",
    "Alert",
    "AlertKind",
    "AlertRule",
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
    "Denials",
    "ErrorRate",
    "HalfOpen",
    "KillSwitch",
    "Listener",
    "Observation",
    "OutcomeObservation",
    "Reset",
    "Severity",
    "SwitchState",
    "Trip",
    "TripAction",
    "action_burst",
    "anomaly",
    "denials",
    "error_rate",
    "parse_duration",
    "parse_rule",
    "parse_rules",
]
