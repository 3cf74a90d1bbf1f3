"""Policy source text: documents, statements, positions and diagnostics.

Cedar reports parse and validation errors without a position, so Proctor keeps its
own map from each policy to where it starts in its document and works out where
inside the policy an error lies.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<comment>//[^\n]*)
    | (?P<string>"(?:[^"\\]|\\.)*"?)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<number>[0-9]+)
    | (?P<op>::|==|!=|<=|>=|&&|\|\|)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_STRING_COMMENT_OR_END = re.compile(r'"(?:[^"\\]|\\.)*"?|//[^\n]*|;', re.DOTALL)
_TRIVIA = re.compile(r"(?:\s+|//[^\n]*)*")
_END_OF_INPUT = "unexpected end of input"
_BACKTICKED = re.compile(r"`([^`]+)`")
_POLICY_PREFIX = re.compile(r"^for policy `[^`]*`, ")


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    """Cedar policy text and where it came from (a file path, or ``store:<id>``)."""

    name: str
    text: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in a policy document; ``line`` and ``column`` count from 1."""

    file: str
    line: int
    column: int
    policy_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        policy = f" [{self.policy_id}]" if self.policy_id else ""
        return f"{where}:{policy} {self.message}"


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """The Cedar tokens of ``text``, without whitespace and comments."""
    tokens = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in ("space", "comment"):
            tokens.append(Token(kind, match.group(), match.start(), match.end()))
    return tokens


@dataclass(frozen=True, slots=True)
class Statement:
    """One policy's text inside a document: from its first token to its ``;``."""

    start: int
    text: str

    @property
    def tokens(self) -> list[Token]:
        """The statement's tokens, offsets relative to the statement (computed on demand)."""
        return tokenize(self.text)

    @property
    def effect_offset(self) -> int:
        """Where the ``permit``/``forbid`` keyword (after any annotations) starts."""
        for token in self.tokens:
            if token.kind == "word" and token.text in ("permit", "forbid"):
                return token.start
        return 0

    def annotation_offset(self, name: str) -> int:
        """Where the ``@name`` annotation starts, or the statement start."""
        for at, word in pairwise(self.tokens):
            if at.text == "@" and word.text == name:
                return at.start
        return 0


def split_statements(text: str) -> list[Statement]:
    """Cut a document into policies at each ``;`` that is outside strings and comments.

    A trailing fragment without ``;`` is kept, so that Cedar reports it as incomplete.
    """
    statements: list[Statement] = []
    start = _skip_trivia(text, 0)
    for match in _STRING_COMMENT_OR_END.finditer(text):
        if match.group() == ";":
            statements.append(Statement(start, text[start : match.end()]))
            start = _skip_trivia(text, match.end())
    if start < len(text):
        statements.append(Statement(start, text[start:].rstrip()))
    return statements


def _skip_trivia(text: str, offset: int) -> int:
    match = _TRIVIA.match(text, offset)
    return match.end() if match else offset


class LineMap:
    """Turns an offset into a document into a 1-based line and column."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1


def locate_parse_error(statement: Statement, message: str, parse: Callable[[str], None]) -> int:
    """The offset inside ``statement`` where Cedar's parse error ``message`` lies.

    Cedar's parser stops at the first token it cannot accept, so the shortest prefix
    that fails with anything but "unexpected end of input" ends at that token.
    Errors found only once the whole policy is read (a bad escape, a bad effect)
    are placed at the text Cedar quotes, if it quotes any.
    """
    tokens = statement.tokens
    if not tokens:
        return 0
    if _END_OF_INPUT in message:
        return tokens[-1].end
    for token in tokens[:-1]:
        try:
            parse(statement.text[: token.end])
        except ValueError as error:
            if _END_OF_INPUT not in str(error):
                return token.start
    quoted = _quoted_text(message)
    if quoted is not None:
        found = statement.text.find(quoted)
        if found >= 0:
            return found
    return tokens[-1].start


def _quoted_text(message: str) -> str | None:
    match = _BACKTICKED.search(message)
    if match:
        return match.group(1)
    if ": " in message:
        return message.rsplit(": ", 1)[1].strip() or None
    return None


def clean_validation_message(message: str) -> str:
    """Cedar's validation message without its positional ``for policy `policyN`,`` prefix."""
    return _POLICY_PREFIX.sub("", message)


def locate_validation_error(statement: Statement, message: str) -> int:
    """The offset inside ``statement`` of what a schema validation error is about.

    Cedar names the attribute, entity type or action it objects to in backticks;
    type mismatches name nothing, so they point at the first condition.
    """
    tokens = statement.tokens
    body = [t for t in tokens if t.start >= statement.effect_offset]
    quoted = _BACKTICKED.search(message)
    if quoted is not None:
        name = quoted.group(1)
        if "::" in name:
            found = statement.text.find(name, statement.effect_offset)
            if found >= 0:
                return found
        last = name.rsplit(".", 1)[-1]
        for dot, word in pairwise(body):
            if dot.text == "." and word.text == last:
                return word.start
        for token in body:
            if token.kind == "word" and token.text == last:
                return token.start
    if "type" in message:
        for token in body:
            if token.text in ("when", "unless"):
                return token.start
    return statement.effect_offset
