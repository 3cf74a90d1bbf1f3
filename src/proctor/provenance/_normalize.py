"""One canonical spelling per kind of value, so that equal values compare equal.

Every normalizer starts from :func:`~proctor.provenance._fold.fold` and is applied until
its output no longer changes, which makes :func:`normalize` idempotent by construction
(the property tests check it on generated input).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote

from proctor.provenance._fold import fold
from proctor.provenance._model import ValueKind

_MAX_ROUNDS = 8
_QUOTES = "\"'`“”\u2018\u2019«»<>"
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):(//)?")
_WEB_SCHEMES = frozenset({"http", "https", "ftp", "ftps", "ws", "wss", "hxxp", "hxxps"})
_DEFAULT_PORTS = frozenset({"", "80", "443"})
_PORT = re.compile(r"^(.*?):(\d*)$")
_IBAN_SEPARATORS = re.compile(r"[\s\-.]")
_ACCOUNT_SEPARATORS = re.compile(r"[\s\-./]")
_NOT_DIGIT = re.compile(r"[^0-9]")
_NAME_PREFIX = re.compile(r"^(?:user|group|team|role)\s?:\s?")
_WORD = re.compile(r"[^\W_]+")
_NOT_WORD = re.compile(r"[\W_]+")
#: The same for ASCII text, as bytes to delete (several times faster than the pattern).
_ASCII_NOT_WORD = bytes(code for code in range(128) if not chr(code).isalnum())
CURRENCY = (
    r"[$€£¥₹₽₩₺₴₪฿]|\b(?:usd|eur|gbp|chf|jpy|cad|aud|nzd|sek|nok|dkk|pln|czk|huf|"
    r"inr|cny|rmb|rub|brl|mxn|zar|sgd|hkd|krw|try|ils|aed|sar)\b"
)
_CURRENCY = re.compile(CURRENCY)
_GROUPED = re.compile(r"(-?)([1-9]\d{0,2})((?:[.,'\u2019 ]\d{3})+)(?:[.,](\d{1,2}))?")
_PLAIN = re.compile(r"(-?)(\d+)(?:[.,](\d+))?")


def normalize(kind: ValueKind, text: str) -> str:
    """``text`` in the canonical spelling of ``kind`` (idempotent for every kind)."""
    step = _STEPS[kind]
    for _ in range(_MAX_ROUNDS):
        normalized = step(text)
        if normalized == text:
            break
        text = normalized
    return text


def compact(text: str) -> str:
    """Only the letters and digits of folded ``text``: the form pieces are matched in."""
    return "".join(_WORD.findall(fold(text)))


def identifier_of_folded(folded: str) -> str:
    """``normalize(IDENTIFIER, folded)`` for text that is already folded."""
    # Folded ASCII is its own identifier form once its quotes are off.
    if folded.isascii():
        return folded.strip(_QUOTES + " ")
    return normalize(ValueKind.IDENTIFIER, folded)


def compact_folded(folded: str) -> str:
    """:func:`compact` of text that is already folded."""
    if folded.isascii():
        return folded.encode("ascii").translate(None, _ASCII_NOT_WORD).decode("ascii")
    return _NOT_WORD.sub("", folded)


def words(folded: str) -> list[str]:
    """The words (runs of letters and digits) of already folded text."""
    return _WORD.findall(folded)


def amount_of_number(number: int | float) -> str | None:
    """The canonical amount of a JSON number; ``None`` for NaN and infinities."""
    try:
        value = Decimal(number) if isinstance(number, int) else Decimal(repr(number))
    except InvalidOperation:
        return None
    return _decimal_text(value) if value.is_finite() else None


def _identifier(text: str) -> str:
    return fold(text).strip(_QUOTES + " ")


def _text(text: str) -> str:
    return " ".join(_WORD.findall(fold(text)))


def _name(text: str) -> str:
    text = _NAME_PREFIX.sub("", _identifier(text))
    return text.lstrip("@").strip()


def _domain(text: str) -> str:
    host = fold(text).strip(_QUOTES + " ").replace(" ", "").rstrip(".")
    while host.startswith("www."):
        host = host[4:]
    if "xn--" in host:
        host = ".".join(_idna_label(label) for label in host.split("."))
    return host


def _idna_label(label: str) -> str:
    if not label.startswith("xn--"):
        return label
    try:
        return fold(label[4:].encode("ascii").decode("punycode"))
    except (UnicodeError, ValueError):
        return label


def _email(text: str) -> str:
    text = fold(text).strip(_QUOTES + " .").replace(" ", "")
    if text.startswith("mailto:"):
        text = text[len("mailto:") :]
    local, at, domain = text.rpartition("@")
    if not at:
        return text
    return f"{local}@{_domain(domain)}"


def _url(text: str) -> str:
    text = fold(text).strip(_QUOTES + " ")
    scheme = _SCHEME.match(text)
    if scheme and (scheme.group(1) in _WEB_SCHEMES or scheme.group(2)):
        text = text[scheme.end() :]
    elif text.startswith("//"):
        text = text[2:]
    text = text.split("#", 1)[0]
    cut = len(text)
    for mark in "/?":
        where = text.find(mark)
        if where != -1:
            cut = min(cut, where)
    authority, rest = _unquote(text[:cut]), text[cut:]
    authority = authority.rpartition("@")[2]
    port = ""
    port_match = _PORT.match(authority)
    if port_match:
        authority, port = port_match.group(1), port_match.group(2)
    host = _domain(authority)
    if port not in _DEFAULT_PORTS:
        host = f"{host}:{port}"
    path, _, query = rest.partition("?")
    path = _segments(_unquote(path))
    query = _unquote(query)
    return host + path + (f"?{query}" if query else "")


def _unquote(text: str) -> str:
    # Decoded until stable: double encoding (%2541) must not hide a value.
    while "%" in text:
        decoded = unquote(text, errors="replace")
        if decoded == text:
            break
        text = decoded
    return text


def _segments(path: str) -> str:
    """Dot segments resolved, empty segments and the trailing slash dropped."""
    kept: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if kept:
                kept.pop()
            continue
        kept.append(segment)
    return "/" + "/".join(kept) if kept else ""


def _path(text: str) -> str:
    text = fold(text).strip(_QUOTES + " ")
    if text.startswith("file://"):
        text = text[len("file://") :]
    text = text.replace("\\", "/")
    absolute = text.startswith("/")
    kept: list[str] = []
    for segment in text.split("/"):
        if segment in ("", "."):
            continue
        if segment == ".." and kept and kept[-1] != "..":
            kept.pop()
            continue
        if segment == ".." and absolute:
            continue
        kept.append(segment)
    joined = "/".join(kept)
    return "/" + joined if absolute else joined


def _iban(text: str) -> str:
    return _IBAN_SEPARATORS.sub("", fold(text).strip(_QUOTES + " "))


def _account(text: str) -> str:
    return _ACCOUNT_SEPARATORS.sub("", fold(text).strip(_QUOTES + " "))


def _phone(text: str) -> str:
    text = fold(text).replace("(0)", "")
    if text.startswith("tel:"):
        text = text[len("tel:") :]
    text = text.strip(_QUOTES + " ")
    international = text.startswith("+")
    digits = _NOT_DIGIT.sub("", text)
    if international or digits.startswith("00"):
        digits = digits.removeprefix("00")
    return digits


def _amount(text: str) -> str:
    folded = fold(text)
    bare = _CURRENCY.sub("", folded).strip(" ")
    bare = bare.replace("- ", "-").replace(" -", "-")
    grouped = _GROUPED.fullmatch(bare)
    if grouped:
        sign, head, groups, fraction = grouped.groups()
        separators = {char for char in groups if not char.isdigit()}
        if len(separators) == 1:
            integer = head + _NOT_DIGIT.sub("", groups)
            return _decimal_text(Decimal(f"{sign}{integer}.{fraction or '0'}"))
    plain = _PLAIN.fullmatch(bare)
    if plain:
        sign, integer, fraction = plain.groups()
        return _decimal_text(Decimal(f"{sign}{integer}.{fraction or '0'}"))
    return folded


def _decimal_text(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        return "0"
    return text


_STEPS: dict[ValueKind, Callable[[str], str]] = {
    ValueKind.EMAIL: _email,
    ValueKind.URL: _url,
    ValueKind.DOMAIN: _domain,
    ValueKind.IBAN: _iban,
    ValueKind.ACCOUNT: _account,
    ValueKind.PHONE: _phone,
    ValueKind.PATH: _path,
    ValueKind.USER: _name,
    ValueKind.GROUP: _name,
    ValueKind.IDENTIFIER: _identifier,
    ValueKind.AMOUNT: _amount,
    ValueKind.TEXT: _text,
}
