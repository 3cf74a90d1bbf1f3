"""Finding typed values in folded text: one pass of one pattern, checked in Python.

The pattern's alternatives are tried in priority order at each position (URL before
e-mail before IBAN before path ...), so a span is claimed by the most specific kind.
A few kinds are confirmed after the match: an IBAN must pass its length and mod-97
check, a phone number must hold 7-15 digits, a date is not an account number, and a
"domain" whose last label is a file extension is an identifier.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from proctor.provenance._model import ValueKind
from proctor.provenance._normalize import (
    CURRENCY,
    compact_folded,
    identifier_of_folded,
    normalize,
)

_TLD = r"(?:[^\W\d_]{2,63}|xn--[a-z0-9\-]{1,59})"
_LABEL = r"[^\W_](?:[\w\-]{0,61}[^\W_])?"
_HOST = rf"(?:{_LABEL}\.)+{_TLD}"
_URL_CHARS = r"[^\s<>\"'`]"
_NUM = r"(?:[1-9]\d{0,2}(?:[,.'\u2019 ]\d{3})+|\d+)(?:[.,]\d{1,2})?"

# In priority order: at one position the first that matches claims the span.
_ALTERNATIVES = {
    "url": rf"(?P<url>(?:(?:https?|hxxps?|ftps?|wss?)://|www\.){_URL_CHARS}+"
    rf"|(?<![\w@.\-]){_HOST}/{_URL_CHARS}*)",
    "email": rf"(?P<email>(?:mailto:)?(?<![\w.%+\-])[\w.%+\-]+@{_HOST})(?![\w\-])",
    "iban": r"(?P<iban>[a-z]{2}[ \-]?\d{2}(?:[ \-]?[a-z0-9]){11,30})",
    "path": r"(?P<path>(?<![/.~:\\])(?:~|\.{1,2})?/[\w.@%+~\-]+(?:/[\w.@%+~\-]+)*/?"
    r"|[a-z]:\\[^\s<>\"'`|]+|\\\\[\w.\-]+\\[^\s<>\"'`|]+)",
    "mention": r"(?P<mention>(?<![@.])@[^\W_][\w.\-]*(?:/[^\W_][\w.\-]*)?)",
    "prefixed": r"(?P<prefixed>(?:user|group|team|role):[^\W_][\w.\-@]*)",
    "domain": rf"(?P<domain>(?<![@.\-]){_HOST})(?![\w\-])",
    "amount": rf"(?P<amount>(?:{CURRENCY}) ?-?{_NUM}|-?{_NUM} ?(?:{CURRENCY})"
    r"|(?<![.,])[1-9]\d{0,2}(?:[,.'\u2019 ]\d{3})*[.,]\d{2}(?![\w]|[.,]\d))",
    "phone": r"(?P<phone>(?:tel:)?(?:(?<!\+)\+|00)\d[\d ().\-/]{5,22}\d"
    r"|(?<!\))\(\d{2,5}\) ?\d[\d .\-/]{4,18}\d)",
    "digits": r"(?P<digits>(?<![.,])\d(?:[ \-./]?\d){5,33}(?!\w))",
    "ident": r"(?P<ident>(?<![\-./:#])(?:[^\W\d_]*[\d_]\w*(?:[\-./:#]\w+)*|\w+(?:[\-./:#]\w+)+)"
    # An identifier ends where a value could not go on: "eve:mailto:eve.long-name@..."
    # is no identifier, it is the start of a calendar line before an e-mail address.
    r"(?![\w@]|[.\-:/#][\w@/]))",
}
#: A bare e-mail address, and nothing another kind could claim first (no scheme,
#: no "www." start, no path, no "mailto:").
_EMAIL_ONLY = re.compile(rf"(?!www\.)[\w.%+\-]+@{_HOST}")
_DIGIT = re.compile(r"\d")
_JOINER = re.compile(r"[_\-./:#]")
_SIX_DIGITS = re.compile(r"\d(?:[ \-./]?\d){5}")
_QUOTE = re.compile('[`"“”«»]')
_GROUP_KINDS = {"iban": ValueKind.IBAN, "path": ValueKind.PATH, "amount": ValueKind.AMOUNT}
# fmt: off
_CURRENCY_CODES = frozenset({
    "usd", "eur", "gbp", "chf", "jpy", "cad", "aud", "nzd", "sek", "nok", "dkk", "pln",
    "czk", "huf", "inr", "cny", "rmb", "rub", "brl", "mxn", "zar", "sgd", "hkd", "krw",
    "try", "ils", "aed", "sar",
})
# fmt: on
_CURRENCY_MARK = re.compile(
    r"[$€£¥₹₽₩₺₴₪฿]|(?<![^\W\d_])(?:" + "|".join(sorted(_CURRENCY_CODES)) + r")(?![^\W\d_])"
)
_Patterns = tuple[re.Pattern[str], re.Pattern[str] | None]
_COMPILED: dict[tuple[str, ...], _Patterns] = {}
_QUOTED = re.compile(r"[`\"“”«»]([^`\"“”«»\n]{1,64})[`\"“”«»]")
_DATE = re.compile(r"\d{4}[\-./]\d{1,2}[\-./]\d{1,2}|\d{1,2}[\-./]\d{1,2}[\-./]\d{2,4}")
_URL_TAIL = ".,;:!?\"')]}"
# fmt: off
_FILE_EXTENSIONS = frozenset({
    "pdf", "txt", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "csv", "tsv", "png", "jpg",
    "jpeg", "gif", "svg", "webp", "bmp", "md", "rst", "json", "yaml", "yml", "toml", "xml",
    "ini", "cfg", "conf", "log", "py", "js", "ts", "tsx", "jsx", "java", "go", "rs", "rb",
    "php", "sh", "bat", "ps1", "exe", "dll", "so", "zip", "tar", "gz", "tgz", "bz2", "xz",
    "7z", "rar", "html", "htm", "css", "eml", "ics", "msg", "mp3", "mp4", "mov", "wav",
    "avi", "db", "sqlite", "bak", "tmp", "key", "pem", "crt",
})
_IBAN_LENGTHS = {
    "ad": 24, "ae": 23, "al": 28, "at": 20, "az": 28, "ba": 20, "be": 16, "bg": 22,
    "bh": 22, "br": 29, "by": 28, "ch": 21, "cr": 22, "cy": 28, "cz": 24, "de": 22,
    "dk": 18, "do": 28, "ee": 20, "eg": 29, "es": 24, "fi": 18, "fo": 18, "fr": 27,
    "gb": 22, "ge": 22, "gi": 23, "gl": 18, "gr": 27, "gt": 28, "hr": 21, "hu": 28,
    "ie": 22, "il": 23, "iq": 23, "is": 26, "it": 27, "jo": 30, "kw": 30, "kz": 20,
    "lb": 28, "lc": 32, "li": 21, "lt": 20, "lu": 20, "lv": 21, "mc": 27, "md": 24,
    "me": 22, "mk": 19, "mr": 27, "mt": 31, "mu": 30, "nl": 18, "no": 15, "pk": 24,
    "pl": 28, "ps": 29, "pt": 25, "qa": 29, "ro": 24, "rs": 22, "sa": 24, "sc": 31,
    "se": 24, "si": 19, "sk": 24, "sm": 27, "st": 25, "sv": 28, "tl": 23, "tn": 24,
    "tr": 26, "ua": 29, "va": 22, "vg": 24, "xk": 20,
}
_USER_KEYS = frozenset({
    "user", "username", "user_name", "login", "owner", "assignee", "grantee", "member",
    "author", "reviewer", "approver", "principal", "handle", "users", "members", "grantees",
})
_GROUP_KEYS = frozenset({"group", "groups", "team", "teams", "role", "roles", "org"})
# fmt: on


class Found(NamedTuple):
    """A typed value found in folded text.

    ``canonical``: its normalized form; ``compact``: the letters and digits of the text
    it was found in (what pieces are matched against); ``parts``: values inside it
    (the domain of an e-mail address or URL).
    """

    kind: ValueKind
    canonical: str
    compact: str
    parts: tuple[tuple[ValueKind, str], ...] = ()
    #: Where it is in the text (quoted spans, which overlap others, have none).
    span: tuple[int, int] | None = None


def key_hint(key: str) -> ValueKind | None:
    """The kind a JSON key says its value is (``grantee`` → user), if any."""
    name = key.casefold().replace("-", "_")
    if name in _USER_KEYS:
        return ValueKind.USER
    if name in _GROUP_KEYS:
        return ValueKind.GROUP
    return None


def scan(folded: str) -> list[Found]:
    """The typed values in ``folded`` (text already passed through ``fold``)."""
    if "@" in folded and _EMAIL_ONLY.fullmatch(folded) is not None:
        # The most common target, a bare address, without trying every kind: what
        # the combined pattern finds in it (the whole of it, as an e-mail address).
        item = _classify("email", folded, (0, len(folded)))
        if item is not None:
            return [item]
    return scan_fully(folded)


def scan_fully(folded: str) -> list[Found]:
    """What :func:`scan` finds, always by trying every kind (no shortcut)."""
    found = _typed(folded)
    if _QUOTE.search(folded) is not None:
        found.extend(_quoted(folded))
    return found


def without_values(folded: str, found: list[Found]) -> str:
    """``folded`` with the typed values cut out: what free-text fingerprints are taken
    of, so that a value is judged by its own kind and the prose around it by the text."""
    spans = [item.span for item in found if item.span is not None]
    if not spans:
        return folded
    pieces: list[str] = []
    position = 0
    for start, end in spans:
        pieces.append(folded[position:start])
        position = end
    pieces.append(folded[position:])
    return " ".join(pieces)


def _possible(text: str) -> tuple[str, ...]:
    """The kinds ``text`` has the characters for: only they are tried on it."""
    digit = _DIGIT.search(text) is not None
    at, dot, slash, colon = "@" in text, "." in text, "/" in text, ":" in text
    names: list[str] = []
    if (colon and "://" in text) or (slash and dot) or "www." in text:
        names.append("url")
    if at and dot:
        names.append("email")
    if digit and len(text) >= 15:
        names.append("iban")
    if slash or "\\" in text:
        names.append("path")
    if at:
        names.append("mention")
    if colon and ("user:" in text or "group:" in text or "team:" in text or "role:" in text):
        names.append("prefixed")
    if dot:
        names.append("domain")
    if digit and (dot or "," in text or _currency(text)):
        names.append("amount")
    if digit and ("+" in text or "(" in text or "00" in text):
        names.append("phone")
    if digit and len(text) >= 6 and _SIX_DIGITS.search(text) is not None:
        names.append("digits")
    if digit or _JOINER.search(text) is not None:
        names.append("ident")
    return tuple(names)


def _currency(text: str) -> bool:
    return _CURRENCY_MARK.search(text) is not None


def _patterns(names: tuple[str, ...]) -> _Patterns:
    """The combined pattern for ``names`` and the same without IBAN (compiled once)."""
    compiled = _COMPILED.get(names)
    if compiled is None:
        without = [name for name in names if name != "iban"]
        compiled = (_join(names), _join(without) if without and "iban" in names else None)
        _COMPILED[names] = compiled
    return compiled


def _join(names: Iterable[str]) -> re.Pattern[str]:
    # Every kind starts where no word character precedes: checked first, it lets the
    # engine skip the inside of words at once.
    return re.compile(r"(?<!\w)(?:" + "|".join(_ALTERNATIVES[name] for name in names) + ")")


def _typed(text: str) -> list[Found]:
    found: list[Found] = []
    names = _possible(text)
    if not names:
        return found
    everything, no_iban = _patterns(names)
    position, size = 0, len(text)
    pattern: re.Pattern[str] | None = everything
    while pattern is not None and position < size:
        match = pattern.search(text, position)
        pattern = everything
        if match is None:
            break
        group = match.lastgroup or ""
        start, end = match.span()
        if group == "iban":
            length = _iban_length(match.group())
            if length is None:
                # Not an IBAN after all: let the other kinds have this span.
                pattern, position = no_iban, start
                continue
            end = _end_after_alnum(text, start, length)
        elif group in ("url", "path"):
            end = start + len(_trim_url(match.group()))
        item = _classify(group, text[start:end], (start, end))
        if item is not None:
            found.append(item)
        position = max(end, start + 1)
    return found


def _classify(group: str, raw: str, span: tuple[int, int]) -> Found | None:
    kind: ValueKind | None
    if group == "url":
        canonical = normalize(ValueKind.URL, raw)
        host = canonical.split("/", 1)[0].split("?", 1)[0].rsplit(":", 1)[0]
        parts = ((ValueKind.DOMAIN, host),)
        return Found(ValueKind.URL, canonical, compact_folded(raw), parts, span)
    if group == "email":
        # The common case needs no normalizing: found in folded text, ASCII, with no
        # prefix, leading dot, "www." or punycode to take off.
        plain = raw.isascii() and raw[0] != "." and not raw.startswith("mailto:")
        if plain and "@www." not in raw and "xn--" not in raw:
            canonical = raw
        else:
            canonical = normalize(ValueKind.EMAIL, raw)
        parts = ((ValueKind.DOMAIN, canonical.rpartition("@")[2]),)
        return Found(ValueKind.EMAIL, canonical, compact_folded(raw), parts, span)
    if group == "domain":
        last = raw.rsplit(".", 1)[-1]
        kind = ValueKind.IDENTIFIER if last in _FILE_EXTENSIONS else ValueKind.DOMAIN
    elif group == "mention":
        kind = ValueKind.GROUP if "/" in raw else ValueKind.USER
    elif group == "prefixed":
        kind = ValueKind.USER if raw.startswith("user:") else ValueKind.GROUP
    elif group == "phone":
        digits = sum(char.isdigit() for char in raw)
        kind = ValueKind.PHONE if 7 <= digits <= 15 else _digits_kind(raw)
    elif group == "digits":
        kind = _digits_kind(raw)
    elif group == "ident":
        letters = compact_folded(raw)
        if len(letters) < 3:
            return None
        return Found(ValueKind.IDENTIFIER, identifier_of_folded(raw), letters, (), span)
    else:
        kind = _GROUP_KINDS.get(group)
    if kind is None:
        return None
    return Found(kind, normalize(kind, raw), compact_folded(raw), (), span)


def _digits_kind(raw: str) -> ValueKind | None:
    if _DATE.fullmatch(raw) or sum(char.isdigit() for char in raw) < 6:
        return None
    return ValueKind.ACCOUNT


def _quoted(text: str) -> Iterator[Found]:
    for match in _QUOTED.finditer(text):
        inner = match.group(1).strip()
        if len(compact_folded(inner)) >= 2:
            yield Found(ValueKind.IDENTIFIER, identifier_of_folded(inner), compact_folded(inner))


def _trim_url(raw: str) -> str:
    while raw and raw[-1] in _URL_TAIL:
        if raw[-1] == ")" and raw.count("(") >= raw.count(")"):
            break
        raw = raw[:-1]
    return raw


def _iban_length(raw: str) -> int | None:
    """How many letters and digits of ``raw`` form a valid IBAN, if any do."""
    chars = "".join(char for char in raw if char.isalnum())
    known = _IBAN_LENGTHS.get(chars[:2])
    lengths = [known] if known else range(min(len(chars), 34), 14, -1)
    for length in lengths:
        if len(chars) >= length and _mod97_ok(chars[:length]):
            return length
    return None


def _mod97_ok(iban: str) -> bool:
    if not iban.isascii() or not iban.isalnum():
        return False
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return int(number) % 97 == 1


def _end_after_alnum(text: str, start: int, count: int) -> int:
    seen = 0
    for index in range(start, len(text)):
        if text[index].isalnum():
            seen += 1
            if seen == count:
                return index + 1
    return len(text)
