"""The ledger of issued tokens, on real SQLite stores: record, touch, flush, views."""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proctor.errors import Forbidden, InvalidInput, StoreError, Unauthorized
from proctor.identity import (
    LAST_USED_RESOLUTION,
    IssuedToken,
    Revocations,
    SigningKeys,
    TokenLedger,
    TokenService,
    TokenState,
)
from proctor.identity._token_tables import (
    agent_token_revocations,
    issued_tokens,
    token_revocations,
)
from proctor.model import ActionClass, Capabilities
from proctor.runtime import Runtime
from proctor.store import Database, as_utc
from tests.identity.conftest import ISSUER, READ_FILES, Clock

HOUR = timedelta(hours=1)


@dataclass
class Ledgered:
    """A token service that records into a ledger, on one SQLite file."""

    path: Path
    database: Database
    clock: Clock
    revocations: Revocations
    ledger: TokenLedger
    service: TokenService

    def issue(self, agent_id: str = "agent-a", **options: Any) -> IssuedToken:
        values: dict[str, Any] = {
            "agent_id": agent_id,
            "task_id": "task_1",
            "requester": "alice",
            "capabilities": READ_FILES,
            "issued_by": "admin-key:k1",
        }
        values.update(options)
        return self.service.issue(**values)

    def delegate(self, parent: IssuedToken, to_agent: str, **options: Any) -> IssuedToken:
        return self.service.exchange(parent.token, to_agent_id=to_agent, **options)

    def stored(self, jti: str) -> dict[str, Any] | None:
        """The row as another reader of the file sees it, bypassing our engine."""
        with sqlite3.connect(self.path) as connection:
            connection.row_factory = sqlite3.Row
            row = connection.execute("SELECT * FROM issued_tokens WHERE jti = ?", (jti,)).fetchone()
        return dict(row) if row is not None else None


def _ledgered(path: Path, clock: Clock, flush_interval_s: float = 3600.0) -> Ledgered:
    database = Database.open(path)
    revocations = Revocations(database, clock=clock)
    ledger = TokenLedger(
        database, revocations=revocations, flush_interval_s=flush_interval_s, clock=clock
    )
    service = TokenService(
        database,
        SigningKeys(database, clock=clock),
        issuer=ISSUER,
        revocations=revocations,
        on_issue=ledger.record,
        # No leeway: a token the ledger calls expired must also fail verification.
        leeway=timedelta(0),
        clock=clock,
    )
    return Ledgered(path, database, clock, revocations, ledger, service)


@pytest.fixture
def ledgered(tmp_path: Path, template_store: Path, clock: Clock) -> Iterator[Ledgered]:
    path = tmp_path / "s.db"
    shutil.copyfile(template_store, path)
    made = _ledgered(path, clock)
    yield made
    made.ledger.close()
    made.database.dispose()


def _count_connections(database: Database) -> Callable[[], int]:
    """How many times the engine handed out a connection since this was called."""
    checkouts = [0]

    def on_checkout(*_args: object) -> None:
        checkouts[0] += 1

    sa.event.listen(database.engine, "checkout", on_checkout)
    return lambda: checkouts[0]


def _count_transactions(database: Database) -> Callable[[], int]:
    begins = [0]

    def on_begin(*_args: object) -> None:
        begins[0] += 1

    sa.event.listen(database.engine, "begin", on_begin)
    return lambda: begins[0]


# -- record ---------------------------------------------------------------------------------


def test_every_signed_token_is_recorded_with_who_asked(ledgered: Ledgered) -> None:
    issued = ledgered.issue(may_deliver=True)
    row = ledgered.stored(issued.claims.jti)
    assert row is not None
    assert row["agent_id"] == "agent-a"
    assert row["task_id"] == "task_1"
    assert row["requester"] == "alice"
    assert row["issued_by"] == "admin-key:k1"
    assert row["parent_jti"] is None
    assert row["depth"] == 0
    assert row["last_used_at"] is None

    token = ledgered.ledger.get(issued.claims.jti)
    assert token is not None
    assert token.state is TokenState.ACTIVE
    assert token.capabilities == READ_FILES
    assert token.may_deliver is True
    assert token.issued_at == issued.claims.issued_at
    assert token.expires_at == issued.claims.expires_at


def test_the_signed_token_itself_is_never_stored(ledgered: Ledgered) -> None:
    issued = ledgered.issue()
    signature = issued.token.rsplit(".", 1)[1]
    for file in ledgered.path.parent.glob(ledgered.path.name + "*"):  # the WAL too
        assert signature not in file.read_bytes().decode("latin-1")
    assert ledgered.stored(issued.claims.jti) is not None


