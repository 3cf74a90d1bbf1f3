"""From a JSON-like value to what provenance remembers of it, or looks up for it.

Four families of entries, each hashed apart from the others:

* values: the canonical form of every typed value (and of every short string leaf of
  structured output as a whole);
* pieces: the letters and digits of value-like runs (anything holding a digit or one of
  ``@ / : . _ - + # % = ~``, the first and last run of each string, groups of short
  digit runs), from which a value split across outputs can be reassembled;
* starts: the first three characters of each piece, a cheap filter before trying to
  reassemble;
* text: fingerprints of free text: word 5-grams, winnowed with a window of 4 (any
  copied span of 8 words or more shares at least one fingerprint with its source).
"""

from __future__ import annotations

import html
import re
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from proctor.provenance._decode import decoded_base64, rewritten
from proctor.provenance._fold import fold
from proctor.provenance._model import Observed, ValueKind
from proctor.provenance._normalize import (
    amount_of_number,
    compact_folded,
    identifier_of_folded,
    normalize,
    words,
)
from proctor.provenance._reveal import reveal
from proctor.provenance._scan import key_hint, scan, without_values

VALUE, PIECE, START, TEXT = 1, 2, 3, 4
K_WORDS = 5
WINDOW = 4
MIN_PIECE = 3
MAX_PIECE = 128
START_CHARS = 3
MIN_ASSEMBLED = 6
WHOLE_MAX = 256
MAX_DEPTH = 32
#: JSON integers this small are counts, pages and flags; they collide with anything.
SMALL_INTEGER = 100

_VALUE_LIKE = re.compile(r"[\d@/:._\-+#%=~\\]")
_DIGIT = re.compile(r"\d")
_EDGE_PUNCTUATION = ",;()[]{}<>\"'`|“”\u2018\u2019«»"
_TAIL_PUNCTUATION = ".:!?"
_NUMBERISH = re.compile(r"-?\d[\d.,'\u2019 ]*")
_ICALENDAR = re.compile(r"begin:v(?:calendar|event)", re.IGNORECASE)
_ICALENDAR_FOLD = re.compile(r"\r?\n[ \t]")

#: (family, canonical form) → the kind it was first seen as.
Entries = dict[tuple[int, str], ValueKind]


@dataclass(slots=True)
class Recorded:
    """What recording one value stores.

    ``lengths`` maps each piece start to the lengths of the pieces that begin with it
    (bit ``n - MIN_PIECE`` for length ``n``), so that reassembly only tries those.
    """

    entries: Entries = field(default_factory=dict)
    lengths: dict[str, int] = field(default_factory=dict)
    truncated: bool = False


@dataclass(slots=True)
class Leaf:
    """One string or number inside a JSON-like value."""

    text: str | None = None
    number: int | float | None = None
    hint: ValueKind | None = None
    is_key: bool = False


@dataclass(slots=True)
class Walk:
    leaves: list[Leaf] = field(default_factory=list)
    chars: int = 0
    truncated: bool = False


def prepare(text: str) -> str:
    """``text`` as scanned: HTML character references decoded once, iCalendar lines
    unfolded (a value cut by line folding is whole again), then folded."""
    if "&" in text:
        text = html.unescape(text)
    if "\n" in text and _ICALENDAR.search(text):
        text = _ICALENDAR_FOLD.sub("", text)
    return fold(text)


def walk(value: object, max_chars: int) -> Walk:
    """The leaves of ``value``, within ``max_chars`` characters (each non-string value
    counting as one) and ``MAX_DEPTH`` levels."""
    if type(value) is str and len(value) <= max_chars:
        return Walk([Leaf(text=value)], len(value))
    result = Walk()
    _walk(value, None, 0, max_chars, result)
    return result


