"""A rule, and the index that finds where each rule is worth trying.

Trying ~100 regular expressions over a whole text costs a couple of microseconds
per character; a megabyte would take seconds. So every rule names *anchors*: words
of which at least one occurs in every match, no further than ``reach`` characters
after the match's start (and a match ends at most ``FORWARD`` characters after
its anchor). One pass of a single trie-shaped expression finds all
anchors, and each rule's patterns are then tried only in the windows around its
anchors (``reach`` before, ``FORWARD`` after). A test checks on the whole corpus
that this finds exactly what trying every pattern everywhere finds.

Anchor syntax: ``"ignor*"`` is any word starting with ``ignor``; ``"bot"`` is the
whole word only; an anchor starting with a symbol (``"@"``, ``"<|"``, ``"!["``)
matches anywhere. Anchors are lower case (rules see normalized text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FORWARD = 250
UNLESS_REACH = 60


@dataclass(frozen=True, slots=True)
class Rule:
    """One kind of evidence: a stable id, its weight, what it means, how it is found.

    ``negatable`` rules count for less right after a negation ("never send your
    password"). ``unless_after`` holds ``(before, shape)`` pairs: a match whose own
    text matches ``shape`` from its start (any match when ``shape`` is empty) and that
    comes right after text matching ``before`` (at most ``UNLESS_REACH`` characters of
    it) is not this rule's evidence at all ("give the agent the least privilege, ..."
    does not address the agent). A rule without anchors is tried over the whole text.
    """

    id: str
    weight: float
    explanation: str
    anchors: tuple[str, ...]
    patterns: tuple[str, ...]
    reach: int = 100
    negatable: bool = False
    unless_after: tuple[tuple[str, str], ...] = ()
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)
    compiled_unless: tuple[tuple[re.Pattern[str], re.Pattern[str] | None], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not 0.0 <= self.weight <= 1.0:
            raise ValueError(f"rule {self.id}: weight must be in [0, 1]")
        for anchor in self.anchors:
            if not anchor or anchor != anchor.lower() or anchor == "*":
                raise ValueError(f"rule {self.id}: bad anchor {anchor!r}")
        # One alternation per rule: a window is scanned once per rule, and matches of
        # two patterns of the same rule at the same place are reported once.
        merged = "|".join(f"(?:{pattern})" for pattern in self.patterns)
        object.__setattr__(self, "compiled", re.compile(merged or "(?!)"))
        unless = tuple(
            (re.compile(f"(?:{before})$"), re.compile(shape) if shape else None)
            for before, shape in self.unless_after
        )
        object.__setattr__(self, "compiled_unless", unless)

    def excused(self, text: str, start: int, end: int) -> bool:
        """Does the text right before a match at ``text[start:end]`` make it not count?"""
        for before, shape in self.compiled_unless:
            if shape is not None and shape.match(text, start, end) is None:
                continue
            if before.search(text, max(start - UNLESS_REACH, 0), start) is not None:
                return True
        return False


@dataclass(frozen=True, slots=True)
class _Anchor:
    rule: int
    whole_word: bool


class AnchorIndex:
    """Finds, for each rule of a table, the stretches of a text worth trying it on."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self._rules = rules
        entries: dict[str, list[_Anchor]] = {}
        for index, rule in enumerate(rules):
            for anchor in rule.anchors:
                text = anchor.removesuffix("*")
                whole = not anchor.endswith("*") and _is_word_char(text[-1])
                entries.setdefault(text, []).append(_Anchor(index, whole))
        # For each anchor, every anchor that is a prefix of it (itself included): the
        # expression reports the longest anchor at a position, the shorter ones count too.
        self._chains = {
            text: [(len(prefix), entries[prefix]) for prefix in entries if text.startswith(prefix)]
            for text in entries
        }
        words = [text for text in entries if _is_word_char(text[0])]
        symbols = [text for text in entries if not _is_word_char(text[0])]
        parts = []
        if words:
            parts.append(r"\b" + _trie(words))
        if symbols:
            parts.append(_trie(symbols))
        # A lookahead, so that anchors overlapping one another are all found: a
        # consuming match of "[assistant" would hide the anchor "assistant" inside it.
        self._pattern = re.compile("(?=(" + "|".join(parts) + "))") if parts else None
        self._everywhere = [index for index, rule in enumerate(rules) if not rule.anchors]

    def windows(self, text: str) -> dict[int, list[tuple[int, int]]]:
        """Rule index → merged ``(start, end)`` windows of ``text`` to try it on."""
        found: dict[int, list[tuple[int, int]]] = {}
        if self._pattern is not None:
            for match in self._pattern.finditer(text):
                position = match.start()
                for length, anchors in self._chains[match.group(1)]:
                    after = position + length
                    bounded = after >= len(text) or not _is_word_char(text[after])
                    for anchor in anchors:
                        if anchor.whole_word and not bounded:
                            continue
                        start = max(position - self._rules[anchor.rule].reach, 0)
                        _add(found.setdefault(anchor.rule, []), start, position + FORWARD)
        for index in self._everywhere:
            found[index] = [(0, len(text))]
        return found


def _add(spans: list[tuple[int, int]], start: int, end: int) -> None:
    if spans and start <= spans[-1][1]:
        spans[-1] = (spans[-1][0], max(spans[-1][1], end))
    else:
        spans.append((start, end))


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _trie(words: list[str]) -> str:
    """An expression matching any of ``words``, longest first, shaped as a trie so
    that a position is rejected after looking at one or two characters."""
    root: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _branch(root)


def _branch(node: dict[str, dict]) -> str:  # type: ignore[type-arg]
    ends_here = "" in node
    options = [re.escape(char) + _branch(child) for char, child in sorted(node.items()) if char]
    if not options:
        return ""
    body = options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")"
    return f"(?:{body})?" if ends_here else body
