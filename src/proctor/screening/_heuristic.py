"""The default detector: readable rules over a normalized copy of the text.

How a text is scored:

1. At most ``max_chars`` characters are examined: all of a shorter text; of a longer
   one, the first three quarters of the bound and the last quarter (injected text is
   often appended to a long page). ``Screening.truncated`` says when this happened.
2. The examined text is normalized (``_normalize``) and every rule of ``_rules`` is
   matched against it. A match that only mentions an instruction counts for less:
   reported speech, a quotation introduced as an example or in a text about attacks,
   a request for secrets right after a negation (``_context`` says when, and when an
   attacker's quotation does not get the discount).
3. Hidden regions (HTML comments, hidden elements, non-visible attributes) that hold
   a match add ``hidden-text``; base64 blobs, spaced-out letters, words joined by
   underscores or hyphens and percent-encoded links are decoded and matched too,
   adding ``encoded-text`` when they hold a match.
4. The score is the strongest *window*: for every stretch of ``window`` normalized
   characters, the weights of the distinct rules that fired in it are combined as
   independent evidence, ``1 - Π(1 - weight)`` (one rule counts once, with its best
   match). Evidence far apart in a long text does not add up; adding text around an
   instruction never lowers its score.
5. ``flagged`` is ``score >= threshold``.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass

from proctor.screening._context import Context, Weighed, in_code_span
from proctor.screening._extract import (
    Decoded,
    base64_texts,
    hidden_spans,
    joined_texts,
    percent_texts,
    spaced_texts,
)
from proctor.screening._normalize import Normalized, normalize, normalize_segments
from proctor.screening._rule import FORWARD, AnchorIndex, Rule
from proctor.screening._rules import ENCODED_TEXT, HIDDEN_TEXT, RULES
from proctor.screening._types import Finding, Screening, clip_excerpt

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.55
DEFAULT_MAX_CHARS = 262_144
DEFAULT_WINDOW = 600
MAX_FINDINGS = 40
_LONGEST_MATCH = FORWARD + max(rule.reach for rule in RULES)


@dataclass(frozen=True, slots=True)
class _Hit:
    rule: str
    weight: float
    position: int
    excerpt: str
    original: int | None = None
    end: int = -1  # where the match ends in the normalized text (-1: at ``position``)


class HeuristicDetector:
    """Rule-based screening; see the module docstring for how the score is made.

    ``threshold`` in (0, 1] is the score from which a text is flagged (the default
    was chosen on the development splits of the corpus in ``bench/data/injection``);
    ``max_chars`` bounds how many characters one call examines; ``window`` is how
    close (in normalized characters) pieces of evidence must be to add up.
    """

    name = "heuristic"

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        *,
        max_chars: int = DEFAULT_MAX_CHARS,
        window: int = DEFAULT_WINDOW,
        rules: tuple[Rule, ...] = RULES,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], not {threshold}")
        if max_chars < 1000:
            raise ValueError(f"max_chars must be at least 1000, not {max_chars}")
        if window < 50:
            raise ValueError(f"window must be at least 50 characters, not {window}")
        self.threshold = threshold
        self.max_chars = max_chars
        self.window = window
        self.rules = rules
        self._anchors = AnchorIndex(rules)

    def screen(self, text: str) -> Screening:
        """Screen one text. Never raises: an internal failure is a flagged screening."""
        try:
            return self._screen(text if isinstance(text, str) else _as_text(text))
        except Exception:  # fail closed: a detector that breaks must not mean "clean"
            logger.exception("injection screening failed; treating the text as flagged")
            failure = Finding("detector-error", "the detector failed on this text", 0, 1.0)
            return Screening(True, 1.0, (failure,), self.name)

    def _screen(self, text: str) -> Screening:
        segments, truncated = self._segments(text)
        normalized = normalize_segments(segments)
        hidden = _hidden_spans(normalized.text)
        hits = self._match(normalized.text, hidden=hidden)
        hits.extend(_hidden_hits(normalized.text, hits, hidden))
        hits.extend(self._decoded_hits(segments, normalized))
        score, best = _best_window(hits, self.window)
        findings = _findings(hits, best, normalized)
        return Screening(
            flagged=score >= self.threshold,
            score=round(score, 4),
            findings=findings,
            detector=self.name,
            examined=sum(len(segment) for _, segment in segments),
            truncated=truncated,
        )

    def _segments(self, text: str) -> tuple[list[tuple[int, str]], bool]:
        if len(text) <= self.max_chars:
            return [(0, text)], False
        head = self.max_chars * 3 // 4
        tail = self.max_chars - head
        return [(0, text[:head]), (len(text) - tail, text[-tail:])], True

    def _match(
        self, normalized: str, at: int | None = None, hidden: list[tuple[int, int]] | None = None
    ) -> list[_Hit]:
        """Every rule match in ``normalized``; ``at`` pins decoded text to one position."""
        context = Context(normalized, hidden)
        weighed: list[Weighed] = []
        matches: list[tuple[str, int, int]] = []  # (excerpt, start, end)
        for index, windows in self._anchors.windows(normalized).items():
            rule = self.rules[index]
            for start, end in windows:
                for found in rule.compiled.finditer(normalized, start, end):
                    match = context.requote(rule, found, end)
                    if rule.excused(normalized, match.start(), match.end()):
                        continue
                    weighing = context.weigh(rule, match.start(), match.end())
                    weighed.append(Weighed(rule.id, match.start(), rule.weight, weighing))
                    matches.append((clip_excerpt(match.group(0)), match.start(), match.end()))
        weights = context.settle(weighed, self.window)
        if at is None:
            return [
                _Hit(item.rule, weight, start, excerpt, end=end)
                for item, weight, (excerpt, start, end) in zip(
                    weighed, weights, matches, strict=True
                )
            ]
        return [
            _Hit(item.rule, weight, at, excerpt)
            for item, weight, (excerpt, _, _) in zip(weighed, weights, matches, strict=True)
        ]

    def _decoded_hits(self, segments: list[tuple[int, str]], normalized: Normalized) -> list[_Hit]:
        decoded: list[tuple[Decoded, int]] = []  # (what, original offset)
        for base, segment in segments:
            for found in (*base64_texts(segment), *spaced_texts(segment)):
                decoded.append((found, base + found.start))
        for found in (*percent_texts(normalized.text), *joined_texts(normalized.text)):
            decoded.append((found, normalized.original_offset(found.start)))
        hits: list[_Hit] = []
        for found, original in decoded:
            position = normalized.normalized_position(original)
            inner = self._match(normalize(found.text), at=position)
            if not inner:
                continue
            hits.extend(
                _Hit(hit.rule, hit.weight, position, "decoded: " + hit.excerpt, original)
                for hit in inner
            )
            excerpt = clip_excerpt("decoded: " + found.text)
            hits.append(_Hit(ENCODED_TEXT.id, ENCODED_TEXT.weight, position, excerpt, original))
        return hits


def _hidden_spans(normalized: str) -> list[tuple[int, int]]:
    """Hidden stretches, less HTML quoted in a Markdown code span (shown as typed)."""
    spans = hidden_spans(normalized)
    if "`" not in normalized:
        return spans
    return [(start, end) for start, end in spans if not in_code_span(normalized, start)]


def _hidden_hits(normalized: str, hits: list[_Hit], spans: list[tuple[int, int]]) -> list[_Hit]:
    if not spans or not hits:
        return []
    found: list[_Hit] = []
    ordered = sorted(hits, key=lambda hit: hit.position)
    positions = [hit.position for hit in ordered]
    for start, end in spans:
        # A match counts as hidden when any of it lies in the hidden stretch (it may
        # begin in visible markup: <input name="note" value="AI agent: ...">); no
        # match is longer than its rule's reach plus FORWARD.
        first = bisect_left(positions, start - _LONGEST_MATCH)
        last = bisect_left(positions, end)
        inside = next(
            (hit for hit in ordered[first:last] if max(hit.end, hit.position + 1) > start),
            None,
        )
        if inside is not None:
            excerpt = clip_excerpt(normalized[start:end])
            position = max(inside.position, start)
            found.append(_Hit(HIDDEN_TEXT.id, HIDDEN_TEXT.weight, position, excerpt))
    return found


def _best_window(hits: list[_Hit], window: int) -> tuple[float, list[_Hit]]:
    """The highest combined score over windows starting at a hit, and its hits."""
    if not hits:
        return 0.0, []
    ordered = sorted(hits, key=lambda hit: hit.position)
    counts: dict[str, dict[float, int]] = defaultdict(lambda: defaultdict(int))
    best_score, best_range = 0.0, (0, 0)
    right = 0
    for left, first in enumerate(ordered):
        while right < len(ordered) and ordered[right].position - first.position <= window:
            counts[ordered[right].rule][ordered[right].weight] += 1
            right += 1
        remaining = 1.0
        for weights in counts.values():
            present = [weight for weight, count in weights.items() if count]
            if present:
                remaining *= 1.0 - max(present)
        score = 1.0 - remaining
        if score > best_score:
            best_score, best_range = score, (left, right)
        counts[first.rule][first.weight] -= 1
    return min(best_score, 1.0), ordered[best_range[0] : best_range[1]]


def _findings(hits: list[_Hit], best: list[_Hit], normalized: Normalized) -> tuple[Finding, ...]:
    chosen = list(best)
    chosen_ids = {id(hit) for hit in chosen}
    chosen.extend(
        hit for hit in sorted(hits, key=lambda h: h.position) if id(hit) not in chosen_ids
    )
    findings = []
    for hit in chosen[:MAX_FINDINGS]:
        start = (
            hit.original if hit.original is not None else normalized.original_offset(hit.position)
        )
        findings.append(Finding(hit.rule, hit.excerpt, start, round(hit.weight, 4)))
    return tuple(sorted(findings, key=lambda finding: (finding.start, finding.rule)))


def _as_text(value: object) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)
