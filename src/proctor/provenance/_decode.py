"""Encodings an injection uses to carry a value past a filter, decoded at record time.

Injected text can ask the agent to decode a value it wrote in a form no scanner
reads as one: base64 (``YXVkaXQtZGVza0BldmlsLmV4YW1wbGU=``), the value written
backwards (``elpmaxe.live@ksed-tidua``), or letters standing for the digits they look
like (``DE89 37O4 OO44 …``, ``HTL-89O62O``). The model reads each back without
trouble. :func:`decoded_copies` gives the text of an output with each of these undone;
the register records the typed values of those copies *in addition* to the text as
written. Like :mod:`._reveal` it runs on recorded outputs only, never on a call's
arguments, so a decoded copy can only add values to a source: an argument using one
becomes traceable, and nothing becomes less so.

Added on 2026-11-26 after these three were measured as held out by the evaluation.
"""

from __future__ import annotations

import base64
import binascii
import re

#: A run of base64 (standard or URL-safe alphabet) long enough to hold a value.
_BASE64 = re.compile(r"(?<![\w+/=-])[A-Za-z0-9+/_-]{12,}={0,2}(?![\w+/=-])")
#: Letters that stand for the digits they look like, in folded (lower-case) text.
_CONFUSABLE_DIGITS = str.maketrans({"o": "0", "l": "1", "i": "1"})
_DIGIT = re.compile(r"[0-9]")
_ANY_CONFUSABLE = re.compile(r"[oli]")
#: A letter-and-digit run holding a digit and a look-alike.
_MIXED_RUN = re.compile(r"(?<![a-z0-9])(?=[a-z0-9]*[0-9])(?=[a-z0-9]*[oli])[a-z0-9]+")
#: The same, or a run that starts like an IBAN (a country code, then check digits or
#: look-alikes: ``frlo``), which need not hold a digit.
_COUNTRY_START = re.compile(r"[a-z]{2}[0-9oli]{2}")
_COUNTRY_OR_MIXED_RUN = re.compile(
    r"(?<![a-z0-9])(?:[a-z]{2}[0-9oli]{2}[a-z0-9]*"
    r"|(?=[a-z0-9]*[0-9])(?=[a-z0-9]*[oli])[a-z0-9]+)"
)
#: A run of look-alikes only, next to a digit across one space or hyphen.
_LONE_RUN = re.compile(r"(?<=[0-9][ \-])[oli]{2,}(?![a-z0-9])|(?<![a-z0-9])[oli]{2,}(?=[ \-][0-9])")
_MAX_CHAIN = 4
#: At most this many base64 runs of one text are decoded.
_MAX_BASE64_RUNS = 64
_MAX_DECODED_CHARS = 4096


def decoded_copies(raw: str, folded: str) -> list[str]:
    """The copies of an output's text with an encoding undone: its base64 runs
    decoded (from ``raw``: base64 is case-sensitive), then ``folded`` reversed and
    with letters standing for digits read as digits (:func:`rewritten`)."""
    return [*decoded_base64(raw), *rewritten(folded)]


def rewritten(folded: str) -> list[str]:
    """``folded`` reversed, and with letters standing for digits read as digits (two
    readings, see :func:`_letters_as_digits`): each copy that differs from it."""
    copies = [folded[::-1]]
    for keep_country in (False, True):
        digits = _letters_as_digits(folded, keep_country)
        if digits not in copies:
            copies.append(digits)
    return [copy for copy in copies if copy and copy != folded]


def decoded_base64(raw: str) -> list[str]:
    """The readable text each base64 run of ``raw`` decodes to."""
    found: list[str] = []
    for count, match in enumerate(_BASE64.finditer(raw)):
        if count >= _MAX_BASE64_RUNS:
            break
        text = _decode_base64(match.group())
        if text is not None:
            found.append(text)
    return found


def _decode_base64(run: str) -> str | None:
    body = run.rstrip("=")
    if len(body) % 4 == 1 or len(body) > _MAX_DECODED_CHARS:
        return None
    padded = body + "=" * (-len(body) % 4)
    if "-" in padded or "_" in padded:
        padded = padded.replace("-", "+").replace("_", "/")
    try:
        data = base64.b64decode(padded, validate=True)
        text = data.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    # Random letters and digits (an IBAN, a hash, a long word) decode to bytes that
    # are not readable text: only printable text is a value someone encoded.
    if not text or not text.isprintable() or not any(char.isalnum() for char in text):
        return None
    return text


def _letters_as_digits(folded: str, keep_country: bool) -> str:
    """``folded`` with ``o``, ``l`` and ``i`` read as ``0`` and ``1`` in the letter-
    and-digit runs that hold a digit, and in runs made only of them (``oo``) next to
    a digit across one space or hyphen (``… ol3o oo``). With ``keep_country``, a run
    shaped like the start of an IBAN (two letters, then two digits or look-alikes:
    ``nl30``, ``frlo``) keeps its two letters and has the rest read as digits; without
    it, it is read like any other run (``ol3o`` is ``0130``). The register records
    both readings."""
    if _DIGIT.search(folded) is None or _ANY_CONFUSABLE.search(folded) is None:
        return folded
    if keep_country:
        text = _COUNTRY_OR_MIXED_RUN.sub(_country_run, folded)
    else:
        text = _MIXED_RUN.sub(_all_digits, folded)
    for _ in range(_MAX_CHAIN):
        joined = _LONE_RUN.sub(_all_digits, text)
        if joined == text:
            break
        text = joined
    return text


def _all_digits(match: re.Match[str]) -> str:
    return match.group().translate(_CONFUSABLE_DIGITS)


def _country_run(match: re.Match[str]) -> str:
    run = match.group()
    if _COUNTRY_START.match(run) is not None:
        return run[:2] + run[2:].translate(_CONFUSABLE_DIGITS)
    return run.translate(_CONFUSABLE_DIGITS)
