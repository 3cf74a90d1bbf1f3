# This module lists look-alike characters on purpose.
# ruff: noqa: RUF001
"""The normalized copy of a text that rules are matched against.

Normalization undoes the cheap tricks that make an instruction unreadable to a
pattern but not to a model: compatibility forms (fullwidth and mathematical
letters, ligatures) through NFKC; invisible characters (zero-width spaces and
joiners, bidi controls, soft hyphens, control characters) removed; Unicode tag
characters (U+E0020 to U+E007E, used to smuggle invisible ASCII) decoded to the
letters they stand for; common Cyrillic and Greek look-alikes folded to Latin
letters; curly quotes to straight ones; case folded; every run of whitespace
collapsed to one space. The result is only ever scanned, never shown as the text.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

# Removed outright: zero-width characters, bidi embeddings/overrides/isolates,
# word joiner and invisible operators, BOM, soft hyphen, variation selectors,
# and every control character except the whitespace ones.
_INVISIBLE = (
    [0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0xFEFF]
    + list(range(0x200B, 0x2010))
    + list(range(0x202A, 0x202F))
    + list(range(0x2060, 0x2070))
    + list(range(0xFE00, 0xFE10))
    + [code for code in range(0x00, 0x20) if chr(code) not in "\t\n\r\x0b\x0c"]
    + list(range(0x7F, 0xA0))
)

# Blank-looking characters that are not Unicode whitespace, used as spaces.
_BLANKS = [0x2800, 0x3164, 0xFFA0]

# Look-alikes seen in obfuscated instructions (lower case: matching happens after
# case folding). Cyrillic and Greek letters that read as Latin ones.
_HOMOGLYPHS = {
    "а": "a", "в": "b", "г": "r", "ԁ": "d", "е": "e", "ё": "e", "һ": "h", "і": "i",
    "ї": "i", "ј": "j", "к": "k", "ӏ": "l", "м": "m", "н": "h", "о": "o", "р": "p",
    "ԛ": "q", "с": "c", "ѕ": "s", "т": "t", "у": "y", "х": "x", "ԝ": "w", "ъ": "b",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ϲ": "c", "ϳ": "j", "ѵ": "v",
    "ɑ": "a", "ɡ": "g", "ı": "i", "ȷ": "j", "ℓ": "l",
}  # fmt: skip

_QUOTES = {"‘": "'", "’": "'", "‛": "'", "ʼ": "'", "“": '"', "”": '"', "„": '"'}

_TABLE: dict[int, str | None] = dict.fromkeys(_INVISIBLE)
_TABLE.update(dict.fromkeys(_BLANKS, " "))
_TABLE.update({ord(k): v for k, v in _HOMOGLYPHS.items()})
_TABLE.update({ord(k): v for k, v in _QUOTES.items()})
# Tag characters spell ASCII invisibly; fold them to the (lower-case) letters.
_TABLE.update({0xE0000 + code: chr(code).lower() for code in range(0x20, 0x7F)})
_TABLE.update({0xE0001: None, 0xE007F: None})

_ASCII_TABLE: dict[int, str | None] = {code: v for code, v in _TABLE.items() if code < 0x80}

# Pieces the scanner normalizes one at a time (cut after whitespace when possible),
# so that a position in the normalized text maps back to an offset in the original.
PIECE = 1024


def normalize(text: str) -> str:
    """The normalized copy of ``text`` (idempotent: ``normalize(normalize(t)) == normalize(t)``)."""
    return " ".join(_fold(text).split())


def _fold(text: str) -> str:
    if text.isascii():
        return text.lower().translate(_ASCII_TABLE)
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_TABLE)
    # Case folding can leave text NFKC would change again; settle it so that
    # normalizing twice gives the same result.
    for _ in range(3):
        again = unicodedata.normalize("NFKC", folded).casefold().translate(_TABLE)
        if again == folded:
            break
        folded = again
    return folded


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    return " " if char.isspace() else _fold(char)


@dataclass(frozen=True, slots=True)
class Normalized:
    """A normalized text and the way back from its positions to the original's."""

    text: str
    norm_starts: tuple[int, ...]
    orig_starts: tuple[int, ...]
    pieces: tuple[str, ...]

    def original_offset(self, position: int) -> int:
        """The offset in the original text of the character at ``position`` (approximate
        inside a piece when normalization changed lengths)."""
        if not self.pieces:
            return 0
        index = max(bisect_right(self.norm_starts, position) - 1, 0)
        return self.orig_starts[index] + _locate(
            self.pieces[index], position - self.norm_starts[index]
        )

    def normalized_position(self, original: int) -> int:
        """Roughly where an offset of the original text lands in the normalized one."""
        index = bisect_right(self.orig_starts, original) - 1
        if index < 0:
            return 0
        guess = self.norm_starts[index] + (original - self.orig_starts[index])
        following = index + 1
        limit = self.norm_starts[following] if following < len(self.pieces) else len(self.text)
        return min(guess, limit)


def normalize_segments(segments: list[tuple[int, str]]) -> Normalized:
    """Normalize ``(original offset, text)`` segments into one scannable text.

    Segments (the head and tail of a long text, or the strings of a tool result)
    are joined by a space. Each segment is normalized in pieces of about ``PIECE``
    characters cut after whitespace, which gives the same text as normalizing it
    whole (except inside a run of more than ``PIECE`` characters without any space).
    """
    parts: list[str] = []
    norm_starts: list[int] = []
    orig_starts: list[int] = []
    pieces: list[str] = []
    length = 0
    pending_space = False
    for base, segment in segments:
        pending_space = pending_space or bool(parts)
        for offset, piece in _pieces(segment):
            folded = _fold(piece)
            normal = " ".join(folded.split())
            if not normal:
                pending_space = pending_space or bool(folded)
                continue
            if parts and (pending_space or folded[0].isspace()):
                parts.append(" ")
                length += 1
            norm_starts.append(length)
            orig_starts.append(base + offset)
            pieces.append(piece)
            parts.append(normal)
            length += len(normal)
            pending_space = folded[-1].isspace()
    return Normalized("".join(parts), tuple(norm_starts), tuple(orig_starts), tuple(pieces))


def _pieces(text: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = start + PIECE
        if end >= len(text):
            found.append((start, text[start:]))
            break
        cut = text.rfind("\n", start + PIECE // 2, end)
        if cut == -1:
            cut = _last_space(text, start + PIECE // 2, end)
        stop = end if cut == -1 else cut + 1
        found.append((start, text[start:stop]))
        start = stop
    return found


def _last_space(text: str, low: int, high: int) -> int:
    for index in range(high - 1, low - 1, -1):
        if text[index].isspace():
            return index
    return -1


def _locate(piece: str, target: int) -> int:
    count = 0
    pending_space = False
    for index, char in enumerate(piece):
        out = _fold_char(char)
        if not out:
            continue
        if out.isspace():
            pending_space = count > 0
            continue
        if pending_space:
            if count >= target:
                return index
            count += 1
            pending_space = False
        if count + len(out) > target:
            return index
        count += len(out)
    return len(piece)
