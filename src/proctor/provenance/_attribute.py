"""From an argument's value to its provenance fact, on the hot path.

Every argument is cut into parts, each looked up in the session's index:

* ``found``: a typed value in the argument, or a whole string or number, whose
  canonical form was recorded;
* ``assembled``: a typed value (or a one-word string) not recorded whole, but made of
  recorded pieces end to end, such as a value split across two outputs;
* ``part``: the domain of an e-mail address or URL that was not itself found (never
  one of the organization's own domains: untrusted text naming them is common and
  says nothing about an address at them);
* ``text``: a 5-word span of free text that was recorded.

A part's fact is that of the sources it was seen in: the instruction among them
makes it ``user``, else a trusted one makes it ``trusted``, else ``untrusted``. An assembled part
never counts as ``user``: the requester sanctioned the pieces, not the assembly.

The argument's fact: ``unseen`` when no part counts; ``untrusted`` when every counted
part is untrusted; ``mixed`` when untrusted content comes with anything else;
``user`` or ``trusted`` only when the whole argument is accounted for (every typed
value found, or the whole string). ``part`` and ``text`` parts count only when they
are untrusted or mixed: a partial match may raise suspicion, never lower it.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import NamedTuple

from proctor.provenance._argument import ArgumentLeaf, argument_leaf, number_leaf, text_leaf
from proctor.provenance._detail import describe, unseen
from proctor.provenance._extract import (
    MIN_ASSEMBLED,
    MIN_PIECE,
    PIECE,
    START,
    START_CHARS,
    TEXT,
    VALUE,
    walk,
)
from proctor.provenance._index import Entry, SessionIndex
from proctor.provenance._model import KIND_CODES, ArgumentProvenance, Fact, ValueKind

_SUSPICIOUS = frozenset({Fact.UNTRUSTED, Fact.MIXED})
_WHOLE = frozenset({"found", "assembled"})
_ANSWERS = 1024
_FACTS = 4096
#: Answers kept per session by argument name and text, while the session is unchanged.
_BY_VALUE = 1024
_BY_VALUE_CHARS = 256


class _Part(NamedTuple):
    fact: Fact
    kind: ValueKind
    sources: tuple[int, ...]
    how: str


def entry_fact(entry: Entry) -> Fact:
    """One recorded value's fact: the requester's instruction outranks everything, and
    trusted data outranks untrusted content (the attack stopped is a value that only
    untrusted content supplied; a value the organization's own systems hold is not
    one, whoever else repeats it)."""
    if entry[2] >= 0:
        return Fact.USER
    if entry[3] >= 0:
        return Fact.TRUSTED
    return Fact.UNTRUSTED


def _entry_sources(entry: Entry, fact: Fact) -> tuple[int, ...]:
    if fact is Fact.USER:
        return (entry[2],)
    if fact is Fact.TRUSTED:
        return (entry[3],)
    return (entry[4],)


class Attributor:
    """Looks up the parts of one call's arguments in one session's index."""

    def __init__(self, index: SessionIndex, max_chars: int, home_domains: tuple[str, ...] = ()):
        self._index = index
        self._home_domains = home_domains
        self._home_suffixes = tuple("." + home for home in home_domains)
        self._entries = index.entries
        self._starts = index.starts
        self._recent = index.digest.recent
        self._remember = index.digest.remember
        self._max_chars = max_chars
        self._facts: dict[Entry, tuple[Fact, tuple[int, ...]]] = {}
        # A call repeats the arguments of earlier ones (the same account, the same
        # recipient): their answers stand as long as the session's version does.
        self._by_value: dict[tuple[str, str], ArgumentProvenance] = {}
        self._by_value_version = -1

    def argument(self, name: str, value: object) -> ArgumentProvenance:
        """The provenance of one top-level argument."""
        if type(value) is not str or len(value) > _BY_VALUE_CHARS:
            return self._argument(name, value)
        if self._by_value_version != self._index.version:
            self._by_value.clear()
            self._by_value_version = self._index.version
        key = (name, value)
        answer = self._by_value.get(key)
        if answer is None:
            answer = self._argument(name, value)
            if len(self._by_value) >= _BY_VALUE:
                self._by_value.clear()
            self._by_value[key] = answer
        return answer

    def _argument(self, name: str, value: object) -> ArgumentProvenance:
        leaf: ArgumentLeaf | None
        if isinstance(value, str) and len(value) <= self._max_chars:
            leaf = text_leaf(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            leaf = number_leaf(value)
        else:
            return self._nested(name, value)
        if leaf is None:
            return unseen(name, self._index.overflowed)
        parts: list[_Part] = []
        accounted = self._leaf(leaf, parts)
        if not parts:
            return unseen(name, self._index.overflowed)
        return self._verdict(name, parts, accounted)

    def _nested(self, name: str, value: object) -> ArgumentProvenance:
        walked = walk(value, self._max_chars)
        leaves = [leaf for leaf in map(argument_leaf, walked.leaves) if leaf is not None]
        parts: list[_Part] = []
        accounted = not walked.truncated and bool(leaves)
        for leaf in leaves:
            if not self._leaf(leaf, parts) and (len(leaves) == 1 or leaf.carries_value()):
                accounted = False
        if not parts:
            return unseen(name, self._index.overflowed)
        return self._verdict(name, parts, accounted)

    def _lookup(self, family: int, canonical: str) -> Entry | None:
        digest = self._recent[family].get(canonical) or self._remember(family, canonical)
        return self._entries.get(digest)

    def _lengths(self, start: str) -> int:
        digest = self._recent[START].get(start) or self._remember(START, start)
        return self._starts.get(digest, 0)

    def _leaf(self, leaf: ArgumentLeaf, parts: list[_Part]) -> bool:
        """Add the parts of ``leaf``; returns whether it is accounted for."""
        whole: Entry | None = None
        whole_kind = ValueKind.IDENTIFIER
        for kind, canonical in leaf.wholes:
            entry = self._lookup(VALUE, canonical)
            if entry is not None:
                whole_kind = kind if whole is None else whole_kind
                whole = entry if whole is None else _union(whole, entry)
        if whole is not None and (not leaf.folded or (leaf.one_word and whole[2] >= 0)):
            # A number, or one word the requester wrote exactly so: nothing outranks it.
            parts.append(self._found(whole, whole_kind))
            return True
        if not leaf.folded:
            return False
        found = leaf.found()
        # When the leaf is one typed value, its whole and typed forms are one value
        # seen in the union of their sources.
        merge = len(found) == 1 and (leaf.one_word or found[0].span == (0, len(leaf.folded)))
        typed_ok = bool(found)
        whole_ok = whole is not None
        for item in found:
            entry = self._lookup(VALUE, item.canonical)
            if merge and whole is not None:
                entry = whole if entry is None else _union(whole, entry)
                whole = None
            if entry is not None:
                parts.append(self._found(entry, item.kind))
                continue
            assembled = self._assembled(item.compact, item.kind)
            if assembled is not None:
                parts.append(assembled)
                continue
            typed_ok = False
            for kind, canonical in item.parts:
                if kind is ValueKind.DOMAIN and self._at_home(canonical):
                    continue
                entry = self._lookup(VALUE, canonical)
                if entry is not None:
                    fact = entry_fact(entry)
                    parts.append(_Part(fact, kind, _entry_sources(entry, fact), "part"))
        if whole is not None:
            parts.append(self._found(whole, whole_kind))
        if not whole_ok and not found:
            letters = leaf.letters()
            assembled = None if letters is None else self._assembled(letters, ValueKind.IDENTIFIER)
            if assembled is not None:
                parts.append(assembled)
                whole_ok = True
        if leaf.one_word:
            # One word has no 5-word span to fingerprint.
            return whole_ok or typed_ok
        for gram in leaf.grams():
            entry = self._lookup(TEXT, gram)
            if entry is not None:
                fact = entry_fact(entry)
                parts.append(_Part(fact, ValueKind.TEXT, _entry_sources(entry, fact), "text"))
        return whole_ok or typed_ok

    def _at_home(self, host: str) -> bool:
        return host in self._home_domains or host.endswith(self._home_suffixes)

    def _found(self, entry: Entry, kind: ValueKind) -> _Part:
        known = self._facts.get(entry)
        if known is None:
            fact = entry_fact(entry)
            known = (fact, _entry_sources(entry, fact))
            if len(self._facts) >= _FACTS:
                self._facts.clear()
            self._facts[entry] = known
        if kind is ValueKind.IDENTIFIER:
            kind = KIND_CODES[entry[1]]
        return _Part(known[0], kind, known[1], "found")

    def _assembled(self, letters: str, kind: ValueKind) -> _Part | None:
        if len(letters) < MIN_ASSEMBLED or not self._lengths(letters[:START_CHARS]):
            # No recorded piece starts as it does: the usual answer, without the search.
            return None
        pieces = assemble(letters, self._lookup, self._lengths)
        if pieces is None:
            return None
        facts = {_assembly_fact(entry) for entry in pieces}
        fact = facts.pop() if len(facts) == 1 else Fact.MIXED
        sources: list[int] = []
        for entry in pieces:
            for source in _entry_sources(entry, entry_fact(entry)):
                if source not in sources:
                    sources.append(source)
        return _Part(fact, kind, tuple(sources), "assembled")

    def _verdict(self, name: str, parts: list[_Part], accounted: bool) -> ArgumentProvenance:
        if len(parts) == 1:
            # The common case, without building sets and lists.
            part = parts[0]
            fact = part.fact
            if fact in _SUSPICIOUS or (part.how in _WHOLE and accounted):
                settled = None if fact in _SUSPICIOUS else fact
                return self._answer(fact, name, (part.kind,), part.sources, part.how, settled)
            if part.how not in _WHOLE and part.how != "part":
                return unseen(name, self._index.overflowed)
            return self._answer(Fact.UNSEEN, name, (part.kind,), part.sources, part.how, None)
        counted = [p for p in parts if p.how in _WHOLE or p.fact in _SUSPICIOUS]
        if not counted:
            return self._result(Fact.UNSEEN, name, [p for p in parts if p.how != "text"], None)
        facts = {part.fact for part in counted}
        if not facts.isdisjoint(_SUSPICIOUS):
            fact = Fact.UNTRUSTED if facts == {Fact.UNTRUSTED} else Fact.MIXED
            return self._result(fact, name, counted, None)
        if not accounted:
            return self._result(Fact.UNSEEN, name, counted, None)
        fact = Fact.USER if facts == {Fact.USER} else Fact.TRUSTED
        return self._result(fact, name, counted, fact)

    def _result(
        self, fact: Fact, name: str, parts: list[_Part], settled: Fact | None
    ) -> ArgumentProvenance:
        if not parts:
            return unseen(name, self._index.overflowed)
        source_ids: list[int] = []
        kinds: list[ValueKind] = []
        for part in parts:
            if part.kind not in kinds:
                kinds.append(part.kind)
            for source in part.sources:
                if source not in source_ids:
                    source_ids.append(source)
        how = "assembled" if any(part.how == "assembled" for part in parts) else "found"
        return self._answer(fact, name, tuple(kinds), tuple(source_ids), how, settled)

    def _answer(
        self,
        fact: Fact,
        name: str,
        kinds: tuple[ValueKind, ...],
        source_ids: tuple[int, ...],
        how: str,
        settled: Fact | None,
    ) -> ArgumentProvenance:
        index = self._index
        assembled = how == "assembled"
        key = (fact, name, kinds, source_ids, assembled, index.overflowed, settled)
        answers = index.answers
        answer = answers.get(key)
        if answer is not None:
            return answer
        sources = tuple(index.sources[i] for i in source_ids)
        detail = describe(fact, name, list(kinds), assembled, sources, index.overflowed, settled)
        if fact is Fact.UNSEEN:
            # An unseen argument is attributed to nothing; what was partly seen is
            # only told in the detail.
            answer = ArgumentProvenance(fact, (), (), detail)
        else:
            answer = ArgumentProvenance(fact, sources, kinds, detail)
        # Answers are values: the same parts from the same sources give the same one.
        if len(answers) >= _ANSWERS:
            answers.clear()
        answers[key] = answer
        return answer


def _union(first: Entry, second: Entry) -> Entry:
    return (
        first[0],
        first[1],
        first[2] if first[2] >= 0 else second[2],
        first[3] if first[3] >= 0 else second[3],
        first[4] if first[4] >= 0 else second[4],
    )


def _assembly_fact(entry: Entry) -> Fact:
    fact = entry_fact(entry)
    return Fact.TRUSTED if fact is Fact.USER else fact


def assemble(
    letters: str,
    lookup: Callable[[int, str], Entry | None],
    lengths: Callable[[str], int],
) -> list[Entry] | None:
    """Recorded pieces that, end to end, spell ``letters``; ``None`` if there are none.

    Searched from the left: at each reachable position only the lengths of recorded
    pieces that start with its next three characters are tried, so a value made of
    no recorded piece costs one digest.
    """
    size = len(letters)
    if size < MIN_ASSEMBLED:
        return None
    reached: dict[int, tuple[int, Entry] | None] = {0: None}
    # Reached positions, smallest first (every piece ends after it starts, so this
    # visits them in the order a left-to-right sweep would, skipping the others).
    frontier = [0]
    while frontier:
        start = heapq.heappop(frontier)
        if start > size - MIN_PIECE:
            break
        mask = lengths(letters[start : start + START_CHARS])
        room = size - start
        while mask:
            lowest = mask & -mask
            mask ^= lowest
            length = lowest.bit_length() - 1 + MIN_PIECE
            if length > room:
                break
            end = start + length
            if end not in reached:
                entry = lookup(PIECE, letters[start:end])
                if entry is not None:
                    reached[end] = (start, entry)
                    heapq.heappush(frontier, end)
        if size in reached:
            break
    if size not in reached:
        return None
    pieces: list[Entry] = []
    position = size
    while position:
        step = reached[position]
        assert step is not None
        position, entry = step
        pieces.append(entry)
    return pieces[::-1]