def test_a_delegated_token_records_its_parent_and_the_delegator(ledgered: Ledgered) -> None:
    root = ledgered.issue()
    child = ledgered.delegate(root, "agent-b")
    row = ledgered.stored(child.claims.jti)
    assert row is not None
    assert row["parent_jti"] == root.claims.jti
    assert row["depth"] == 1
    assert row["issued_by"] == "agent-a"


def test_no_token_is_handed_out_when_it_cannot_be_recorded(ledgered: Ledgered) -> None:
    with sqlite3.connect(ledgered.path) as connection:
        connection.execute("ALTER TABLE issued_tokens RENAME TO issued_tokens_away")
    with pytest.raises(StoreError):
        ledgered.issue()


def test_a_unknown_jti_is_not_in_the_ledger(ledgered: Ledgered) -> None:
    assert ledgered.ledger.get("no-such-jti") is None


# -- touch and flush ------------------------------------------------------------------------


def test_touch_stays_in_memory_until_flush(ledgered: Ledgered) -> None:
    jti = ledgered.issue().claims.jti
    connections = _count_connections(ledgered.database)
    ledgered.clock.advance(timedelta(seconds=5))
    for _ in range(1000):
        ledgered.ledger.touch(jti)
    assert connections() == 0, "touch must not use the store"
    row = ledgered.stored(jti)
    assert row is not None
    assert row["last_used_at"] is None

    # This process sees the use at once (pending, in memory) ...
    token = ledgered.ledger.get(jti)
    assert token is not None
    assert token.last_used_at == ledgered.clock.now

    # ... and the store after a flush.
    assert ledgered.ledger.flush() == 1
    row = ledgered.stored(jti)
    assert row is not None
    assert row["last_used_at"] is not None
    assert as_utc(datetime.fromisoformat(row["last_used_at"])) == ledgered.clock.now


def test_flush_writes_every_pending_use_in_one_transaction(ledgered: Ledgered) -> None:
    jtis = [ledgered.issue(task_id=f"task_{n}").claims.jti for n in range(5)]
    ledgered.ledger.flush()  # the first flush also prunes; get that out of the way
    for jti in jtis:
        ledgered.ledger.touch(jti)
    transactions = _count_transactions(ledgered.database)
    assert ledgered.ledger.flush() == 5
    assert transactions() == 1
    assert all((ledgered.stored(jti) or {})["last_used_at"] for jti in jtis)
    assert ledgered.ledger.flush() == 0
    assert transactions() == 1, "nothing pending: no write"


def _stored_last_used(ledgered: Ledgered, jti: str) -> datetime | None:
    text = (ledgered.stored(jti) or {}).get("last_used_at")
    return as_utc(datetime.fromisoformat(text)) if text else None


def test_a_token_in_use_is_written_at_most_once_per_resolution(
    ledgered: Ledgered, clock: Clock
) -> None:
    jti = ledgered.issue().claims.jti
    ledgered.ledger.flush()  # the first flush also prunes; get that out of the way
    ledgered.ledger.touch(jti)
    first = clock.now
    assert ledgered.ledger.flush() == 1
    transactions = _count_transactions(ledgered.database)
    for _ in range(11):  # used every 5 s for the next 55 s: nothing is written
        clock.advance(timedelta(seconds=5))
        ledgered.ledger.touch(jti)
        assert ledgered.ledger.flush() == 0
    last = clock.now
    assert transactions() == 0
    assert _stored_last_used(ledgered, jti) == first
    # This process shows the latest use all along; another sees the stored one.
    shown = ledgered.ledger.get(jti)
    assert shown is not None
    assert shown.last_used_at == clock.now
    other = TokenLedger(ledgered.database, clock=lambda: clock.now)
    seen_elsewhere = other.get(jti)
    assert seen_elsewhere is not None
    assert seen_elsewhere.last_used_at == first
    other.close()
    # A resolution after the last write, the latest use is written.
    clock.advance(timedelta(seconds=5))
    assert clock.now == first + LAST_USED_RESOLUTION
    assert ledgered.ledger.flush() == 1
    assert _stored_last_used(ledgered, jti) == last
    assert ledgered.ledger.flush() == 0


