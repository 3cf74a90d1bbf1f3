"""Rate-limit rules: what ``proctor.yaml`` declares, parsed, validated and written back.

The compact form is one line, ``[TOOL:] LIMIT/PERIOD per SCOPE [burst N]``::

    forum.post: 5/hour per agent
    repo.*: 20/10min per requester
    100/second per agent            # no tool: every tool

The mapping form says the same with keys: ``{tool, limit, per}`` and optionally
``period`` (when ``limit`` is a plain number), ``burst`` and ``id``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from proctor.errors import InvalidInput

MAX_LIMIT = 1_000_000
MIN_PERIOD = timedelta(seconds=1)
MAX_PERIOD = timedelta(days=1)
_CODE = "invalid_rate_limit"

# The characters of a tool name (see the inventory) plus fnmatch's * ? [ ] !.
_TOOL_PATTERN = re.compile(r"[A-Za-z0-9_*?\[!][A-Za-z0-9_.:/*?\[\]!-]{0,199}")
_ID = re.compile(r"[^\x00-\x1f\x7f]{1,200}")
_PERIOD = re.compile(r"(?P<count>\d*)\s*(?P<unit>[A-Za-z]+)")
_UNITS: dict[str, int] = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
}
# Largest unit first: how a period is written back (1 → the word, n → n + short name).
_WRITTEN_UNITS = (
    (86400, "day", "d"),
    (3600, "hour", "h"),
    (60, "minute", "min"),
    (1, "second", "s"),
)
_EXAMPLE = "e.g. 'forum.post: 5/hour per agent'"


class Scope(StrEnum):
    """Whose calls share one allowance."""

    AGENT = "agent"
    TASK = "task"
    REQUESTER = "requester"
    TOOL = "tool"
    GLOBAL = "global"


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, code=_CODE)


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimitRule:
    """At most ``limit`` calls of tools matching ``tool`` per ``period``, counted ``per`` scope.

    ``burst`` is how many calls may come at once (default: ``limit``). The algorithm is
    GCRA: the allowance refills at one call every ``period / limit``, and holds at most
    ``burst`` calls. ``id`` is stable: by default the rule's compact text.
    """

    tool: str = "*"
    limit: int
    period: timedelta
    per: Scope
    burst: int | None = None
    id: str = field(default="")

    def __post_init__(self) -> None:
        _check_tool(self.tool)
        if isinstance(self.limit, bool) or not isinstance(self.limit, int):
            raise _refuse(f"the limit must be a whole number, not {self.limit!r}")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise _refuse(f"the limit must be between 1 and {MAX_LIMIT:,}, not {self.limit}")
        _check_period(self.period)
        try:
            object.__setattr__(self, "per", Scope(self.per))
        except ValueError:
            raise _refuse(f"unknown scope {self.per!r} ({_scopes()})") from None
        burst = self.limit if self.burst is None else self.burst
        if isinstance(burst, bool) or not isinstance(burst, int) or not 1 <= burst <= self.limit:
            # A burst above the limit would let more calls through at once than the
            # declared period allows, and keep state for longer than one period.
            raise _refuse(f"the burst must be a whole number from 1 to the limit ({self.limit})")
        object.__setattr__(self, "burst", burst)
        if not self.id:
            object.__setattr__(self, "id", format_rate_limit(self))
        elif not isinstance(self.id, str) or not _ID.fullmatch(self.id):
            raise _refuse("a rate limit id is 1 to 200 printable characters")

    @property
    def allowance(self) -> int:
        """The burst: how many calls may come at once."""
        return self.limit if self.burst is None else self.burst

    def describe(self) -> str:
        """The rule in words: ``5 per hour per agent``."""
        return f"{self.limit} per {period_words(self.period)} per {self.per}"


def _scopes() -> str:
    return "use " + ", ".join(scope.value for scope in Scope)


def _check_tool(tool: object) -> None:
    if not isinstance(tool, str) or not _TOOL_PATTERN.fullmatch(tool):
        raise _refuse(
            f"tool pattern {tool!r} is not a tool name or fnmatch pattern "
            "(letters, digits and _ . : / - with * ? [ ], at most 200)"
        )


def _check_period(period: object) -> None:
    if not isinstance(period, timedelta):
        raise _refuse(f"the period must be a duration, not {period!r}")
    if period % timedelta(seconds=1):
        raise _refuse(f"the period must be whole seconds, not {period}")
    # Under a second is a burst, not a rate; over a day is a quota, which needs
    # durable storage (a restart forgets a local limiter's state).
    if not MIN_PERIOD <= period <= MAX_PERIOD:
        raise _refuse(f"the period must be between 1 second and 1 day, not {period}")


def period_words(period: timedelta) -> str:
    """``hour``, ``10 minutes``, ``90 seconds``: the period as a person says it."""
    seconds = int(period.total_seconds())
    for size, word, _ in _WRITTEN_UNITS:
        if seconds % size == 0:
            count = seconds // size
            return word if count == 1 else f"{count} {word}s"
    raise AssertionError("unreachable: one second divides every period")


def _period_text(period: timedelta) -> str:
    seconds = int(period.total_seconds())
    for size, word, short in _WRITTEN_UNITS:
        if seconds % size == 0:
            count = seconds // size
            return word if count == 1 else f"{count}{short}"
    raise AssertionError("unreachable: one second divides every period")


def format_rate_limit(rule: RateLimitRule) -> str:
    """The rule's compact text; :func:`parse_rate_limit` reads it back to an equal rule."""
    text = f"{rule.tool}: {rule.limit}/{_period_text(rule.period)} per {rule.per}"
    if rule.allowance != rule.limit:
        text += f" burst {rule.allowance}"
    return text


