"""The values of value provenance: trust, facts, sources, kinds and what a lookup says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

INSTRUCTION_SOURCE_ID = "instruction"


class Trust(StrEnum):
    """How far the content a value was seen in can be trusted.

    ``user``: the requester's own instruction (the task's purpose and request text).
    ``trusted``: data from a source the deployment vouches for (its own CRM, a vault).
    ``untrusted``: anything a third party could have written (web pages, e-mails,
    forum posts, documents, calendar invites).
    """

    USER = "user"
    TRUSTED = "trusted"
    UNTRUSTED = "untrusted"


class Fact(StrEnum):
    """Where an argument's value came from, as policies see it.

    ``user``: all of it is in the requester's instruction. ``trusted``: all of it is
    accounted for by trusted data (or the instruction). ``untrusted``: what was found
    came only from untrusted content. ``mixed``: untrusted content together with
    something else (trusted data, the instruction, or a value found in both trusted
    and untrusted data). ``unseen``: nothing in it was recorded, or part of it was
    produced by the model and the rest is not untrusted. ``docs/provenance.md`` gives
    the exact rules.
    """

    USER = "user"
    TRUSTED = "trusted"
    UNTRUSTED = "untrusted"
    MIXED = "mixed"
    UNSEEN = "unseen"


class ValueKind(StrEnum):
    """The kinds of values provenance recognizes in text and JSON."""

    EMAIL = "email"
    URL = "url"
    DOMAIN = "domain"
    IBAN = "iban"
    ACCOUNT = "account"
    PHONE = "phone"
    PATH = "path"
    USER = "user"
    GROUP = "group"
    IDENTIFIER = "identifier"
    AMOUNT = "amount"
    TEXT = "text"


KIND_CODES: tuple[ValueKind, ...] = tuple(ValueKind)
KIND_WORDS: dict[ValueKind, str] = {
    ValueKind.EMAIL: "e-mail address",
    ValueKind.URL: "URL",
    ValueKind.DOMAIN: "domain",
    ValueKind.IBAN: "IBAN",
    ValueKind.ACCOUNT: "account number",
    ValueKind.PHONE: "phone number",
    ValueKind.PATH: "file path",
    ValueKind.USER: "user name",
    ValueKind.GROUP: "group name",
    ValueKind.IDENTIFIER: "identifier",
    ValueKind.AMOUNT: "amount",
    ValueKind.TEXT: "free-text passage",
}


@dataclass(frozen=True, slots=True)
class Source:
    """Where recorded values were seen.

    ``id`` is the decision id of the call whose output it was (or ``instruction`` for
    the requester's instruction); ``tool``, ``resource`` and ``label`` describe it.
    """

    id: str
    trust: Trust
    tool: str | None
    resource: str | None
    label: str | None
    recorded_at: datetime

    def describe(self) -> str:
        """A few words for a reason: which tool, which resource, which decision."""
        if self.trust is Trust.USER:
            return "the requester's instruction"
        words = f"tool {self.tool}" if self.tool else "a tool"
        if self.resource:
            words += f" on {self.resource}"
        return f"{words}, decision {self.id}"


@dataclass(frozen=True, slots=True)
class Observed:
    """One value found in a tool output or an argument, in its normalized form.

    For ``text`` the normalized form is a fingerprinted span of words.
    """

    kind: ValueKind
    normalized: str


@dataclass(frozen=True, slots=True)
class ArgumentProvenance:
    """Where one argument of a call came from.

    ``sources``: the sources its value (or the parts that decided the fact) were seen
    in; ``matched``: the kinds of values that were found; ``detail``: one sentence a
    reason can quote. The value itself never appears in ``detail``.
    """

    fact: Fact
    sources: tuple[Source, ...]
    matched: tuple[ValueKind, ...]
    detail: str


@dataclass(frozen=True, slots=True)
class RecordReceipt:
    """What recording one output did.

    ``observed``: distinct values and fingerprints found in it; ``kept``: how many of
    them the session now holds; ``dropped``: how many did not fit the session's bound;
    ``evicted``: older entries removed to make room; ``overflowed``: whether the
    session has ever lost an entry (or had content it could not scan).
    """

    source: Source
    observed: int
    kept: int
    dropped: int
    evicted: int
    overflowed: bool


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """The size and state of one task's provenance session."""

    task_id: str
    values: int
    sources: int
    overflowed: bool
    dropped: int
