"""Breaker rules: when the system stops an agent on its own.

Each rule is a small frozen value; :func:`parse_rules` reads the mapping form used in
``proctor.yaml``::

    breakers:
      on_trip: hold            # or deny
      cool_down: 15m
      probe_calls: 5
      rules:
        - denials: {count: 5, within: 1m}
        - anomaly: {above: 0.9, calls: 3}
        - error_rate: {percent: 50, min_calls: 10, within: 5m}
        - action_burst: {action: modify_permissions, count: 5, within: 1m}
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from proctor.errors import InvalidInput
from proctor.model import ActionClass

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
#: The longest window a rule may look back over.
MAX_WINDOW = timedelta(days=1)
#: The most calls a count-based rule may wait for.
MAX_COUNT = 1000


@dataclass(frozen=True, slots=True)
class Denials:
    """Trip after ``count`` denied calls within ``within``."""

    count: int
    within: timedelta

    @property
    def name(self) -> str:
        return f"denials({self.count} within {_show(self.within)})"


@dataclass(frozen=True, slots=True)
class AnomalyRun:
    """Trip after ``calls`` consecutive calls scoring at least ``above`` (learning
    agents' floor scores do not count)."""

    above: float
    calls: int

    @property
    def name(self) -> str:
        return f"anomaly(score >= {self.above:g} for {self.calls} calls)"


@dataclass(frozen=True, slots=True)
class ErrorRate:
    """Trip when at least ``percent`` % of the tool outcomes within ``within`` failed,
    once there are at least ``min_calls`` of them."""

    percent: float
    min_calls: int
    within: timedelta

    @property
    def name(self) -> str:
        return (
            f"error_rate({self.percent:g}% of at least {self.min_calls} calls "
            f"within {_show(self.within)})"
        )


@dataclass(frozen=True, slots=True)
class ActionBurst:
    """Trip after ``count`` calls of action class ``action`` within ``within``."""

    action: ActionClass
    count: int
    within: timedelta

    @property
    def name(self) -> str:
        return f"action_burst({self.count} {self.action} within {_show(self.within)})"


BreakerRule = Denials | AnomalyRun | ErrorRate | ActionBurst


def denials(count: int, within: timedelta) -> Denials:
    _check_count(count, "denials count")
    _check_window(within)
    return Denials(count, within)


def anomaly(above: float, calls: int) -> AnomalyRun:
    if not 0.0 < above <= 1.0:
        raise InvalidInput("an anomaly rule's threshold must be in (0, 1]")
    _check_count(calls, "anomaly calls")
    return AnomalyRun(above, calls)


def error_rate(percent: float, min_calls: int, within: timedelta) -> ErrorRate:
    if not 0.0 < percent <= 100.0:
        raise InvalidInput("an error-rate rule's percent must be in (0, 100]")
    _check_count(min_calls, "error_rate min_calls")
    _check_window(within)
    return ErrorRate(percent, min_calls, within)


def action_burst(action: ActionClass | str, count: int, within: timedelta) -> ActionBurst:
    try:
        action_class = ActionClass(action)
    except ValueError:
        raise InvalidInput(f"unknown action class {action!r} in an action_burst rule") from None
    _check_count(count, "action_burst count")
    _check_window(within)
    return ActionBurst(action_class, count, within)


def parse_duration(value: Any) -> timedelta:
    """``90``, ``"90s"``, ``"1.5m"``, ``"2h"``, ``"1d"``, ``"250ms"``: a non-negative duration."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool):
        raise InvalidInput(f"not a duration: {value!r}")
    elif isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    else:
        raise InvalidInput(f"not a duration: {value!r} (use e.g. 30s, 5m, 1h)")
    if not 0.0 <= seconds < 10 * 365 * 86400:
        raise InvalidInput(f"not a sensible duration: {value!r}")
    return timedelta(seconds=seconds)


def parse_rule(entry: Mapping[str, Any]) -> BreakerRule:
    """One rule from its mapping form, e.g. ``{"denials": {"count": 5, "within": "1m"}}``."""
    if not isinstance(entry, Mapping) or len(entry) != 1:
        raise InvalidInput("a breaker rule is a mapping with exactly one kind, e.g. denials:")
    ((kind, raw),) = entry.items()
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"the {kind} rule needs its parameters as a mapping")
    fields = _FIELDS.get(kind)
    if fields is None:
        raise InvalidInput(f"unknown breaker rule {kind!r}; one of: {', '.join(_FIELDS)}")
    unknown = set(raw) - set(fields)
    missing = set(fields) - set(raw)
    if unknown or missing:
        raise InvalidInput(
            f"the {kind} rule takes exactly: {', '.join(fields)}"
            + (f" (unknown: {', '.join(sorted(map(str, unknown)))})" if unknown else "")
            + (f" (missing: {', '.join(sorted(missing))})" if missing else "")
        )
    if kind == "denials":
        return denials(_int(raw["count"]), parse_duration(raw["within"]))
    if kind == "anomaly":
        return anomaly(_float(raw["above"]), _int(raw["calls"]))
    if kind == "error_rate":
        return error_rate(
            _float(raw["percent"]), _int(raw["min_calls"]), parse_duration(raw["within"])
        )
    return action_burst(str(raw["action"]), _int(raw["count"]), parse_duration(raw["within"]))


def parse_rules(entries: Sequence[Mapping[str, Any]]) -> tuple[BreakerRule, ...]:
    """Every rule of a ``rules:`` list; an empty list means no automatic breaker."""
    if isinstance(entries, str | bytes | Mapping):
        raise InvalidInput("breaker rules are a list")
    return tuple(parse_rule(entry) for entry in entries)


_FIELDS = {
    "denials": ("count", "within"),
    "anomaly": ("above", "calls"),
    "error_rate": ("percent", "min_calls", "within"),
    "action_burst": ("action", "count", "within"),
}


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"expected a whole number, got {value!r}")
    return value


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"expected a number, got {value!r}")
    return float(value)


def _check_count(count: int, what: str) -> None:
    if not 1 <= count <= MAX_COUNT:
        raise InvalidInput(f"{what} must be between 1 and {MAX_COUNT}")


def _check_window(within: timedelta) -> None:
    if not timedelta(0) < within <= MAX_WINDOW:
        raise InvalidInput(f"a rule's window must be positive and at most {_show(MAX_WINDOW)}")


def _show(duration: timedelta) -> str:
    seconds = duration.total_seconds()
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("m", 60.0)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
