"""Obfuscations an attacker uses to keep a value out of plain sight, undone.

Injected text often writes the value it wants used so that a filter looking for it
does not see it, and the model reads it back without trouble:

- defanged addresses and links: ``name [at] host [dot] example``, ``host[.]example``,
  ``hxxps[:]//…``;
- digits spelled out, and values written one character at a time:
  ``D E eight nine three seven …`` or ``H T L - 8 9 0 6 2 0``.

:func:`reveal` rewrites those forms into the plain value; the register records the
values of the revealed text *in addition* to the text as written. It runs on recorded
outputs only (never on a call's arguments), so it can only add values to a source:
a value it reveals makes an argument that uses it traceable, and nothing less so.
"""

from __future__ import annotations

import re

_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_DEFANGED_AT = re.compile(r"\s*[\[\(\{<]\s*(?:at|@)\s*[\]\)\}>]\s*")
_DEFANGED_DOT = re.compile(r"\s*[\[\(\{<]\s*(?:dot|\.)\s*[\]\)\}>]\s*")
_DEFANGED_COLON = re.compile(r"\[:\]")
_HXXP = re.compile(r"\bhxxp(s?)\b")
_DIGIT_WORD = re.compile(r"\b(?:" + "|".join(_DIGIT_WORDS) + r")\b")
#: Six or more single characters in a row, one space apart: a value spelled out.
_SPELLED_RUN = re.compile(r"(?<!\S)(?:\S ){5,}\S(?!\S)")
_MIN_DIGIT_WORDS = 4


def reveal(folded: str) -> str:
    """``folded`` (already folded: lower case, single spaces) with defanged addresses
    and spelled-out values written plainly; ``folded`` itself when it has none."""
    text = folded
    if "[" in text or "(" in text or "{" in text or "<" in text:
        text = _DEFANGED_AT.sub("@", text)
        text = _DEFANGED_DOT.sub(".", text)
        text = _DEFANGED_COLON.sub(":", text)
    if "hxxp" in text:
        text = _HXXP.sub(r"http\1", text)
    if len(_DIGIT_WORD.findall(text)) >= _MIN_DIGIT_WORDS:
        text = _DIGIT_WORD.sub(lambda match: _DIGIT_WORDS[match.group()], text)
    return _SPELLED_RUN.sub(lambda match: match.group().replace(" ", ""), text)
