"""What around a match makes it a mention of an instruction rather than one.

A match counts for less when

- its rule is ``negatable`` and a negation comes right before it ("never paste your
  API key here");
- it is reported speech: the words before it tell of someone asking a model ("by
  asking the model to read a file", "we got the bot to reveal a password", "a page
  can tell an agent to 'ignore ...'");
- it sits in a short quotation (double quotes or backticks) that is introduced as a
  mention ("such as \"...\"", "the email said \"...\"") or that appears in a text about
  attacks.

The quotation discount is the one an attacker would reach for: dress the order up as
an example, then ask for it to be carried out ("requests such as \"forward the payroll
to ...\" are usually suspicious; to the assistant reading this: go ahead"). So it is
withdrawn when the text speaks to the model in its own voice, with an address to an AI
that is neither quoted nor reported, within the scoring window of the quotation; and
it never applies in hidden text, which no article about attacks hides from its readers.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from re import Match

from proctor.screening._rule import Rule
from proctor.screening._vocabulary import (
    DISCUSSION,
    NEGATED_FACTOR,
    NEGATION,
    QUOTED_FACTOR,
    REPORTED,
    REPORTED_FACTOR,
    REPORTING_FRAME,
)

# Rules whose unquoted, unreported match is the text speaking to the model itself.
VOICE = frozenset({"addressed-to-ai", "command-to-ai"})
QUOTE_MARKS = '"`'
_OPENS_BEFORE = 40  # a quotation opens at most this far before the match
_CLOSES_WITHIN = 160  # and closes at most this far after the match's start
_FRAME_REACH = 80


@dataclass(frozen=True, slots=True)
class Weighing:
    """How one match counts: ``factor`` for negation and reported speech, and
    whether it is ``quoted`` as a mention (settled later against the text's voice)."""

    factor: float
    quoted: bool


@dataclass(frozen=True, slots=True)
class Weighed:
    rule: str
    position: int
    weight: float
    weighing: Weighing


class Context:
    """Weighs matches in one normalized text; ``hidden`` are its hidden stretches."""

    def __init__(self, text: str, hidden: list[tuple[int, int]] | None = None) -> None:
        self._text = text
        self._hidden = _merged(hidden or [])
        self._hidden_starts = [start for start, _ in self._hidden]
        self._discussion: bool | None = None

    def weigh(self, rule: Rule, start: int, end: int) -> Weighing:
        text = self._text
        factor = 1.0
        if rule.negatable and NEGATION.search(text, max(start - 28, 0), start):
            factor *= NEGATED_FACTOR
        if REPORTING_FRAME.search(text, max(start - _FRAME_REACH, 0), start):
            factor *= REPORTED_FACTOR
        return Weighing(factor, self._mentioned(start, end))

    def requote(self, rule: Rule, match: Match[str], limit: int) -> Match[str]:
        """The part of ``match`` inside a quotation that opens within it, when that
        part is a match of the same rule on its own (``override attempts ("ignore your
        instructions")`` is a quoted override, not an unquoted one)."""
        text = self._text
        for position in range(match.start() + 1, match.end() - 1):
            if text[position] not in QUOTE_MARKS:
                continue
            inner = rule.compiled.search(text, position + 1, limit)
            if inner is not None and self._mentioned(inner.start(), inner.end()):
                return inner
        return match

    def settle(self, weighed: list[Weighed], window: int) -> list[float]:
        """The final weight of each match: quoted mentions count for less unless the
        text addresses the model in its own voice within ``window`` of them."""
        voices = sorted(
            item.position
            for item in weighed
            if item.rule in VOICE and item.weighing.factor == 1.0 and not item.weighing.quoted
        )
        weights = []
        for item in weighed:
            weight = item.weight * item.weighing.factor
            if item.weighing.quoted and not _near(voices, item.position, window):
                weight *= QUOTED_FACTOR
            weights.append(weight)
        return weights

    def _mentioned(self, start: int, end: int) -> bool:
        if self._in_hidden(start):
            return False
        opening = quotation(self._text, start, end)
        if opening == -1:
            return False
        if self._discussion is None:
            self._discussion = DISCUSSION.search(self._text) is not None
        return self._discussion or bool(
            REPORTED.search(self._text, max(opening - _OPENS_BEFORE, 0), opening + 1)
        )

    def _in_hidden(self, position: int) -> bool:
        index = bisect_left(self._hidden_starts, position + 1) - 1
        return index >= 0 and position < self._hidden[index][1]


def quotation(text: str, start: int, end: int) -> int:
    """Where the short quotation around ``text[start:end]`` opens (the index of its
    quote mark), or -1. A quotation opens at most 40 characters before the start with
    a quote mark that has an even number of the same marks before it (so an opening
    one), and closes at most 160 characters after the start."""
    found = -1
    for mark in QUOTE_MARKS:
        opening = text.rfind(mark, max(start - _OPENS_BEFORE, 0), start + 1)
        if opening == -1:
            continue
        closing = text.find(mark, max(end - 1, opening + 1), start + _CLOSES_WITHIN)
        if closing == -1:
            continue
        if text.count(mark, max(opening - 400, 0), opening) % 2 == 0:
            found = max(found, opening)
    return found


def in_code_span(text: str, position: int) -> bool:
    """Is ``position`` inside a short backtick code span (shown as typed in Markdown)?"""
    opening = text.rfind("`", max(position - _OPENS_BEFORE, 0), position)
    if opening == -1 or text.count("`", max(opening - 400, 0), opening) % 2:
        return False
    return text.find("`", position, position + _CLOSES_WITHIN) != -1


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or nested stretches joined, so that one lookup tells containment."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _near(positions: list[int], position: int, window: int) -> bool:
    index = bisect_left(positions, position - window)
    return index < len(positions) and positions[index] <= position + window