def parse_period(text: str) -> timedelta:
    """``hour``, ``10min``, ``30s``, ``2h``, ``1 day`` → a duration."""
    match = _PERIOD.fullmatch(text.strip())
    if match is None:
        raise _refuse(f"period {text!r} is not a number and a unit ({_units()})")
    unit = _UNITS.get(match["unit"].lower())
    if unit is None:
        raise _refuse(f"unknown period unit {match['unit']!r} ({_units()})")
    count = int(match["count"]) if match["count"] else 1
    if count == 0:
        raise _refuse(f"period {text!r} is zero")
    if count > MAX_PERIOD.total_seconds():
        raise _refuse(f"the period must be between 1 second and 1 day, not {text!r}")
    return timedelta(seconds=count * unit)


def _units() -> str:
    return "use second, minute, hour or day, optionally with a number: 30s, 10min, 2h"


def _parse_count(text: str, what: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise _refuse(f"{what} {text!r} is not a whole number")
    return int(text)


def _parse_rate(text: str) -> tuple[int, timedelta]:
    count, slash, period = text.partition("/")
    if not slash:
        raise _refuse(f"expected LIMIT/PERIOD such as 5/hour, got {text!r}")
    return _parse_count(count.strip(), "limit"), parse_period(period)


def parse_rate_limit(text: str) -> RateLimitRule:
    """Parse ``[TOOL:] LIMIT/PERIOD per SCOPE [burst N]``; junk is refused, naming what."""
    if not isinstance(text, str) or not text.strip():
        raise _refuse(f"a rate limit is a line of text ({_EXAMPLE})")
    try:
        return _parse(text)
    except InvalidInput as exc:
        raise _refuse(f"rate limit {text!r}: {exc.message}") from None


def _parse(text: str) -> RateLimitRule:
    # The limit part never holds ':', a tool name may ("mcp:github/*"): split on the last.
    tool, colon, rest = text.rpartition(":")
    tool = tool.strip()
    if colon and not tool:
        raise _refuse("nothing before ':' (name a tool or pattern, or leave out the ':')")
    words = re.sub(r"\s*/\s*", "/", rest.strip()).split()
    if not words:
        raise _refuse(f"nothing after the tool ({_EXAMPLE})")
    limit, period = _parse_rate(words[0])
    if len(words) < 3 or words[1].lower() != "per":
        raise _refuse(f"missing 'per SCOPE' after {words[0]!r} ({_scopes()})")
    burst = None
    extra = words[3:]
    if extra:
        if extra[0].lower() != "burst" or len(extra) != 2:
            raise _refuse(f"unexpected {' '.join(extra)!r} after the scope (only 'burst N')")
        burst = _parse_count(extra[1], "burst")
    return RateLimitRule(
        tool=tool or "*", limit=limit, period=period, per=_scope(words[2]), burst=burst
    )


def _scope(text: str) -> Scope:
    try:
        return Scope(text.lower())
    except ValueError:
        raise _refuse(f"unknown scope {text!r} ({_scopes()})") from None


_MAPPING_KEYS = frozenset({"tool", "limit", "period", "per", "burst", "id"})


def rate_limit_from_mapping(data: Mapping[str, object]) -> RateLimitRule:
    """``{"tool": "forum.post", "limit": "5/hour", "per": "agent"}`` → a rule.

    ``limit`` is ``"N/PERIOD"``, or a number with a separate ``period``; ``tool``
    defaults to every tool; ``burst`` and ``id`` are optional. Unknown keys are refused.
    """
    if not isinstance(data, Mapping):
        raise _refuse(f"a rate limit is a line of text or a mapping, not {data!r}")
    unknown = sorted(str(key) for key in data if key not in _MAPPING_KEYS)
    if unknown:
        raise _refuse(f"unknown rate limit keys {unknown} (use {sorted(_MAPPING_KEYS)})")
    for required in ("limit", "per"):
        if required not in data:
            raise _refuse(f"a rate limit needs '{required}' ({_EXAMPLE})")
    limit, period = _mapping_rate(data["limit"], data.get("period"))
    per = data["per"]
    if not isinstance(per, str):
        raise _refuse(f"unknown scope {per!r} ({_scopes()})")
    burst = data.get("burst")
    if burst is not None and (isinstance(burst, bool) or not isinstance(burst, int)):
        raise _refuse(f"burst {burst!r} is not a whole number")
    tool = data.get("tool", "*")
    rule_id = data.get("id", "")
    if not isinstance(rule_id, str):
        raise _refuse("a rate limit id is 1 to 200 printable characters")
    return RateLimitRule(
        tool=tool,  # type: ignore[arg-type]  # checked by the rule itself
        limit=limit,
        period=period,
        per=_scope(per),
        burst=burst,
        id=rule_id,
    )


def _mapping_rate(limit: object, period: object) -> tuple[int, timedelta]:
    if isinstance(limit, str):
        if period is not None:
            raise _refuse("give 'period' only with a numeric 'limit' (or write '5/hour')")
        return _parse_rate(limit)
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise _refuse(f"limit {limit!r} is neither N/PERIOD nor a whole number")
    if period is None:
        raise _refuse("a numeric 'limit' needs a 'period' (or write 'limit: 5/hour')")
    if isinstance(period, timedelta):
        return limit, period
    if not isinstance(period, str):
        raise _refuse(f"period {period!r} is not a number and a unit ({_units()})")
    return limit, parse_period(period)


def parse_rate_limits(entries: Iterable[str | Mapping[str, object]]) -> tuple[RateLimitRule, ...]:
    """Parse a list of declarations (either form); errors name the entry, ids must differ."""
    rules: list[RateLimitRule] = []
    seen: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        try:
            if isinstance(entry, str):
                rule = parse_rate_limit(entry)
            else:
                rule = rate_limit_from_mapping(entry)
        except InvalidInput as exc:
            raise _refuse(f"rate limit #{number}: {exc.message}") from None
        if rule.id in seen:
            raise _refuse(
                f"rate limit #{number} repeats #{seen[rule.id]} ({rule.id!r}): remove one"
            )
        seen[rule.id] = number
        rules.append(rule)
    return tuple(rules)


def check_distinct(rules: Iterable[RateLimitRule]) -> tuple[RateLimitRule, ...]:
    """The rules as a tuple; two rules with one id would share buckets, so that is refused."""
    result = tuple(rules)
    for rule in result:
        if not isinstance(rule, RateLimitRule):
            raise _refuse(f"not a rate limit rule: {rule!r}")
    counts = Counter(rule.id for rule in result)
    duplicates = sorted(rule_id for rule_id, count in counts.items() if count > 1)
    if duplicates:
        raise _refuse(f"rate limit ids must differ; repeated: {duplicates}")
    return result
