"""Screening a structured tool result: every string in it, within one bound."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import replace

from proctor.screening._types import Detector, Finding, Screening

DEFAULT_VALUE_CHARS = 4_000_000
_SEPARATOR = "\n\n"


def screen_value(
    detector: Detector, value: object, *, max_chars: int = DEFAULT_VALUE_CHARS
) -> Screening:
    """Screen a JSON-like tool result: a string, or dicts and lists nesting strings.

    Every string is collected (dictionary keys too, since a tool controls them as
    much as the values), depth first in document order, up to ``max_chars``
    characters in all (a bound on memory; the detector applies its own, smaller scan
    bound to the joined text); the strings are joined by blank lines and screened as
    one text, so an instruction split across neighbouring fields is still seen. Numbers,
    booleans and ``None`` carry no instructions and are skipped; bytes are decoded as
    UTF-8; any other object is screened as ``str(obj)``. The walk uses no recursion,
    so any depth of nesting is fine, and a container met twice (a cycle) is walked once.

    Each finding's ``path`` names the string it came from (``$.results[0].snippet``,
    ``$.{key}`` for a key) and its ``start`` is the offset inside that string.
    ``examined`` is what the detector examined; ``truncated`` is true when either
    bound left something out.
    """
    strings, truncated = _collect(value, max_chars)
    text = _SEPARATOR.join(text for _, text in strings)
    screening = detector.screen(text)
    starts = []
    position = 0
    for _, string in strings:
        starts.append(position)
        position += len(string) + len(_SEPARATOR)
    findings = tuple(_place(finding, strings, starts) for finding in screening.findings)
    return replace(
        screening,
        findings=findings,
        examined=screening.examined or sum(len(string) for _, string in strings),
        truncated=truncated or screening.truncated,
    )


def _place(finding: Finding, strings: list[tuple[str, str]], starts: list[int]) -> Finding:
    if not strings:
        return finding
    index = max(bisect_right(starts, finding.start) - 1, 0)
    path, string = strings[index]
    offset = min(max(finding.start - starts[index], 0), len(string))
    return replace(finding, path=path, start=offset)


def _collect(value: object, budget: int) -> tuple[list[tuple[str, str]], bool]:
    strings: list[tuple[str, str]] = []
    stack: list[tuple[str, object]] = [("$", value)]
    remaining = budget
    truncated = False
    seen: set[int] = set()
    while stack:
        path, item = stack.pop()
        if item is None or isinstance(item, bool | int | float):
            continue
        if isinstance(item, Mapping | list | tuple):
            if id(item) in seen:
                continue  # a cycle: each container is screened once
            seen.add(id(item))
            children: list[tuple[str, object]] = []
            if isinstance(item, Mapping):
                for key, child in item.items():
                    children.append((f"{path}.{{key}}", key))
                    children.append((f"{path}.{key}", child))
            else:
                children = [(f"{path}[{i}]", child) for i, child in enumerate(item)]
            stack.extend(reversed(children))
            continue
        text = _as_text(item)
        if not text:
            continue
        if len(text) > remaining:
            truncated = True
            text = text[:remaining]
        if text:
            strings.append((path, text))
            remaining -= len(text)
        if remaining <= 0:
            truncated = truncated or bool(stack)
            break
    return strings, truncated


def _as_text(item: object) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, bytes | bytearray | memoryview):
        return bytes(item).decode("utf-8", errors="replace")
    try:
        return str(item)
    except Exception:  # a broken __str__ must not hide the rest of the value
        return f"<unprintable {type(item).__name__}>"