def test_a_use_not_due_is_still_written_later_and_on_close(
    ledgered: Ledgered, clock: Clock
) -> None:
    jti = ledgered.issue().claims.jti
    ledgered.ledger.touch(jti)
    ledgered.ledger.flush()
    clock.advance(timedelta(seconds=20))
    ledgered.ledger.touch(jti)  # the last use of the token, not due yet
    used = clock.now
    assert ledgered.ledger.flush() == 0
    clock.advance(LAST_USED_RESOLUTION)
    assert ledgered.ledger.flush() == 1
    assert _stored_last_used(ledgered, jti) == used

    clock.advance(timedelta(seconds=1))
    ledgered.ledger.touch(jti)
    assert ledgered.ledger.flush() == 0
    ledgered.ledger.close()  # a clean stop writes every pending use
    assert _stored_last_used(ledgered, jti) == clock.now


def test_last_used_only_moves_forward(ledgered: Ledgered, clock: Clock) -> None:
    jti = ledgered.issue().claims.jti
    other = TokenLedger(ledgered.database, clock=lambda: clock.now - timedelta(minutes=5))
    clock.advance(timedelta(seconds=30))
    ledgered.ledger.touch(jti)
    ledgered.ledger.flush()
    other.touch(jti)  # a slower process's older use, flushed later
    other.flush()
    other.close()
    token = ledgered.ledger.get(jti)
    assert token is not None
    assert token.last_used_at == clock.now


def test_a_failed_flush_keeps_the_uses_for_the_next(ledgered: Ledgered) -> None:
    jti = ledgered.issue().claims.jti
    ledgered.ledger.touch(jti)
    with sqlite3.connect(ledgered.path) as connection:
        connection.execute("ALTER TABLE issued_tokens RENAME TO issued_tokens_away")
    with pytest.raises(StoreError):
        ledgered.ledger.flush()
    with sqlite3.connect(ledgered.path) as connection:
        connection.execute("ALTER TABLE issued_tokens_away RENAME TO issued_tokens")
    assert ledgered.ledger.flush() == 1
    row = ledgered.stored(jti)
    assert row is not None
    assert row["last_used_at"] is not None


def test_the_flush_thread_writes_uses_and_stops_on_close(
    tmp_path: Path, template_store: Path
) -> None:
    path = tmp_path / "s.db"
    shutil.copyfile(template_store, path)
    clock = Clock()
    made = _ledgered(path, clock, flush_interval_s=0.05)
    try:
        jti = made.issue().claims.jti
        assert not [t for t in _ledger_threads() if t.is_alive()], "started lazily, on use"
        made.ledger.touch(jti)
        threads = _ledger_threads()
        assert threads
        assert all(thread.daemon for thread in threads)
        deadline = time.monotonic() + 10
        while (made.stored(jti) or {}).get("last_used_at") is None:
            assert time.monotonic() < deadline, "the flush thread never wrote the use"
            time.sleep(0.02)
    finally:
        made.ledger.close()
        made.database.dispose()
    assert not [t for t in _ledger_threads() if t.is_alive()]


def _ledger_threads() -> list[Any]:
    import threading

    return [t for t in threading.enumerate() if t.name == "proctor-token-ledger"]


def test_close_writes_what_is_pending_and_ignores_later_touches(ledgered: Ledgered) -> None:
    jti = ledgered.issue().claims.jti
    ledgered.ledger.touch(jti)
    ledgered.ledger.close()
    row = ledgered.stored(jti)
    assert row is not None
    assert row["last_used_at"] is not None
    ledgered.ledger.touch(jti)  # after close: ignored, no thread started
    ledgered.ledger.close()


def test_expired_rows_are_pruned_after_a_day_at_most_hourly(
    ledgered: Ledgered, clock: Clock
) -> None:
    first = ledgered.issue(ttl=timedelta(minutes=1)).claims.jti
    clock.advance(timedelta(minutes=30))
    second = ledgered.issue(ttl=timedelta(minutes=1)).claims.jti
    clock.advance(timedelta(days=1, minutes=2) - timedelta(minutes=30))
    ledgered.ledger.flush()
    assert ledgered.stored(first) is None, "expired over a day ago: pruned"
    assert ledgered.stored(second) is not None, "expired less than a day ago: kept"

    clock.advance(timedelta(minutes=30))
    ledgered.ledger.flush()
    assert ledgered.stored(second) is not None, "pruned at most once an hour"
    clock.advance(timedelta(minutes=30))
    ledgered.ledger.flush()
    assert ledgered.stored(second) is None


