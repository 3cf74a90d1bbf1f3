"""JSON with comments (JSONC), as VS Code writes it: ``//`` and ``/* */`` comments and
trailing commas.

The stripper replaces each comment and each trailing comma with spaces of the same
length (newlines kept), so a ``json.JSONDecodeError`` raised on the stripped text points
at the same line and column as in the file the person will open. Text inside strings,
``"https://example.com"`` included, is never touched.
"""

from __future__ import annotations

import json
from typing import Any

_WHITESPACE = " \t\r\n"


def _blank(text: str) -> str:
    """``text`` with every character but newlines turned into a space."""
    return "".join(char if char == "\n" else " " for char in text)


def _skip_string(text: str, start: int) -> int:
    """Index just past the string literal whose opening quote is at ``start``.

    An unterminated string runs to the end; ``json.loads`` then reports it.
    """
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == '"':
            return index + 1
        index += 1
    return len(text)


def _strip_comments(text: str) -> str:
    parts: list[str] = []
    index = 0
    copied = 0
    while index < len(text):
        char = text[index]
        if char == '"':
            index = _skip_string(text, index)
        elif text.startswith("//", index):
            end = text.find("\n", index)
            end = len(text) if end == -1 else end
            parts += [text[copied:index], _blank(text[index:end])]
            index = copied = end
        elif text.startswith("/*", index):
            end = text.find("*/", index + 2)
            if end == -1:
                raise json.JSONDecodeError("Unterminated comment", text, index)
            end += 2
            parts += [text[copied:index], _blank(text[index:end])]
            index = copied = end
        else:
            index += 1
    parts.append(text[copied:])
    return "".join(parts)


def _strip_trailing_commas(text: str) -> str:
    """Drop each comma that follows a value and precedes a closing ``}`` or ``]``.

    A comma with no value before it (``[,]``, ``{,}``, ``[1,,]``) stays, so the parser
    still reports it: editors that allow trailing commas refuse those too.
    """
    chars = list(text)
    index = 0
    previous = ""
    while index < len(text):
        char = text[index]
        if char == '"':
            index = _skip_string(text, index)
            previous = '"'
            continue
        if char == "," and previous not in ("", "{", "[", ","):
            after = index + 1
            while after < len(text) and text[after] in _WHITESPACE:
                after += 1
            if after < len(text) and text[after] in "}]":
                chars[index] = " "
        if char not in _WHITESPACE:
            previous = char
        index += 1
    return "".join(chars)


def strip_jsonc(text: str) -> str:
    """Plain JSON text from JSONC text, with the same length and line breaks.

    Raises ``json.JSONDecodeError`` for a ``/*`` comment that is never closed.
    """
    return _strip_trailing_commas(_strip_comments(text))


def loads_jsonc(text: str) -> Any:
    """Parse JSONC text; a leading byte-order mark is ignored (Windows editors add one)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return json.loads(strip_jsonc(text))
