"""The ledger of issued tokens: which agent holds which credential, and when it last used it.

Every token the :class:`TokenService` signs is recorded here before it is handed
out (``on_issue=ledger.record``), in the store, so every process sees every other
process's tokens. Use is noted in memory on each verified check (:meth:`touch`,
no store access) and written in batches by a daemon thread every
``flush_interval_s``, at most once per :data:`LAST_USED_RESOLUTION` for each token
(as a person's key's); a token's ``last_used_at`` is therefore up to that long
behind in other processes, and current in this one. (With 1,000 tokens in use, one
write of every token every 5 s held the store's write lock for tens of milliseconds
each time, stalling the checks' audit appends behind it.)

Whether a recorded token is still *active* is decided by the same rules
verification applies: not expired, and neither it, a token it was delegated from,
nor an agent of its chain revoked (:meth:`Revocations.is_chain_revoked`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from proctor.errors import InvalidInput
from proctor.identity._revocations import Revocations
from proctor.identity._token_claims import MAX_DELEGATION_DEPTH, IssuedToken, capabilities_claim
from proctor.identity._token_tables import issued_tokens
from proctor.model import ActionClass, Capabilities, Tool
from proctor.store import Database, as_utc, utcnow

log = logging.getLogger("proctor.identity.ledger")

DEFAULT_FLUSH_INTERVAL_S = 5.0
#: A token's stored ``last_used_at`` is moved forward at most this often.
LAST_USED_RESOLUTION = timedelta(minutes=1)
#: Expired rows are kept this long (for "last seen" and for looking a jti up).
KEEP_EXPIRED = timedelta(days=1)
_PRUNE_EVERY = timedelta(hours=1)
_MAX_ACTOR_CHARS = 200
# Bound on the number of bound parameters per IN (...) query.
_CHUNK = 500
_TC = issued_tokens.c


class TokenState(StrEnum):
    """Where a recorded token stands now. ``expired`` wins over ``revoked``."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class LedgerToken:
    """One issued token as the ledger knows it (never the token itself)."""

    jti: str
    agent_id: str
    task_id: str
    requester: str
    parent_jti: str | None
    depth: int
    capabilities: Capabilities
    may_deliver: bool
    issued_by: str
    issued_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    state: TokenState


@dataclass(frozen=True, slots=True)
class Delegation:
    """One hand-over: ``from_agent``'s token ``parent_jti`` exchanged for ``to_agent``'s ``jti``.

    ``from_agent`` is ``None`` when the parent token is not in the ledger (issued by
    a process that kept none, or pruned).
    """

    from_agent: str | None
    parent_jti: str
    to_agent: str
    jti: str
    task_id: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class AgentCredentials:
    """What the inventory shows of one agent's credentials.

    ``delegations`` are the active tokens the agent handed on (children of its
    active tokens); ``delegated_by`` says who handed the agent each of its active
    delegated tokens. ``last_seen`` is the latest use of any of its recorded
    tokens, active or not.
    """

    agent_id: str
    active_tokens: tuple[LedgerToken, ...]
    delegations: tuple[Delegation, ...]
    delegated_by: tuple[Delegation, ...]
    last_seen: datetime | None

    @property
    def grants(self) -> Capabilities:
        """Everything the active tokens grant together."""
        actions: set[ActionClass] = set()
        tools: dict[str, None] = {}
        for token in self.active_tokens:
            actions |= token.capabilities.actions
            tools.update(dict.fromkeys(token.capabilities.tools))
        return Capabilities(actions=frozenset(actions), tools=tuple(tools))

    def granted_tools(self, tools: Iterable[Tool]) -> list[str]:
        """The names of ``tools`` the active tokens grant, by action class or name pattern.

        Each call is still decided by policy: a granted tool may be held or denied.
        """
        grants = self.grants
        return [
            tool.name
            for tool in tools
            if grants.grants_action(tool.action_class) or grants.grants_tool(tool.name)
        ]


@dataclass(frozen=True, slots=True)
class _Row:
    jti: str
    agent_id: str
    task_id: str
    requester: str
    parent_jti: str | None
    depth: int
    capabilities: Mapping[str, Any]
    issued_by: str
    issued_at: datetime
    expires_at: datetime
    last_used_at: datetime | None