def test_an_expired_token_is_kept_a_day_for_last_seen(ledgered: Ledgered, clock: Clock) -> None:
    jti = ledgered.issue(ttl=timedelta(minutes=1)).claims.jti
    ledgered.ledger.touch(jti)
    used = clock.now
    ledgered.ledger.flush()
    clock.advance(timedelta(hours=2))
    ledgered.ledger.flush()
    held = ledgered.ledger.for_agent("agent-a")
    assert held.active_tokens == ()
    assert held.last_seen == used


def test_flush_interval_must_be_positive(database: Database) -> None:
    with pytest.raises(InvalidInput):
        TokenLedger(database, flush_interval_s=0)


# -- what is active -------------------------------------------------------------------------


def test_expired_tokens_are_not_active(ledgered: Ledgered, clock: Clock) -> None:
    issued = ledgered.issue(ttl=timedelta(minutes=1))
    assert [t.jti for t in ledgered.ledger.list()] == [issued.claims.jti]
    clock.advance(timedelta(minutes=1))
    assert ledgered.ledger.list() == []
    assert ledgered.ledger.for_agent("agent-a").active_tokens == ()
    token = ledgered.ledger.get(issued.claims.jti)
    assert token is not None
    assert token.state is TokenState.EXPIRED
    listed = ledgered.ledger.list(include_inactive=True)
    assert [(t.jti, t.state) for t in listed] == [(issued.claims.jti, TokenState.EXPIRED)]


def test_a_revoked_token_is_not_active(ledgered: Ledgered) -> None:
    kept = ledgered.issue(task_id="task_kept")
    revoked = ledgered.issue(task_id="task_revoked")
    ledgered.revocations.revoke(revoked.claims.jti, "leaked", "admin")
    assert [t.jti for t in ledgered.ledger.for_agent("agent-a").active_tokens] == [kept.claims.jti]
    token = ledgered.ledger.get(revoked.claims.jti)
    assert token is not None
    assert token.state is TokenState.REVOKED
    assert {t.jti for t in ledgered.ledger.list()} == {kept.claims.jti}


def test_revoking_a_parent_hides_every_token_delegated_from_it(ledgered: Ledgered) -> None:
    root = ledgered.issue()
    child = ledgered.delegate(root, "agent-b")
    grandchild = ledgered.delegate(child, "agent-c")
    held = ledgered.ledger.for_agent("agent-a")
    assert [d.jti for d in held.delegations] == [child.claims.jti]

    ledgered.revocations.revoke(root.claims.jti, "task cancelled", "admin")
    for agent in ("agent-a", "agent-b", "agent-c"):
        held = ledgered.ledger.for_agent(agent)
        assert held.active_tokens == ()
        assert held.delegations == ()
        assert held.delegated_by == ()
    for issued in (child, grandchild):
        token = ledgered.ledger.get(issued.claims.jti)
        assert token is not None
        assert token.state is TokenState.REVOKED
    assert ledgered.ledger.list() == []


def test_revoking_a_middle_token_keeps_the_root(ledgered: Ledgered) -> None:
    root = ledgered.issue()
    child = ledgered.delegate(root, "agent-b")
    grandchild = ledgered.delegate(child, "agent-c")
    ledgered.revocations.revoke(child.claims.jti, "sub-agent misbehaved", "admin")
    assert [t.jti for t in ledgered.ledger.list()] == [root.claims.jti]
    token = ledgered.ledger.get(grandchild.claims.jti)
    assert token is not None
    assert token.state is TokenState.REVOKED


def test_suspending_an_agent_hides_its_tokens_and_those_delegated_through_it(
    ledgered: Ledgered, clock: Clock
) -> None:
    root = ledgered.issue()
    child = ledgered.delegate(root, "agent-b")
    other = ledgered.issue("agent-z", task_id="task_z")
    ledgered.revocations.revoke_all_for_agent("agent-a", "suspended", "admin")
    assert ledgered.ledger.for_agent("agent-a").active_tokens == ()
    assert ledgered.ledger.for_agent("agent-b").active_tokens == ()
    token = ledgered.ledger.get(child.claims.jti)
    assert token is not None
    assert token.state is TokenState.REVOKED
    assert [t.jti for t in ledgered.ledger.list()] == [other.claims.jti]

    clock.advance(timedelta(seconds=2))  # revived later: a fresh token is active
    fresh = ledgered.issue()
    assert [t.jti for t in ledgered.ledger.for_agent("agent-a").active_tokens] == [fresh.claims.jti]


