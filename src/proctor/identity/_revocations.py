"""Revoked credentials: single tokens by jti, and every token of an agent at once.

Checks run on every verification, so they read an in-memory snapshot. A revocation
made through this object is in the snapshot before ``revoke`` returns; one made by
another process is picked up at most ``poll_interval_s`` later, when the
``revocations`` change counter has moved (``poll_interval_s=0`` reads the counter
on every check).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from proctor.errors import InvalidInput
from proctor.identity._token_tables import agent_token_revocations, token_revocations
from proctor.store import ChangeWatch, Database, as_utc, read_version, utcnow

_VERSION_KEY = "revocations"
# A revoked token past its expiry fails verification anyway; keep it in memory a
# little longer than any clock leeway so the two checks never leave a gap.
_KEEP_AFTER_EXPIRY = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class _Snapshot:
    version: int
    jtis: frozenset[str]
    agents: dict[str, datetime]


class Revocations:
    """Records revocations and answers "is this revoked?" from memory."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime] = utcnow,
        poll_interval_s: float = 1.0,
    ) -> None:
        self._db = database
        self._clock = clock
        self._watch = ChangeWatch(database, _VERSION_KEY, poll_interval_s)
        self._lock = threading.Lock()
        self._snapshot = self._load()

    def revoke(
        self, jti: str, reason: str, actor: str, *, expires_at: datetime | None = None
    ) -> None:
        """Revoke the token ``jti`` and, through the chain, every token delegated from it.

        ``expires_at`` (the token's ``exp``, when known) lets the entry be dropped
        from memory once the token could not verify anyway. Revoking twice is a no-op.
        """
        if not jti or len(jti) > 64:
            raise InvalidInput("a token id (jti) is 1 to 64 characters", code="invalid_jti")
        _check_words(reason, actor)
        with self._db.begin() as connection:
            exists = connection.execute(
                sa.select(token_revocations.c.jti).where(token_revocations.c.jti == jti)
            ).first()
            if exists is None:
                connection.execute(
                    sa.insert(token_revocations).values(
                        jti=jti,
                        reason=reason,
                        actor=actor,
                        revoked_at=self._clock(),
                        expires_at=expires_at,
                    )
                )
                self._db.bump_version(connection, _VERSION_KEY)
        self.refresh()

    def revoke_all_for_agent(self, agent_id: str, reason: str, actor: str) -> datetime:
        """Invalidate every token issued so far in which ``agent_id`` takes part.

        That is every token whose subject is the agent and every token delegated
        through it (the agent anywhere in the delegation chain), so suspending an
        agent also stops the sub-agents it handed work to. Tokens issued after
        this moment are not affected: issuing is gated by the agent's status.
        Returns the cut-off.
        """
        if not agent_id or len(agent_id) > 200:
            raise InvalidInput("an agent id is 1 to 200 characters", code="invalid_agent_id")
        _check_words(reason, actor)
        now = self._clock()
        with self._db.begin() as connection:
            updated = connection.execute(
                sa.update(agent_token_revocations)
                .where(agent_token_revocations.c.agent_id == agent_id)
                .values(revoked_before=now, reason=reason, actor=actor)
            )
            if updated.rowcount == 0:
                connection.execute(
                    sa.insert(agent_token_revocations).values(
                        agent_id=agent_id, revoked_before=now, reason=reason, actor=actor
                    )
                )
            self._db.bump_version(connection, _VERSION_KEY)
        self.refresh()
        return now

    def is_revoked(self, jti: str) -> bool:
        return jti in self._current().jtis

    def is_agent_revoked(self, agent_id: str, issued_at: datetime) -> bool:
        """True when ``agent_id``'s tokens issued at ``issued_at`` were revoked.

        A token's ``iat`` has whole seconds, so a token issued in the same second
        as the cut-off counts as before it: fail closed.
        """
        cut_off = self._current().agents.get(agent_id)
        return cut_off is not None and issued_at <= cut_off

    def agent_cut_off(self, agent_id: str) -> datetime | None:
        """When ``agent_id``'s tokens were last revoked wholesale, if ever."""
        return self._current().agents.get(agent_id)

    def is_chain_revoked(
        self, jtis: Iterable[str], holders: Iterable[tuple[str, datetime]]
    ) -> bool:
        """True when a token with this chain is refused as revoked.

        ``jtis`` are the token's own jti and its ancestors'; ``holders`` are the
        ``(agent_id, issued_at)`` of each token in the chain, the holder's own
        included. This is the rule :meth:`TokenService.check_revocation` applies,
        read from one snapshot, for callers (the ledger) that have rows, not tokens.
        """
        snapshot = self._current()
        if any(jti in snapshot.jtis for jti in jtis):
            return True
        for agent_id, issued_at in holders:
            cut_off = snapshot.agents.get(agent_id)
            if cut_off is not None and issued_at <= cut_off:
                return True
        return False

    def catch_up(self) -> None:
        """Pick up other processes' revocations now instead of at the next poll.

        One read of the change counter (a reload only if it moved): for admin views,
        which should be current, not for the per-check path.
        """
        if self._watch.moved_since(self._snapshot.version, force=True):
            self.refresh()

    def refresh(self) -> None:
        with self._lock:
            self._snapshot = self._load()

    def _current(self) -> _Snapshot:
        if self._watch.moved_since(self._snapshot.version):
            self.refresh()
        return self._snapshot

    def _load(self) -> _Snapshot:
        keep_from = self._clock() - _KEEP_AFTER_EXPIRY
        with self._db.connect() as connection:
            version = read_version(connection, _VERSION_KEY)
            jtis = connection.execute(
                sa.select(token_revocations.c.jti).where(
                    sa.or_(
                        token_revocations.c.expires_at.is_(None),
                        token_revocations.c.expires_at > keep_from,
                    )
                )
            ).scalars()
            revoked_jtis = frozenset(jtis)
            agents = {
                row.agent_id: as_utc(row.revoked_before)
                for row in connection.execute(
                    sa.select(
                        agent_token_revocations.c.agent_id,
                        agent_token_revocations.c.revoked_before,
                    )
                )
            }
        return _Snapshot(version=version, jtis=revoked_jtis, agents=agents)


def _check_words(reason: str, actor: str) -> None:
    if not reason.strip():
        raise InvalidInput("say why the credential is revoked", code="invalid_reason")
    if not actor.strip() or len(actor) > 200:
        raise InvalidInput("say who revokes the credential (max 200)", code="invalid_actor")