class TokenLedger:
    """Records issued tokens, notes their use, and answers what an agent holds."""

    def __init__(
        self,
        database: Database,
        *,
        revocations: Revocations | None = None,
        flush_interval_s: float = DEFAULT_FLUSH_INTERVAL_S,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if not flush_interval_s > 0:
            raise InvalidInput("flush_interval_s must be more than 0")
        self._db = database
        self._revocations = revocations or Revocations(database, clock=clock)
        self._interval_s = flush_interval_s
        self._clock = clock
        self._lock = threading.Lock()
        #: The latest use of each token this process noted and has not written.
        self._pending: dict[str, datetime] = {}
        #: When this process last wrote a token's ``last_used_at``, kept for
        #: :data:`LAST_USED_RESOLUTION` (a use sooner after it is not written yet).
        self._written: dict[str, datetime] = {}
        self._flushing = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._next_prune: datetime | None = None

    # -- writing --------------------------------------------------------------------

    def record(self, issued: IssuedToken, issued_by: str) -> None:
        """Insert the ledger row of a token just signed (the TokenService's on_issue hook).

        A failure raises, so the token is not handed out unrecorded.
        """
        claims = issued.claims
        capabilities = {**capabilities_claim(claims.capabilities), "deliver": claims.may_deliver}
        with self._db.begin() as connection:
            connection.execute(
                sa.insert(issued_tokens).values(
                    jti=claims.jti,
                    agent_id=claims.agent_id,
                    task_id=claims.task_id,
                    requester=claims.requester,
                    parent_jti=claims.parent_jti,
                    depth=claims.depth,
                    capabilities=capabilities,
                    issued_by=(issued_by or claims.requester)[:_MAX_ACTOR_CHARS],
                    issued_at=claims.issued_at,
                    expires_at=claims.expires_at,
                    last_used_at=None,
                )
            )

    def touch(self, jti: str) -> None:
        """Note that the token ``jti`` was used now: in memory only, written by :meth:`flush`."""
        now = self._clock()
        with self._lock:
            if self._closed:
                return
            self._pending[jti] = now
            if self._thread is None:
                self._start_flusher()

    def flush(self, *, everything: bool = False) -> int:
        """Write the pending ``last_used_at`` values that are due in one transaction;
        returns how many.

        A use is due when this process wrote none for the token in the last
        :data:`LAST_USED_RESOLUTION` (``everything``: every pending use is). Uses not
        due stay pending and are shown by this process's views. Also removes rows
        expired more than a day ago, at most once an hour. On a store failure the
        values stay pending (for the next flush) and the error is raised.
        """
        return self._flush(prune=True, everything=everything)

    def close(self) -> None:
        """Stop the flush thread and write what is pending; calling it twice is harmless.

        A store failure here is logged, not raised: last-used times are for people
        to read, and losing the last few seconds of them must not stop a shutdown.
        """
        with self._lock:
            self._closed = True
            thread = self._thread
        self._stop.set()
        if thread is not None:
            thread.join()
        try:
            self._flush(prune=False, everything=True)
        except Exception:
            log.exception("could not write the last-used times of agent tokens on close")

    def _start_flusher(self) -> None:
        self._thread = threading.Thread(target=self._run, name="proctor-token-ledger", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self._flush(prune=True)
            except Exception:
                log.exception("could not write the last-used times of agent tokens; will retry")

    def _flush(self, *, prune: bool, everything: bool = False) -> int:
        with self._flushing:
            now = self._clock()
            due = self._due(now, everything)
            prune = prune and (self._next_prune is None or now >= self._next_prune)
            if not due and not prune:
                return 0
            with self._db.begin() as connection:
                if due:
                    _write_last_used(connection, due)
                if prune:
                    connection.execute(
                        sa.delete(issued_tokens).where(_TC.expires_at < now - KEEP_EXPIRED)
                    )
            self._wrote(due, now)
            if prune:
                self._next_prune = now + _PRUNE_EVERY
            return len(due)

    def _due(self, now: datetime, everything: bool) -> dict[str, datetime]:
        """The pending uses to write now (they stay pending until written)."""
        since = now - LAST_USED_RESOLUTION
        with self._lock:
            if everything:
                return dict(self._pending)
            written = self._written
            return {
                jti: used
                for jti, used in self._pending.items()
                if (last := written.get(jti)) is None or last <= since
            }

    def _wrote(self, due: Mapping[str, datetime], now: datetime) -> None:
        """Forget the uses just written (unless a newer one came meanwhile), and the
        writes older than the resolution (a use after them is due at once)."""
        since = now - LAST_USED_RESOLUTION
        with self._lock:
            for jti, used in due.items():
                self._written[jti] = now
                if self._pending.get(jti) == used:
                    del self._pending[jti]
            self._written = {jti: at for jti, at in self._written.items() if at > since}

    # -- reading --------------------------------------------------------------------

    def get(self, jti: str) -> LedgerToken | None:
        """The ledger's record of one token, or ``None`` when it is not recorded."""
        self._revocations.catch_up()
        with self._db.connect() as connection:
            row = connection.execute(sa.select(issued_tokens).where(_TC.jti == jti)).first()
            if row is None:
                return None
            rows = _resolve(connection, {jti: _row(row)})
        return self._token(rows[jti], rows, self._clock())

    def list(
        self, *, agent_id: str | None = None, include_inactive: bool = False, limit: int = 100
    ) -> list[LedgerToken]:
        """Recorded tokens, newest first: the active ones, or with ``include_inactive``
        also those expired (kept a day) and revoked."""
        if not 1 <= limit <= 10_000:
            raise InvalidInput("limit must be between 1 and 10000")
        self._revocations.catch_up()
        now = self._clock()
        query = sa.select(issued_tokens).order_by(_TC.issued_at.desc(), _TC.jti)
        if agent_id is not None:
            query = query.where(_TC.agent_id == agent_id)
        # Active tokens are filtered after the query (revocation is not in SQL), so
        # only the inactive-included listing can be cut short by the database.
        query = query.limit(limit) if include_inactive else query.where(_TC.expires_at > now)
        with self._db.connect() as connection:
            found = {row.jti: _row(row) for row in connection.execute(query)}
            rows = _resolve(connection, found)
        tokens = (self._token(rows[jti], rows, now) for jti in found)
        if include_inactive:
            return list(tokens)
        return [token for token in tokens if token.state is TokenState.ACTIVE][:limit]

    def for_agent(self, agent_id: str) -> AgentCredentials:
        """What the inventory shows of ``agent_id``: active tokens, delegations, last seen."""
        self._revocations.catch_up()
        now = self._clock()
        with self._db.connect() as connection:
            own = _select(connection, _TC.agent_id == agent_id)
            children = _select_in(connection, _TC.parent_jti, list(own))
            rows = _resolve(connection, {**own, **children})
        tokens = {jti: self._token(rows[jti], rows, now) for jti in rows}
        active = sorted(
            (tokens[jti] for jti in own if tokens[jti].state is TokenState.ACTIVE),
            key=lambda token: (token.issued_at, token.jti),
            reverse=True,
        )
        active_jtis = {token.jti for token in active}
        delegations = [
            _delegation(tokens[jti], agent_id)
            for jti in children
            if tokens[jti].state is TokenState.ACTIVE and tokens[jti].parent_jti in active_jtis
        ]
        delegated_by = [
            _delegation(token, _holder(tokens, token.parent_jti))
            for token in active
            if token.parent_jti is not None
        ]
        used = [tokens[jti].last_used_at for jti in own]
        return AgentCredentials(
            agent_id=agent_id,
            active_tokens=tuple(active),
            delegations=tuple(sorted(delegations, key=lambda d: (d.to_agent, d.jti))),
            delegated_by=tuple(delegated_by),
            last_seen=max((moment for moment in used if moment is not None), default=None),
        )

    def _token(self, row: _Row, rows: Mapping[str, _Row], now: datetime) -> LedgerToken:
        with self._lock:
            pending = self._pending.get(row.jti)
        last_used = row.last_used_at
        if pending is not None and (last_used is None or pending > last_used):
            last_used = pending
        token = _token_of(row, last_used, TokenState.ACTIVE)
        if row.expires_at <= now:
            return replace(token, state=TokenState.EXPIRED)
        jtis, holders = _chain(row, rows)
        if self._revocations.is_chain_revoked(jtis, holders):
            return replace(token, state=TokenState.REVOKED)
        return token


# -- rows ---------------------------------------------------------------------------------


def _row(row: Any) -> _Row:
    capabilities = row.capabilities if isinstance(row.capabilities, Mapping) else {}
    return _Row(
        jti=row.jti,
        agent_id=row.agent_id,
        task_id=row.task_id,
        requester=row.requester,
        parent_jti=row.parent_jti,
        depth=row.depth,
        capabilities=capabilities,
        issued_by=row.issued_by,
        issued_at=as_utc(row.issued_at),
        expires_at=as_utc(row.expires_at),
        last_used_at=as_utc(row.last_used_at) if row.last_used_at is not None else None,
    )


def _token_of(row: _Row, last_used: datetime | None, state: TokenState) -> LedgerToken:
    claim = row.capabilities
    return LedgerToken(
        jti=row.jti,
        agent_id=row.agent_id,
        task_id=row.task_id,
        requester=row.requester,
        parent_jti=row.parent_jti,
        depth=row.depth,
        capabilities=Capabilities(
            actions=frozenset(ActionClass(action) for action in claim.get("actions", ())),
            tools=tuple(claim.get("tools", ())),
            resources=(tuple(claim["resources"]) if claim.get("resources") is not None else None),
        ),
        may_deliver=bool(claim.get("deliver", False)),
        issued_by=row.issued_by,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        last_used_at=last_used,
        state=state,
    )


def _select(connection: Connection, condition: sa.ColumnElement[bool]) -> dict[str, _Row]:
    rows = connection.execute(sa.select(issued_tokens).where(condition))
    return {row.jti: _row(row) for row in rows}


def _select_in(
    connection: Connection, column: sa.Column[Any], values: list[str]
) -> dict[str, _Row]:
    found: dict[str, _Row] = {}
    for chunk in _chunks(values):
        found.update(_select(connection, column.in_(chunk)))
    return found


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _resolve(connection: Connection, rows: dict[str, _Row]) -> dict[str, _Row]:
    """``rows`` and every ancestor of theirs that the ledger holds."""
    known = dict(rows)
    for _ in range(MAX_DELEGATION_DEPTH + 1):
        missing = {
            row.parent_jti
            for row in known.values()
            if row.parent_jti is not None and row.parent_jti not in known
        }
        if not missing:
            break
        fetched = _select_in(connection, _TC.jti, sorted(missing))
        if not fetched:
            break
        known.update(fetched)
    return known


def _chain(row: _Row, rows: Mapping[str, _Row]) -> tuple[list[str], list[tuple[str, datetime]]]:
    """The jtis and ``(holder, issued_at)`` pairs of ``row``'s delegation chain.

    An ancestor missing from the ledger still contributes its jti (the child names
    it); its own ancestors cannot be known, so they are not checked.
    """
    jtis: list[str] = []
    holders: list[tuple[str, datetime]] = []
    current: _Row | None = row
    for _ in range(MAX_DELEGATION_DEPTH + 1):
        if current is None:
            break
        jtis.append(current.jti)
        holders.append((current.agent_id, current.issued_at))
        parent = current.parent_jti
        if parent is None:
            break
        current = rows.get(parent)
        if current is None:
            jtis.append(parent)
    return jtis, holders


def _holder(tokens: Mapping[str, LedgerToken], jti: str | None) -> str | None:
    token = tokens.get(jti) if jti is not None else None
    return token.agent_id if token is not None else None


def _delegation(child: LedgerToken, from_agent: str | None) -> Delegation:
    assert child.parent_jti is not None
    return Delegation(
        from_agent=from_agent,
        parent_jti=child.parent_jti,
        to_agent=child.agent_id,
        jti=child.jti,
        task_id=child.task_id,
        expires_at=child.expires_at,
    )


def _write_last_used(connection: Connection, pending: Mapping[str, datetime]) -> None:
    # Only ever forward: another process may have written a later use already.
    statement = (
        sa.update(issued_tokens)
        .where(_TC.jti == sa.bindparam("b_jti"))
        .where(sa.or_(_TC.last_used_at.is_(None), _TC.last_used_at < sa.bindparam("b_used")))
        .values(last_used_at=sa.bindparam("b_used"))
    )
    connection.execute(statement, _parameters(pending.items()))


def _parameters(items: Iterable[tuple[str, datetime]]) -> list[dict[str, Any]]:
    return [{"b_jti": jti, "b_used": used} for jti, used in items]
