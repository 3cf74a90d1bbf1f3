"""The JSONC stripper: comments and trailing commas go, strings and positions stay."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proctor.discover import loads_jsonc, strip_jsonc


def test_line_and_block_comments_are_removed() -> None:
    text = '// head\n{ /* a */ "a": 1, // tail\n "b": /* multi\nline */ 2 }'
    assert loads_jsonc(text) == {"a": 1, "b": 2}


def test_comment_markers_inside_strings_survive() -> None:
    text = '{"url": "https://example.com/a//b", "glob": "src/**/*.py", "c": "/* no */"}'
    assert loads_jsonc(text) == {
        "url": "https://example.com/a//b",
        "glob": "src/**/*.py",
        "c": "/* no */",
    }


def test_escaped_quote_does_not_end_a_string() -> None:
    text = r'{"a": "say \"//hi\" \\", "b": [1,]}'
    assert loads_jsonc(text) == {"a": 'say "//hi" \\', "b": [1]}


def test_trailing_commas_are_removed_even_before_a_comment() -> None:
    text = '{"a": [1, 2, /* last */ ], "b": {"c": 3, // end\n},}'
    assert loads_jsonc(text) == {"a": [1, 2], "b": {"c": 3}}


def test_a_comma_inside_a_string_before_a_bracket_is_kept() -> None:
    assert loads_jsonc('[",]", ",}"]') == [",]", ",}"]


@pytest.mark.parametrize("text", ["[,]", "{,}", "[1,,]", '{"a": 1,,}', "[/* c */,]"])
def test_a_comma_without_a_value_before_it_stays_an_error(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        loads_jsonc(text)


def test_a_byte_order_mark_is_ignored() -> None:
    assert loads_jsonc('\ufeff{"a": 1}') == {"a": 1}


def test_stripping_keeps_length_and_line_breaks() -> None:
    text = '{\n  // note\n  "a": 1, /* x\n y */\n}'
    stripped = strip_jsonc(text)
    assert len(stripped) == len(text)
    assert [i for i, c in enumerate(stripped) if c == "\n"] == [
        i for i, c in enumerate(text) if c == "\n"
    ]


def test_an_error_after_a_comment_points_at_the_original_line_and_column() -> None:
    text = '{\n  /* a\n  comment */ "a": 1\n  "b": 2\n}'
    with pytest.raises(json.JSONDecodeError) as caught:
        loads_jsonc(text)
    assert (caught.value.lineno, caught.value.colno) == (4, 3)


def test_an_unterminated_block_comment_is_an_error_at_its_start() -> None:
    with pytest.raises(json.JSONDecodeError) as caught:
        loads_jsonc('{\n  "a": 1 /* never closed\n}')
    assert (caught.value.lineno, caught.value.colno) == (2, 10)
    assert "Unterminated comment" in caught.value.msg


# Property: JSON from json.dumps, with comments (and trailing commas) between its tokens.

_TRICKY = st.sampled_from(["//", "/*", "*/", '"', "\\", ",", "]", "}", "\n", "é", "\u2028"])
_TEXT = st.lists(st.one_of(_TRICKY, st.text(max_size=4)), max_size=5).map("".join)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=4)),
    max_leaves=20,
)
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|\s+|[^\s{}\[\],:"]+')
_LINE_COMMENT = st.text(
    alphabet=st.characters(blacklist_characters="\n\r", blacklist_categories=["Cs"]),
    max_size=8,
).map(lambda body: f"//{body}\n")
_BLOCK_COMMENT = (
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=8)
    .filter(lambda body: "*/" not in body)
    .map(lambda body: f"/*{body}*/")
)
_GAP = st.one_of(st.just(""), st.just(" "), _LINE_COMMENT, _BLOCK_COMMENT)


def _with_comments(draw: st.DrawFn, text: str) -> str:
    tokens = _TOKEN.findall(text)
    assert "".join(tokens) == text
    out: list[str] = [draw(_GAP)]
    previous = ""
    for token in tokens:
        if token in ("]", "}") and previous not in ("[", "{") and draw(st.booleans()):
            out.append("," + draw(_GAP))
        out += [token, draw(_GAP)]
        if not token.isspace():
            previous = token
    return "".join(out)


@st.composite
def _commented(draw: st.DrawFn) -> tuple[Any, str]:
    value = draw(_JSON)
    indent = draw(st.one_of(st.none(), st.integers(0, 4), st.just("\t")))
    text = json.dumps(value, indent=indent, ensure_ascii=draw(st.booleans()))
    return value, _with_comments(draw, text)


@given(_commented())
def test_stripping_commented_json_gives_back_the_document(case: tuple[Any, str]) -> None:
    value, text = case
    stripped = strip_jsonc(text)
    assert json.loads(stripped) == value
    assert len(stripped) == len(text)