def _walk(value: object, hint: ValueKind | None, depth: int, budget: int, out: Walk) -> None:
    if depth > MAX_DEPTH or out.chars >= budget:
        out.truncated = True
        return
    if not isinstance(value, str):
        # Every value counts against the budget, so that a million empty lists or
        # numbers cannot make a scan run long.
        out.chars += 1
    if isinstance(value, str):
        _add_text(value, hint, False, budget, out)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int | float):
        out.leaves.append(Leaf(number=value))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str):
                _add_text(key, None, True, budget, out)
            _walk(item, key_hint(key) if isinstance(key, str) else None, depth + 1, budget, out)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _walk(item, hint, depth + 1, budget, out)
    elif isinstance(value, bytes | bytearray):
        _add_text(bytes(value).decode("utf-8", "replace"), hint, False, budget, out)
    else:
        # Unknown objects are recorded by their text rather than not at all.
        _add_text(str(value), hint, False, budget, out)


def _add_text(text: str, hint: ValueKind | None, is_key: bool, budget: int, out: Walk) -> None:
    room = budget - out.chars
    if len(text) > room:
        text, out.truncated = text[:room], True
    out.chars += len(text)
    out.leaves.append(Leaf(text=text, hint=hint, is_key=is_key))


def recorded_entries(value: object, max_chars: int, *, decode: bool = True) -> Recorded:
    """What recording ``value`` stores, and whether it had to be cut short. With
    ``decode`` (the register's case), the values of its decoded copies too."""
    recorded = Recorded()
    entries = recorded.entries
    walked = walk(value, max_chars)
    for leaf in walked.leaves:
        if leaf.number is not None:
            if isinstance(leaf.number, int) and abs(leaf.number) < SMALL_INTEGER:
                continue
            amount = amount_of_number(leaf.number)
            if amount is not None:
                entries.setdefault((VALUE, amount), ValueKind.AMOUNT)
            continue
        folded = prepare(leaf.text or "")
        if folded:
            _record_text(folded, leaf, recorded)
            revealed = reveal(folded)
            if revealed != folded:
                _record_revealed(revealed, recorded)
            if decode and not leaf.is_key:
                _record_decoded(leaf.text or "", folded, recorded)
    recorded.truncated = walked.truncated
    return recorded


def _record_text(folded: str, leaf: Leaf, recorded: Recorded) -> None:
    entries = recorded.entries
    found = scan(folded)
    for item in found:
        _add_value(canonical=item.canonical, kind=item.kind, entries=entries)
        for kind, canonical in item.parts:
            _add_value(canonical=canonical, kind=kind, entries=entries)
    if leaf.is_key:
        return
    for kind, canonical in whole_values(folded, leaf.hint):
        _add_value(canonical=canonical, kind=kind, entries=entries)
    for item in found:
        _add_piece(item.compact, item.kind, recorded)
    for piece in _run_pieces(folded):
        _add_piece(piece, ValueKind.IDENTIFIER, recorded)
    grams = kgrams(without_values(folded, found))
    if grams:
        for gram in winnow(grams):
            entries.setdefault((TEXT, gram), ValueKind.TEXT)


def _record_revealed(revealed: str, recorded: Recorded) -> None:
    """The values of an output's text with its obfuscations undone (``reveal``), in
    addition to those of the text as written."""
    for item in scan(revealed):
        _add_value(canonical=item.canonical, kind=item.kind, entries=recorded.entries)
        for kind, canonical in item.parts:
            _add_value(canonical=canonical, kind=kind, entries=recorded.entries)
        _add_piece(item.compact, item.kind, recorded)


def _record_decoded(raw: str, folded: str, recorded: Recorded) -> None:
    """The values of the output's text with an encoding undone (``decoded_copies``:
    base64, reversed, letters for digits), in addition to the text as written. Only
    decoded base64 is text someone wrote: it alone has its obfuscations undone too."""
    for copy in decoded_base64(raw):
        copy = prepare(copy)
        _record_revealed(copy, recorded)
        revealed = reveal(copy)
        if revealed != copy:
            _record_revealed(revealed, recorded)
    for copy in rewritten(folded):
        _record_revealed(copy, recorded)