def test_delegations_both_ways(ledgered: Ledgered) -> None:
    root = ledgered.issue()
    child = ledgered.delegate(root, "agent-b", capabilities=Capabilities(tools=("search",)))
    grandchild = ledgered.delegate(child, "agent-c")

    a = ledgered.ledger.for_agent("agent-a")
    assert [(d.from_agent, d.to_agent, d.parent_jti, d.jti) for d in a.delegations] == [
        ("agent-a", "agent-b", root.claims.jti, child.claims.jti)
    ]
    assert a.delegated_by == ()

    b = ledgered.ledger.for_agent("agent-b")
    assert [t.jti for t in b.active_tokens] == [child.claims.jti]
    assert b.active_tokens[0].depth == 1
    assert b.active_tokens[0].parent_jti == root.claims.jti
    assert [(d.from_agent, d.jti) for d in b.delegated_by] == [("agent-a", child.claims.jti)]
    assert [(d.to_agent, d.jti) for d in b.delegations] == [("agent-c", grandchild.claims.jti)]
    assert b.grants == Capabilities(tools=("search",))
    assert b.delegations[0].task_id == "task_1"
    assert b.delegations[0].expires_at == grandchild.claims.expires_at


def test_an_expired_delegation_is_not_listed(ledgered: Ledgered, clock: Clock) -> None:
    root = ledgered.issue(ttl=timedelta(minutes=10))
    ledgered.delegate(root, "agent-b", ttl=timedelta(minutes=1))
    clock.advance(timedelta(minutes=2))
    held = ledgered.ledger.for_agent("agent-a")
    assert [t.jti for t in held.active_tokens] == [root.claims.jti]
    assert held.delegations == ()


def test_a_parent_missing_from_the_ledger_is_still_checked_by_jti(
    ledgered: Ledgered, clock: Clock
) -> None:
    # The parent was issued by a process that kept no ledger.
    unledgered = TokenService(
        ledgered.database,
        SigningKeys(ledgered.database, clock=clock),
        issuer=ISSUER,
        revocations=ledgered.revocations,
        clock=clock,
    )
    parent = unledgered.issue(
        agent_id="agent-a", task_id="task_1", requester="alice", capabilities=READ_FILES
    )
    child = ledgered.delegate(parent, "agent-b")
    held = ledgered.ledger.for_agent("agent-b")
    assert [(d.from_agent, d.parent_jti) for d in held.delegated_by] == [(None, parent.claims.jti)]
    ledgered.revocations.revoke(parent.claims.jti, "leaked", "admin")
    token = ledgered.ledger.get(child.claims.jti)
    assert token is not None
    assert token.state is TokenState.REVOKED


def test_last_seen_is_the_latest_use_of_any_token(ledgered: Ledgered, clock: Clock) -> None:
    assert ledgered.ledger.for_agent("agent-a").last_seen is None
    first = ledgered.issue(task_id="task_1").claims.jti
    second = ledgered.issue(task_id="task_2").claims.jti
    ledgered.ledger.touch(second)
    clock.advance(timedelta(seconds=10))
    ledgered.ledger.touch(first)
    ledgered.ledger.flush()
    clock.advance(timedelta(seconds=10))
    ledgered.ledger.touch(second)  # pending, not flushed: still counts here
    assert ledgered.ledger.for_agent("agent-a").last_seen == clock.now


def test_list_filters_by_agent_and_limits(ledgered: Ledgered, clock: Clock) -> None:
    for n in range(3):
        ledgered.issue("agent-a", task_id=f"task_{n}")
        clock.advance(timedelta(seconds=1))
    ledgered.issue("agent-b")
    assert len(ledgered.ledger.list()) == 4
    assert {t.agent_id for t in ledgered.ledger.list(agent_id="agent-a")} == {"agent-a"}
    newest = ledgered.ledger.list(agent_id="agent-a", limit=2)
    assert [t.task_id for t in newest] == ["task_2", "task_1"]
    assert len(ledgered.ledger.list(include_inactive=True, limit=1)) == 1
    with pytest.raises(InvalidInput):
        ledgered.ledger.list(limit=0)


# -- two processes --------------------------------------------------------------------------


