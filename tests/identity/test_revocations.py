"""Revocations: seen at once in this process, and by others through the change counter."""

from __future__ import annotations

from datetime import timedelta

import pytest

from proctor.errors import InvalidInput
from proctor.identity import Revocations
from proctor.store import Database
from tests.identity.conftest import Clock


def test_revocation_is_seen_at_once_by_the_revoker(database: Database) -> None:
    revocations = Revocations(database, poll_interval_s=3600)
    assert not revocations.is_revoked("jti-1")
    revocations.revoke("jti-1", "leaked", "alice")
    assert revocations.is_revoked("jti-1")


def test_revocation_survives_a_restart(database: Database) -> None:
    Revocations(database).revoke("jti-1", "leaked", "alice")
    assert Revocations(database).is_revoked("jti-1")


def test_another_instance_sees_the_revocation_on_its_next_check(database: Database) -> None:
    checker = Revocations(database, poll_interval_s=0)
    assert not checker.is_revoked("jti-1")
    Revocations(database).revoke("jti-1", "leaked", "alice")
    assert checker.is_revoked("jti-1")


def test_revoking_twice_is_harmless(database: Database) -> None:
    revocations = Revocations(database)
    revocations.revoke("jti-1", "leaked", "alice")
    revocations.revoke("jti-1", "leaked again", "bob")
    assert revocations.is_revoked("jti-1")


def test_revocation_bumps_the_change_counter(database: Database) -> None:
    before = database.version("revocations")
    Revocations(database).revoke("jti-1", "leaked", "alice")
    assert database.version("revocations") == before + 1


def test_long_expired_revocations_are_not_kept_in_memory(database: Database) -> None:
    clock = Clock()
    Revocations(database, clock=clock).revoke(
        "jti-old", "leaked", "alice", expires_at=clock() - timedelta(hours=1)
    )
    Revocations(database, clock=clock).revoke(
        "jti-live", "leaked", "alice", expires_at=clock() + timedelta(hours=1)
    )
    fresh = Revocations(database, clock=clock)
    assert not fresh.is_revoked("jti-old")
    assert fresh.is_revoked("jti-live")


def test_agent_revocation_covers_tokens_issued_up_to_the_cut_off(database: Database) -> None:
    clock = Clock()
    revocations = Revocations(database, clock=clock)
    cut_off = revocations.revoke_all_for_agent("agent-a", "suspended", "oncall")
    assert revocations.is_agent_revoked("agent-a", cut_off - timedelta(minutes=5))
    assert revocations.is_agent_revoked("agent-a", cut_off)
    assert not revocations.is_agent_revoked("agent-a", cut_off + timedelta(seconds=1))
    assert not revocations.is_agent_revoked("agent-b", cut_off)


def test_a_later_agent_revocation_moves_the_cut_off(database: Database) -> None:
    clock = Clock()
    revocations = Revocations(database, clock=clock)
    revocations.revoke_all_for_agent("agent-a", "suspended", "oncall")
    clock.advance(timedelta(hours=1))
    second = revocations.revoke_all_for_agent("agent-a", "again", "oncall")
    assert revocations.is_agent_revoked("agent-a", second - timedelta(minutes=1))


@pytest.mark.parametrize(
    ("jti", "reason", "actor"),
    [("", "r", "a"), ("j", " ", "a"), ("j", "r", ""), ("x" * 65, "r", "a")],
)
def test_revocation_needs_a_jti_a_reason_and_an_actor(
    database: Database, jti: str, reason: str, actor: str
) -> None:
    with pytest.raises(InvalidInput):
        Revocations(database).revoke(jti, reason, actor)
