"""One task's provenance in memory: digests → the sources they were seen in.

Each digest keeps at most one source per trust (the first instruction, the first
trusted and the first untrusted source it was seen in): that is all a fact needs,
and it bounds the memory of a value however often it is repeated.

The bound on entries is kept by eviction in a fixed order, least needed first: text
fingerprints, pieces, piece starts and values of trusted data, then the same of
untrusted content, then the instruction's; within each, the oldest first. Untrusted
entries thus outlive trusted ones, because losing an untrusted value would turn a
suspicious argument into an ``unseen`` one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from proctor.provenance._extract import PIECE, START, TEXT, VALUE
from proctor.provenance._key import Digester
from proctor.provenance._model import ArgumentProvenance, Source, Trust

if TYPE_CHECKING:
    from proctor.provenance._attribute import Attributor

#: (family, kind code, instruction source, trusted source, untrusted source); -1 = none.
Entry = tuple[int, int, int, int, int]
SLOTS = {Trust.USER: 2, Trust.TRUSTED: 3, Trust.UNTRUSTED: 4}
_FAMILY_RANK = {TEXT: 0, PIECE: 1, START: 2, VALUE: 3}
_RANKS = 12


def rank(entry: Entry) -> int:
    """Eviction order: lower ranks go first."""
    trust = 2 if entry[2] >= 0 else 1 if entry[4] >= 0 else 0
    return trust * 4 + _FAMILY_RANK[entry[0]]


def with_source(entry: Entry | None, family: int, kind: int, slot: int, source: int) -> Entry:
    if entry is None:
        fresh = [family, kind, -1, -1, -1]
        fresh[slot] = source
        return (fresh[0], fresh[1], fresh[2], fresh[3], fresh[4])
    updated = list(entry)
    updated[slot] = source
    return (updated[0], updated[1], updated[2], updated[3], updated[4])


@dataclass(slots=True)
class Plan:
    """What recording one output changes, decided before anything is written."""

    #: (digest, family, kind code, piece lengths) to store for the new source.
    rows: list[tuple[bytes, int, int, int]] = field(default_factory=list)
    evict: list[bytes] = field(default_factory=list)
    kept: int = 0
    dropped: int = 0


class SessionIndex:
    """The in-memory register of one task. Writers hold ``write_lock`` for a whole
    record (store write included); ``read_lock`` guards the short moments when the
    dictionaries change and the look-ups that read them."""

    def __init__(self, task_id: str, digest: Digester):
        self.task_id = task_id
        self.digest = digest
        self.sources: list[Source] = []
        self.source_rows: dict[int, int] = {}
        self.entries: dict[bytes, Entry] = {}
        #: Piece start digest → lengths of the pieces that begin with it (a bit mask).
        self.starts: dict[bytes, int] = {}
        self.buckets: list[dict[bytes, None]] = [{} for _ in range(_RANKS)]
        self.version = 0
        self.overflowed = False
        self.dropped = 0
        self.last_value_row = 0
        self.last_source_row = 0
        self.read_lock = threading.Lock()
        self.write_lock = threading.Lock()
        self._interned: dict[Entry, Entry] = {}
        #: The attributor of this index, made on first use (it keeps no per-call state).
        self.attributor: Attributor | None = None
        #: Recent answers of look-ups, by their parts (kept by the attributor).
        self.answers: dict[tuple[object, ...], ArgumentProvenance] = {}

    def __len__(self) -> int:
        return len(self.entries)

    def add_source(self, row_id: int, source: Source) -> int:
        index = len(self.sources)
        self.sources.append(source)
        self.source_rows[row_id] = index
        self.last_source_row = max(self.last_source_row, row_id)
        return index

    def add(self, digest: bytes, family: int, kind: int, source: int, lengths: int = 0) -> None:
        """Note that ``digest`` was seen in local source ``source`` (idempotent)."""
        if lengths:
            self.starts[digest] = self.starts.get(digest, 0) | lengths
        slot = SLOTS[self.sources[source].trust]
        old = self.entries.get(digest)
        if old is not None:
            if old[slot] >= 0:
                return
            del self.buckets[rank(old)][digest]
        new = with_source(old, family, kind, slot, source)
        new = self._interned.setdefault(new, new)
        self.entries[digest] = new
        self.buckets[rank(new)][digest] = None

    def remove(self, digest: bytes) -> None:
        old = self.entries.pop(digest, None)
        self.starts.pop(digest, None)
        if old is not None:
            del self.buckets[rank(old)][digest]

    def plan(
        self, found: Mapping[bytes, tuple[int, int, int]], trust: Trust, max_values: int
    ) -> Plan:
        """The rows to write for ``found`` (digest → family, kind, piece lengths) seen in
        a new source of ``trust``, and what must go to stay within ``max_values``."""
        slot = SLOTS[trust]
        source = len(self.sources)
        plan = Plan()
        adds: dict[bytes, Entry] = {}
        moved: dict[bytes, Entry] = {}
        for digest, (family, kind, lengths) in found.items():
            old = self.entries.get(digest)
            if old is None:
                adds[digest] = with_source(None, family, kind, slot, source)
            elif old[slot] < 0:
                new = with_source(old, family, kind, slot, source)
                if rank(new) != rank(old):
                    moved[digest] = new
                plan.rows.append((digest, old[0], old[1], lengths))
            elif lengths & ~self.starts.get(digest, 0):
                # Known start, but of pieces of new lengths: those must be stored.
                plan.rows.append((digest, old[0], old[1], lengths))
        excess = len(self.entries) + len(adds) - max_values
        dropped: set[bytes] = set()
        if excess > 0:
            for digest in self._victims(excess, adds, moved):
                if digest in adds:
                    dropped.add(digest)
                else:
                    plan.evict.append(digest)
        evicted = set(plan.evict)
        plan.rows = [row for row in plan.rows if row[0] not in evicted]
        plan.rows.extend(
            (digest, entry[0], entry[1], found[digest][2])
            for digest, entry in adds.items()
            if digest not in dropped
        )
        plan.dropped = len(dropped)
        plan.kept = len(found) - len(dropped) - len(evicted & found.keys())
        return plan

    def _victims(
        self, excess: int, adds: Mapping[bytes, Entry], moved: Mapping[bytes, Entry]
    ) -> Iterable[bytes]:
        by_rank: list[list[bytes]] = [[] for _ in range(_RANKS)]
        for digest, entry in moved.items():
            by_rank[rank(entry)].append(digest)
        for digest, entry in adds.items():
            by_rank[rank(entry)].append(digest)
        for level in range(_RANKS):
            for digest in self.buckets[level]:
                if digest in moved:
                    continue
                yield digest
                excess -= 1
                if excess == 0:
                    return
            for digest in by_rank[level]:
                yield digest
                excess -= 1
                if excess == 0:
                    return
