# ruff: noqa: RUF001, RUF003 - this table is the confusable characters themselves.
"""The text fold every comparison starts from: one spelling for what looks the same.

``fold`` applies, until nothing changes: Unicode NFKC (fullwidth and mathematical
letters, ligatures, compatibility digits), removal of invisible characters (zero-width,
bidi controls, soft hyphen, variation selectors, tag characters), case folding, a fold
of common Cyrillic, Greek, Armenian and Latin look-alikes onto the Latin letter they
imitate, non-ASCII decimal digits onto ASCII ones, and whitespace collapsed to single
spaces. It is used only to compare, never to show: folding Cyrillic onto Latin makes
some real Cyrillic words equal to Latin ones, which can only add matches.
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x061C, 0x061C),  # Arabic letter mark
    (0x115F, 0x1160),  # Hangul fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian variation selectors, vowel separator
    (0x200B, 0x200F),  # zero-width space/joiners, LRM/RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFEFF, 0xFEFF),  # zero-width no-break space (BOM)
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0xE0000, 0xE007F),  # tag characters
    (0xE0100, 0xE01EF),  # variation selectors supplement
)

# Lower-case look-alikes (the fold runs after case folding, so upper-case ones arrive
# here lower-cased: Cyrillic "В" becomes "в", which imitates "b" when upper-case).
_HOMOGLYPHS = {
    # Cyrillic
    "а": "a",
    "в": "b",
    "е": "e",
    "ё": "e",
    "ѐ": "e",
    "һ": "h",
    "н": "h",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "к": "k",
    "ӏ": "l",
    "м": "m",
    "п": "n",
    "о": "o",
    "р": "p",
    "ԛ": "q",
    "ѕ": "s",
    "т": "t",
    "с": "c",
    "у": "y",
    "ү": "y",
    "х": "x",
    "ԁ": "d",
    "ԝ": "w",
    "ь": "b",
    "ҽ": "e",
    "ԍ": "g",
    # Greek
    "α": "a",
    "β": "b",
    "γ": "y",
    "ε": "e",
    "ζ": "z",
    "η": "n",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "ω": "w",
    "ϲ": "c",
    "ϳ": "j",
    # Armenian
    "օ": "o",
    "ո": "n",
    "ս": "u",
    "ց": "g",
    "հ": "h",
    # Latin look-alikes outside ASCII
    "ı": "i",
    "ɩ": "i",
    "ɑ": "a",
    "ɡ": "g",
    "ȷ": "j",
    "ǀ": "l",
    "ʏ": "y",
    "ɴ": "n",
    "ʀ": "r",
    "ᴄ": "c",
    "ᴏ": "o",
    "ᴠ": "v",
    "ᴡ": "w",
    "ᴢ": "z",
}


def _table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for first, last in _INVISIBLE_RANGES:
        for code in range(first, last + 1):
            table[code] = None
    for char, latin in _HOMOGLYPHS.items():
        table[ord(char)] = latin
    return table


_TABLE = _table()
_MAX_ROUNDS = 8
_NON_ASCII_DIGIT = re.compile(r"(?![0-9])\d")


def fold(text: str) -> str:
    """``text`` in the spelling all comparisons use (idempotent)."""
    if text.isascii():
        # ASCII has no invisibles, look-alikes or compatibility forms: one round is
        # the fixed point.
        return " ".join(text.lower().split())
    for _ in range(_MAX_ROUNDS):
        folded = _fold_once(text)
        if folded == text:
            break
        text = folded
    return text


def _fold_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_TABLE).casefold()
    text = unicodedata.normalize("NFKC", text.translate(_TABLE))
    if not text.isascii():
        text = _NON_ASCII_DIGIT.sub(_ascii_digit, text)
    return " ".join(text.split())


def _ascii_digit(match: re.Match[str]) -> str:
    return str(unicodedata.decimal(match.group()))
