"""The store-backed register of what each task's tools returned, and its look-ups."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from datetime import datetime

from proctor.errors import InvalidInput
from proctor.provenance._attribute import Attributor
from proctor.provenance._extract import START, recorded_entries
from proctor.provenance._index import SessionIndex
from proctor.provenance._key import ProvenanceKey
from proctor.provenance._model import (
    INSTRUCTION_SOURCE_ID,
    KIND_CODES,
    ArgumentProvenance,
    RecordReceipt,
    SessionSummary,
    Source,
    Trust,
)
from proctor.provenance._store import ProvenanceStore
from proctor.store import Database, Transaction, as_utc, utcnow

#: Entries (values, pieces, piece starts and text fingerprints) one task may hold.
DEFAULT_MAX_VALUES = 20_000
#: Sessions kept in memory; the others are read back from the store when used. A
#: task's session holds at least its instruction (about 10 KB in memory), and reading
#: one back costs about a millisecond on the check that needs it: enough room for the
#: tasks a busy gateway has running at once.
DEFAULT_MAX_SESSIONS = 2048
#: Entries kept in memory over all cached sessions (about 135 bytes each).
DEFAULT_MAX_CACHED_VALUES = 500_000
#: Characters of one output that are scanned; the rest marks the session overflowed.
DEFAULT_MAX_OUTPUT_CHARS = 1_000_000
#: Characters of one argument that are looked up; a longer one cannot be user/trusted.
DEFAULT_MAX_ARGUMENT_CHARS = 65_536

_KIND_CODE = {kind: code for code, kind in enumerate(KIND_CODES)}
_ID_MAX = 200


class SessionProvenance:
    """Per-task provenance: record what the requester asked and what tools returned,
    then attribute each argument of a call to where its value came from.

    Everything :meth:`attribute` needs is in the store (as keyed digests), so a new
    instance on the same database answers the same. Each task's register is held in
    memory once used (at most ``max_sessions`` of them, least recently used dropped)
    and re-read when another process changed it, checked at most once per
    ``poll_interval_s``. Safe to share between threads.
    """

    def __init__(
        self,
        database: Database,
        key: ProvenanceKey,
        *,
        max_values: int = DEFAULT_MAX_VALUES,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        max_cached_values: int = DEFAULT_MAX_CACHED_VALUES,
        max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS,
        max_argument_chars: int = DEFAULT_MAX_ARGUMENT_CHARS,
        poll_interval_s: float = 1.0,
        home_domains: Collection[str] = (),
    ):
        for name, bound in (
            ("max_values", max_values),
            ("max_sessions", max_sessions),
            ("max_cached_values", max_cached_values),
            ("max_output_chars", max_output_chars),
            ("max_argument_chars", max_argument_chars),
        ):
            if bound < 1:
                raise InvalidInput(f"{name} must be at least 1", code="provenance_invalid")
        self._store = ProvenanceStore(database)
        self._key = key
        self.max_values = max_values
        self._max_sessions = max_sessions
        self._max_cached_values = max_cached_values
        self._max_output_chars = max_output_chars
        self._max_argument_chars = max_argument_chars
        # The organization's own domains: an untrusted page naming one of them says
        # nothing about an address at it (the address itself still counts).
        self._home_domains = tuple(domain.lower().strip(".") for domain in home_domains)
        self._poll_interval_s = poll_interval_s
        self._next_poll = time.monotonic() + poll_interval_s
        self._sessions: OrderedDict[str, SessionIndex] = OrderedDict()
        #: The session last moved to the recent end (moving it again changes nothing).
        self._last_used: str | None = None
        self._lock = threading.Lock()

    def record_instruction(self, task_id: str, text: str, *, at: datetime | None = None) -> None:
        """Record the requester's instruction (the task's purpose, the request text).

        Call it when the task is created and again whenever it is updated: earlier
        instructions stay, as things the requester once asked for.
        """
        if not isinstance(text, str):
            raise InvalidInput("an instruction is text", code="provenance_invalid")
        moment = as_utc(at) if at is not None else utcnow()
        source = Source(INSTRUCTION_SOURCE_ID, Trust.USER, None, None, None, moment)
        self._record(task_id, text, source)

    def record_output(
        self,
        task_id: str,
        value: object,
        source: Source,
        *,
        also: Callable[[Transaction], object] | None = None,
    ) -> RecordReceipt:
        """Record what a tool returned (``value``: text or JSON-like) as seen in ``source``.

        ``also`` writes what else the output changed in the same transaction (the
        task's session, say): both are stored, or neither.
        """
        _check_source(source)
        return self._record(task_id, value, source, also)

    def attribute(
        self,
        task_id: str,
        arguments: Mapping[str, object],
        *,
        targets: Collection[str] = (),
    ) -> dict[str, ArgumentProvenance]:
        """The provenance of each top-level argument of a call (nested values belong to
        their argument). With ``targets``, only the arguments so named are attributed
        (the call's recipients, accounts, URLs), sparing the look-up of long bodies."""
        if type(arguments) is not dict and not isinstance(arguments, Mapping):
            raise InvalidInput("a call's arguments are a mapping", code="provenance_invalid")
        wanted = frozenset(targets) if targets else None
        names = [name for name in arguments if wanted is None or _label(name) in wanted]
        return self.attribute_named(task_id, arguments, names)[0]

    def attribute_named(
        self, task_id: str, arguments: Mapping[str, object], names: Collection[str]
    ) -> tuple[dict[str, ArgumentProvenance], bool]:
        """:meth:`attribute` of the arguments ``names`` (keys of ``arguments``), and
        whether the session overflowed, from one look-up of the session: the form the
        check uses on its hot path."""
        _check_task(task_id)
        if time.monotonic() >= self._next_poll:
            self._poll()
        index = self._session(task_id)
        attributor = index.attributor
        if attributor is None:
            attributor = index.attributor = Attributor(
                index, self._max_argument_chars, self._home_domains
            )
        result: dict[str, ArgumentProvenance] = {}
        with index.read_lock:
            for name in names:
                if name not in arguments:
                    raise InvalidInput(
                        f"argument {_label(name)[:64]!r} is not in the call",
                        code="provenance_invalid",
                    )
                label = _label(name)
                result[label] = attributor.argument(label, arguments[name])
            return result, index.overflowed

    def summary(self, task_id: str) -> SessionSummary:
        """How much the task's session holds and whether it ever overflowed."""
        _check_task(task_id)
        self._poll()
        index = self._session(task_id)
        with index.read_lock:
            return SessionSummary(
                task_id, len(index), len(index.sources), index.overflowed, index.dropped
            )

    def overflowed(self, task_id: str) -> bool:
        """Whether the session lost an entry to its bound (or had content too large to
        scan): an ``unseen`` fact is then weaker, and policies may hold high-risk calls."""
        _check_task(task_id)
        if time.monotonic() >= self._next_poll:
            self._poll()
        return self._session(task_id).overflowed

    def forget(self, task_id: str) -> None:
        """Delete the task's provenance (call it when the task ends)."""
        _check_task(task_id)
        self._store.delete([task_id])
        with self._lock:
            self._sessions.pop(task_id, None)

    def purge(self, *, idle_before: datetime) -> int:
        """Delete the sessions last written before ``idle_before``; returns how many."""
        task_ids = self._store.idle_since(as_utc(idle_before))
        self._store.delete(task_ids)
        with self._lock:
            for task_id in task_ids:
                self._sessions.pop(task_id, None)
        return len(task_ids)

    def _record(
        self,
        task_id: str,
        value: object,
        source: Source,
        also: Callable[[Transaction], object] | None = None,
    ) -> RecordReceipt:
        _check_task(task_id)
        # Encodings are undone in what untrusted content (or the requester) wrote: that
        # is where an injected value hides; trusted systems' values are taken as written.
        decode = source.trust is not Trust.TRUSTED
        recorded = recorded_entries(value, self._max_output_chars, decode=decode)
        index = self._session(task_id)
        digester = index.digest
        found = {
            digester(family, canonical): (
                family,
                _KIND_CODE[kind],
                recorded.lengths.get(canonical, 0) if family == START else 0,
            )
            for (family, canonical), kind in recorded.entries.items()
        }
        with index.write_lock:
            written = self._store.write(
                index,
                source,
                found,
                max_values=self.max_values,
                truncated=recorded.truncated,
                now=utcnow(),
                also=also,
            )
            plan = written.plan
            with index.read_lock:
                local = index.add_source(written.source_row, source)
                for gone in plan.evict:
                    index.remove(gone)
                for row_digest, family, kind, lengths in plan.rows:
                    index.add(row_digest, family, kind, local, lengths)
                index.version = written.version
                index.overflowed = written.overflowed
                index.dropped = written.dropped
                index.last_value_row = max(index.last_value_row, written.last_value_row)
        self._fit_cache(keep=task_id)
        return RecordReceipt(
            source=source,
            observed=len(found),
            kept=plan.kept,
            dropped=plan.dropped,
            evicted=len(plan.evict),
            overflowed=written.overflowed,
        )

    def _session(self, task_id: str) -> SessionIndex:
        with self._lock:
            index = self._sessions.get(task_id)
            if index is not None:
                if self._last_used != task_id:
                    self._sessions.move_to_end(task_id)
                    self._last_used = task_id
                return index
        index = SessionIndex(task_id, self._key.digester(task_id))
        self._store.read(index).apply(index)
        with self._lock:
            existing = self._sessions.get(task_id)
            if existing is not None:
                return existing
            self._sessions[task_id] = index
            self._last_used = task_id
        self._fit_cache(keep=task_id)
        return index

    def _fit_cache(self, *, keep: str) -> None:
        with self._lock:
            total = sum(len(index) for index in self._sessions.values())
            while len(self._sessions) > 1 and (
                len(self._sessions) > self._max_sessions or total > self._max_cached_values
            ):
                oldest = next(iter(self._sessions))
                if oldest == keep:
                    self._sessions.move_to_end(oldest)
                    self._last_used = oldest
                    oldest = next(iter(self._sessions))
                total -= len(self._sessions.pop(oldest))

    def _poll(self) -> None:
        """Catch up with other processes' writes, at most once per poll interval."""
        now = time.monotonic()
        if now < self._next_poll:
            return
        self._next_poll = now + self._poll_interval_s
        with self._lock:
            cached = list(self._sessions.items())
        if not cached:
            return
        stored = self._store.versions([task_id for task_id, _ in cached])
        for task_id, index in cached:
            version = stored.get(task_id)
            if version is None:
                if index.version:
                    # Forgotten by another process.
                    with self._lock:
                        self._sessions.pop(task_id, None)
                continue
            if version != index.version:
                with index.write_lock:
                    changes = self._store.read(index)
                    with index.read_lock:
                        changes.apply(index)


def _label(name: object) -> str:
    return name if isinstance(name, str) else str(name)


def _check_task(task_id: str) -> None:
    if not isinstance(task_id, str) or not 0 < len(task_id) <= _ID_MAX:
        raise InvalidInput(
            f"a task id is 1-{_ID_MAX} characters of text", code="provenance_invalid"
        )


def _check_source(source: Source) -> None:
    if not isinstance(source, Source):
        raise InvalidInput("an output's source must be a Source", code="provenance_invalid")
    if source.trust is Trust.USER:
        raise InvalidInput(
            "only the requester's instruction is user-trusted: record it with "
            "record_instruction, and a tool's output as trusted or untrusted",
            code="provenance_invalid",
        )
    for name, text, limit in (
        ("id", source.id, _ID_MAX),
        ("tool", source.tool, 200),
        ("label", source.label, 100),
    ):
        if text is not None and (not isinstance(text, str) or len(text) > limit):
            raise InvalidInput(
                f"a source's {name} is at most {limit} characters of text",
                code="provenance_invalid",
            )
    if not source.id:
        raise InvalidInput("a source needs an id (the decision id)", code="provenance_invalid")
    if not isinstance(source.trust, Trust):
        raise InvalidInput("a source's trust is a Trust", code="provenance_invalid")
