"""Canonical JSON (RFC 8785, "JCS"), fast for the values Proctor records.

The ``rfc8785`` package is the reference: it accepts every JSON value and renders
it exactly as RFC 8785 says. It is written in pure Python and costs about 35 µs for
a 500-byte decision, most of the audit budget on the hot path. For the common
shapes — dicts with string keys, lists, strings, booleans, ``None``, integers in the
IEEE 754 safe range, and floats written the same way by Python and ECMAScript — the
C encoder behind :func:`json.dumps` with sorted keys and no spaces already produces
the RFC 8785 bytes, in about a fifth of the time. :func:`canonical_json` checks that
a value has such a shape and otherwise hands it to ``rfc8785``; the test suite checks
the two agree on arbitrary values.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

from proctor.errors import InvalidInput

# RFC 8785 §3.2.2.3 / I-JSON: integers must be exact as IEEE 754 doubles.
_SAFE_INT = 2**53 - 1

_dumps = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode


def canonical_json(value: Any) -> str:
    """The RFC 8785 text of ``value``; :class:`InvalidInput` if it is not JSON."""
    if _has_plain_shape(value):
        text = _dumps(value)
        if text.isascii():
            return text
        try:
            # A lone surrogate cannot be stored as UTF-8; rfc8785 names the problem.
            text.encode()
        except UnicodeEncodeError:
            pass
        else:
            return text
    try:
        return rfc8785.dumps(value).decode()
    except rfc8785.CanonicalizationError as exc:
        raise InvalidInput(f"not representable as canonical JSON: {exc}") from exc


def _has_plain_shape(value: Any) -> bool:
    """True when :func:`json.dumps` renders ``value`` exactly as RFC 8785 does.

    Values must be of the exact built-in types: subclasses (``IntEnum``,
    ``OrderedDict``…) and tuples go to the reference implementation.
    """
    stack: list[Any] = [[value]]
    while stack:
        container = stack.pop()
        if type(container) is dict:
            try:
                keys = "".join(container)
            except TypeError:
                return False
            # RFC 8785 sorts keys by UTF-16 code units, Python by code points;
            # the two orders differ only for characters outside the BMP.
            if not keys.isascii() and max(keys) > "\uffff":
                return False
            items = container.values()
        else:
            items = container
        for item in items:
            kind = type(item)
            if kind is str or kind is bool or item is None:
                continue
            if kind is dict or kind is list:
                stack.append(item)
            elif kind is int:
                if not -_SAFE_INT <= item <= _SAFE_INT:
                    return False
            elif kind is not float or not _float_is_plain(item):
                return False
    return True


def _float_is_plain(number: float) -> bool:
    """True when Python's ``repr`` equals ECMAScript's ``Number.toString``.

    Both print the shortest digits that round-trip. They disagree on integral
    values (``1.0`` against ``1``) and on when to switch to exponent notation
    (Python below 1e-4 and from 1e16, ECMAScript below 1e-6 and from 1e21); a
    non-integral float of magnitude at least 1e-4 is below 2**52 and avoids both.
    NaN and infinities fail the comparison and are refused by ``rfc8785``.
    """
    return 1e-4 <= abs(number) < 1e16 and not number.is_integer()
