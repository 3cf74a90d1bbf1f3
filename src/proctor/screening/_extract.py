"""Where instructions hide: invisible HTML, and text encoded so patterns miss it.

Hidden regions are found in the normalized text (HTML survives normalization apart
from case and whitespace), so they share its positions. Encoded text is decoded to
plain text to be scanned with the same rules: base64 blobs and letters spaced out
("i g n o r e") are read from the original text, because normalization would lose
the case base64 needs and the word gaps spaced letters leave; percent-encoded links
are read from the normalized text. Every extraction is bounded in count and size.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote_plus

_HIDING_STYLE = (
    r"display\s?:\s?none|visibility\s?:\s?hidden|font-size\s?:\s?0(?:\.\d+)?\s?(?:px|pt|em|rem|%)?"
    r"\s?(?:[;\"'!]|$)|font-size\s?:\s?[01](?:\.\d+)?\s?(?:px|pt)|opacity\s?:\s?0(?:\.0+)?\s?"
    r"(?:[;\"'!]|$)|(?<![-\w])color\s?:\s?(?:#fff(?:fff)?\b|white\b|rgb\(\s?255,\s?255,\s?255\s?\))"
    r"|(?:left|top|text-indent)\s?:\s?-\d{3,}|max-height\s?:\s?0\b|height\s?:\s?[01]px"
    r"|clip\s?:\s?rect\(0"
)
_HIDING_ATTRIBUTES = re.compile(
    r"style\s?=\s?[\"']?[^\"']{0,600}?(?:" + _HIDING_STYLE + r")|(?:^|\s)hidden\b"
    r"|aria-hidden\s?=\s?[\"']?true|class\s?=\s?[\"'][^\"']{0,200}?"
    r"\b(?:sr-only|visually-hidden|hidden)\b"
)
_OPEN_TAG = re.compile(r"<([a-z][a-z0-9]{0,15})\b([^<>]{0,800})>")
_ALWAYS_HIDDEN = frozenset({"script", "noscript", "template"})
_ATTRIBUTE = re.compile(
    r"\b(?:alt|title|value|content|placeholder|aria-label|data-[\w-]+)\s?=\s?"
    r"(?:\"([^\"]{12,3000})\"|'([^']{12,3000})')"
)
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{32,}={0,2}(?![A-Za-z0-9+/=_-])")
_SPACED_RUN = re.compile(r"([^\W\d_])([ ._*+|~-])(?:[^\W\d_]\2){1,}[^\W\d_](?![^\W\d_])")
_JOINED_WORDS = re.compile(r"(?<![\w-])[a-z0-9']+(?:[_-][a-z0-9'@.]+){3,}")
_TOKEN = re.compile(r"[^\s\"'<>()]{12,}")
_PERCENT_ESCAPE = re.compile(r"%[0-9a-f]{2}")
_URL_PUNCTUATION = re.compile(r"[/?&=#_+.-]+")

MAX_BLOBS = 32
MAX_HIDDEN = 256
HIDDEN_LIMIT = 6000
MAX_BLOB_CHARS = 16_384
MAX_PHRASES = 64
MIN_SPACED_LETTERS = 8


@dataclass(frozen=True, slots=True)
class Decoded:
    """Plain text recovered from an encoded stretch at ``start`` of the source."""

    start: int
    text: str


def hidden_spans(normalized: str) -> list[tuple[int, int]]:
    """Stretches of the normalized text a person would not see on a rendered page.

    An HTML comment, the content of an element hidden by its style or attributes
    (or of ``script``/``noscript``/``template``), and the values of attributes that
    are not shown as text. At most ``MAX_HIDDEN`` comments and elements, each read up
    to ``HIDDEN_LIMIT`` characters (an unclosed one counts as hidden up to there).
    """
    spans: list[tuple[int, int]] = []
    if "<!--" in normalized:
        spans.extend(_comments(normalized))
    if "<" in normalized:
        spans.extend(_hidden_elements(normalized))
    if '="' in normalized or "='" in normalized or '= "' in normalized:
        for match in _ATTRIBUTE.finditer(normalized):
            spans.append(match.span(1) if match.group(1) is not None else match.span(2))
    return sorted(spans)


def _comments(text: str) -> Iterator[tuple[int, int]]:
    position = 0
    for _ in range(MAX_HIDDEN):
        opening = text.find("<!--", position)
        if opening == -1:
            return
        start = opening + 4
        closing = text.find("-->", start, start + HIDDEN_LIMIT)
        end = closing if closing != -1 else min(len(text), start + HIDDEN_LIMIT)
        yield start, end
        position = end


def _hidden_elements(text: str) -> Iterator[tuple[int, int]]:
    found = 0
    for match in _OPEN_TAG.finditer(text):
        tag, attributes = match.group(1), match.group(2)
        if tag not in _ALWAYS_HIDDEN and not _HIDING_ATTRIBUTES.search(attributes):
            continue
        start = match.end()
        closing = text.find("</" + tag, start, start + HIDDEN_LIMIT)
        yield start, closing if closing != -1 else min(len(text), start + HIDDEN_LIMIT)
        found += 1
        if found >= MAX_HIDDEN:
            return


def base64_texts(source: str) -> Iterator[Decoded]:
    """Base64 blobs of ``source`` that decode to readable text."""
    found = 0
    for match in _BASE64.finditer(source):
        blob = match.group(0)[:MAX_BLOB_CHARS].rstrip("=")
        if blob.isalpha() or blob.isdigit():
            continue
        try:
            raw = base64.b64decode(blob + "=" * (-len(blob) % 4), altchars=_altchars(blob))
            text = raw.decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        if _readable(text):
            yield Decoded(match.start(), text)
            found += 1
            if found >= MAX_BLOBS:
                return


def spaced_texts(source: str) -> Iterator[Decoded]:
    """Words written with their letters spaced out, joined back into a phrase."""
    words: list[str] = []
    phrase_start = last_end = -1
    found = 0
    for match in _SPACED_RUN.finditer(source):
        word = match.group(0).replace(match.group(2), "")
        if words and match.start() - last_end <= 6:
            words.append(word)
        else:
            if sum(map(len, words)) >= MIN_SPACED_LETTERS:
                yield Decoded(phrase_start, " ".join(words))
                found += 1
                if found >= MAX_PHRASES:
                    return
            words, phrase_start = [word], match.start()
        last_end = match.end()
    if sum(map(len, words)) >= MIN_SPACED_LETTERS:
        yield Decoded(phrase_start, " ".join(words))


def percent_texts(normalized: str) -> Iterator[Decoded]:
    """Links and tokens whose words are percent- or plus-encoded (``ignore%20all``)."""
    if "%" not in normalized and "+" not in normalized:
        return
    found = 0
    for match in _TOKEN.finditer(normalized):
        token = match.group(0)
        if "+" not in token and not _PERCENT_ESCAPE.search(token):
            continue
        text = _URL_PUNCTUATION.sub(" ", unquote_plus(token, errors="replace"))
        if text.count(" ") >= 3:
            yield Decoded(match.start(), text)
            found += 1
            if found >= MAX_BLOBS:
                return


def joined_texts(normalized: str) -> Iterator[Decoded]:
    """Words run together with underscores or hyphens (``ai_agent_ignore_the_rules``),
    as in file names, network names and identifiers, split back into a phrase."""
    if "_" not in normalized and "-" not in normalized:
        return
    for found, match in enumerate(_JOINED_WORDS.finditer(normalized), start=1):
        token = match.group(0)
        yield Decoded(match.start(), token.replace("_" if "_" in token else "-", " "))
        if found >= MAX_PHRASES:
            return


def _altchars(blob: str) -> bytes:
    return b"-_" if ("-" in blob or "_" in blob) else b"+/"


def _readable(text: str) -> bool:
    if len(text) < 16 or text.count(" ") < 2:
        return False
    printable = sum(1 for char in text if char.isprintable() or char in "\n\t\r")
    return printable >= 0.95 * len(text)