def _add_value(*, canonical: str, kind: ValueKind, entries: Entries) -> None:
    # One digest per canonical form, whatever its kind: the kind kept is only what
    # reasons name, the most specific one seen (a JSON key's hint, then the pattern's).
    key = (VALUE, canonical)
    if entries.get(key, ValueKind.IDENTIFIER) is ValueKind.IDENTIFIER:
        entries[key] = kind


def _add_piece(piece: str, kind: ValueKind, recorded: Recorded) -> None:
    if MIN_PIECE <= len(piece) <= MAX_PIECE:
        start = piece[:START_CHARS]
        recorded.entries.setdefault((PIECE, piece), kind)
        recorded.entries.setdefault((START, start), kind)
        recorded.lengths[start] = recorded.lengths.get(start, 0) | 1 << (len(piece) - MIN_PIECE)


def whole_values(folded: str, hint: ValueKind | None) -> list[tuple[ValueKind, str]]:
    """The canonical forms a whole short string is looked up (and recorded) under."""
    if len(folded) > WHOLE_MAX:
        return []
    values = [(ValueKind.IDENTIFIER, identifier_of_folded(folded))]
    if hint is not None:
        values.append((hint, normalize(hint, folded)))
    if (folded[0].isdigit() or folded[0] == "-") and _NUMBERISH.fullmatch(folded):
        values.append((ValueKind.AMOUNT, normalize(ValueKind.AMOUNT, folded)))
    return [(kind, canonical) for kind, canonical in values if canonical]


def _run_pieces(folded: str) -> Iterator[str]:
    """Pieces from the whitespace-separated runs of ``folded``."""
    runs = [_strip_run(token) for token in folded.split(" ")]
    runs = [run for run in runs if run]
    last = len(runs) - 1
    group: list[str] = []
    for index, run in enumerate(runs):
        value_like = _VALUE_LIKE.search(run) is not None
        if value_like or index == 0 or index == last:
            yield compact_folded(run)
        # Short digit groups ("DE89 3704 0044") are one value written in parts.
        if value_like and len(run) <= 6 and run.isalnum() and _DIGIT.search(run):
            group.append(run)
            continue
        if len(group) > 1:
            yield "".join(group)
        group = []
    if len(group) > 1:
        yield "".join(group)


def _strip_run(token: str) -> str:
    return token.strip(_EDGE_PUNCTUATION).rstrip(_TAIL_PUNCTUATION).strip(_EDGE_PUNCTUATION)


def kgrams(folded: str) -> list[str]:
    """Every word 5-gram of ``folded`` (none for fewer than five words)."""
    found = words(folded)
    return [" ".join(found[i : i + K_WORDS]) for i in range(len(found) - K_WORDS + 1)]


def winnow(grams: list[str]) -> list[str]:
    """The 5-grams winnowing keeps: the rightmost smallest hash of every window of 4.

    The hash only orders the grams (what is stored is their keyed digest); any
    deterministic hash keeps winnowing's guarantee.
    """
    hashes = [zlib.crc32(gram.encode("utf-8", "surrogatepass")) for gram in grams]
    if len(hashes) <= WINDOW:
        return [grams[hashes.index(min(hashes))]]
    chosen: list[int] = []
    for start in range(len(hashes) - WINDOW + 1):
        window = hashes[start : start + WINDOW]
        smallest = min(window)
        index = start + WINDOW - 1 - window[::-1].index(smallest)
        if not chosen or chosen[-1] != index:
            chosen.append(index)
    return [grams[index] for index in chosen]


def observed(value: object, max_chars: int) -> list[Observed]:
    """The public view of :func:`recorded_entries`: values and text fingerprints of
    ``value`` as written (not of its decoded copies: a value read backwards or from
    base64 is evidence only of where a value came from, not one the caller gave)."""
    entries = recorded_entries(value, max_chars, decode=False).entries
    return [
        Observed(kind, canonical)
        for (family, canonical), kind in entries.items()
        if family in (VALUE, TEXT)
    ]