def test_two_runtimes_on_one_data_dir_see_each_others_tokens(tmp_path: Path) -> None:
    first = Runtime.open(tmp_path / "home")
    second = Runtime.open(tmp_path / "home")
    try:
        issued = first.tokens.issue(
            agent_id="forum-bot", task_id="task_1", requester="dana", capabilities=READ_FILES
        )
        jti = issued.claims.jti
        seen = second.ledger.get(jti)
        assert seen is not None
        assert seen.state is TokenState.ACTIVE
        assert [t.jti for t in second.ledger.for_agent("forum-bot").active_tokens] == [jti]

        first.ledger.touch(jti)
        seen = second.ledger.get(jti)
        assert seen is not None
        assert seen.last_used_at is None, "not flushed yet"
        first.ledger.flush()
        seen = second.ledger.get(jti)
        assert seen is not None
        assert seen.last_used_at is not None

        second.tokens.revocations.revoke(jti, "leaked", "admin")
        # The other process's view is current at once (an admin view catches up) ...
        seen = first.ledger.get(jti)
        assert seen is not None
        assert seen.state is TokenState.REVOKED
        # ... and so is its verification, which the catch-up refreshed.
        with pytest.raises(Unauthorized) as refused:
            first.tokens.verify(issued.token)
        assert refused.value.code == "token_revoked"

        # A runtime flushes its pending uses when it closes.
        second.ledger.touch(jti)
    finally:
        second.close()
        first.close()
    reopened = Runtime.open(tmp_path / "home")
    try:
        seen = reopened.ledger.get(jti)
        assert seen is not None
        assert seen.last_used_at is not None
    finally:
        reopened.close()


# -- the ledger agrees with verification -----------------------------------------------------

AGENTS = ("agent-a", "agent-b", "agent-c", "agent-d")

_operation = st.one_of(
    st.tuples(st.just("issue"), st.sampled_from(AGENTS), st.integers(60, 900)),
    st.tuples(st.just("delegate"), st.integers(0, 50), st.sampled_from(AGENTS)),
    st.tuples(st.just("delegate"), st.integers(0, 50), st.sampled_from(AGENTS)),
    st.tuples(st.just("revoke"), st.integers(0, 50)),
    st.tuples(st.just("suspend"), st.sampled_from(AGENTS)),
    st.tuples(st.just("wait"), st.integers(1, 300)),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(operations=st.lists(_operation, min_size=1, max_size=14))
def test_active_in_the_ledger_means_the_token_verifies(
    ledgered: Ledgered, operations: list[tuple[Any, ...]]
) -> None:
    _start_over(ledgered)
    issued = _run(ledgered, operations)
    _assert_agrees(ledgered, issued)


def _start_over(made: Ledgered) -> None:
    """An empty ledger and no revocations, for the next Hypothesis example."""
    with made.database.begin() as connection:
        for table in (issued_tokens, token_revocations, agent_token_revocations):
            connection.execute(sa.delete(table))
    made.revocations.refresh()
    made.clock.now = Clock().now


def _run(made: Ledgered, operations: list[tuple[Any, ...]]) -> list[IssuedToken]:
    issued: list[IssuedToken] = []
    for operation in operations:
        kind = operation[0]
        try:
            if kind == "issue":
                ttl = timedelta(seconds=operation[2])
                issued.append(made.issue(operation[1], task_id=f"t{len(issued)}", ttl=ttl))
            elif kind == "delegate" and issued:
                parent = issued[operation[1] % len(issued)]
                narrower = Capabilities(actions=frozenset({ActionClass.READ}))
                issued.append(made.delegate(parent, operation[2], capabilities=narrower))
            elif kind == "revoke" and issued:
                made.revocations.revoke(issued[operation[1] % len(issued)].claims.jti, "r", "a")
            elif kind == "suspend":
                made.revocations.revoke_all_for_agent(operation[1], "suspended", "admin")
            elif kind == "wait":
                made.clock.advance(timedelta(seconds=operation[1]))
        except (Unauthorized, Forbidden, InvalidInput):
            pass  # refused delegations (revoked, expired, self, cycle): nothing issued
    return issued


def _assert_agrees(made: Ledgered, issued: list[IssuedToken]) -> None:
    active = {token.jti for token in made.ledger.list(limit=10_000)}
    for agent in AGENTS:
        held = made.ledger.for_agent(agent)
        assert {t.jti for t in held.active_tokens} == {
            jti for jti in active if (made.ledger.get(jti) or _never()).agent_id == agent
        }
    for token in issued:
        if token.claims.expires_at == made.clock.now:
            continue  # the one second where exp is not yet past for verification
        try:
            made.service.verify(token.token)
            verifies = True
        except Unauthorized:
            verifies = False
        assert (token.claims.jti in active) == verifies, token.claims


def _never() -> Any:
    raise AssertionError("an active jti the ledger cannot find")
