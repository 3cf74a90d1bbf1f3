"""The coding agent during a freeze, replayed: the freeze is a policy, not a sentence
in the prompt; it stops changes to production and nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from proctor.demo import CODE_FREEZE, Replay
from proctor.gateway import Gateway
from proctor.model import Outcome
from tests.incidents.conftest import audited, policy_ids, replayed

FREEZE = "freeze-production-2026-07"


@pytest.fixture(scope="module")
def freeze(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Replay, Gateway]]:
    with replayed(CODE_FREEZE, tmp_path_factory.mktemp("code-freeze")) as played:
        yield played


def test_every_step_decides_as_the_replay_expects(freeze: tuple[Replay, Gateway]) -> None:
    replay, _ = freeze
    assert replay.surprises == ()


def test_the_freeze_policy_is_installed_and_audited(freeze: tuple[Replay, Gateway]) -> None:
    _, gateway = freeze
    installed = [
        entry.body
        for entry in gateway.runtime.audit.iter_entries(kinds={"admin"})
        if entry.body["action"] == "policy.put"
    ]
    assert [(body["target"], body["actor"]) for body in installed] == [("code-freeze", "nadia")]


@pytest.mark.parametrize(
    "key", ["read-code", "test-staging", "write-fix", "read-production", "report"]
)
def test_work_outside_production_and_reading_production_run(
    freeze: tuple[Replay, Gateway], key: str
) -> None:
    decision = freeze[0][key].decision
    assert decision.outcome is Outcome.ALLOW, decision.explain()
    assert FREEZE not in policy_ids(decision)


def test_dropping_a_production_table_is_denied_by_the_freeze(
    freeze: tuple[Replay, Gateway],
) -> None:
    replay, gateway = freeze
    drop = replay["drop-table"].decision
    assert drop.outcome is Outcome.DENY
    assert drop.code == "policy_denied"
    assert policy_ids(drop) == {FREEZE}
    assert drop.explain() == (
        "code freeze on production until 2026-07-21 (CHG-4471): no agent changes db:prod/app"
    )
    [entry] = audited(gateway, "decision", drop.id)
    assert [reason["policy_id"] for reason in entry["reasons"]] == [FREEZE]
    [outcome] = audited(gateway, "outcome", drop.id)
    assert outcome["status"] == "skipped"


def test_deleting_production_rows_is_denied_not_merely_held(
    freeze: tuple[Replay, Gateway],
) -> None:
    """Delete is not granted, which alone would only hold it for leo; the freeze makes
    it a denial nobody can lift."""
    delete = freeze[0]["delete-rows"].decision
    assert delete.outcome is Outcome.DENY
    assert policy_ids(delete) == {FREEZE, "hold-ungranted-high-risk"}
    assert delete.approval_id is None


def test_the_log_verifies(freeze: tuple[Replay, Gateway]) -> None:
    assert freeze[1].runtime.audit.verify().ok


def test_without_the_freeze_policy_the_defaults_let_the_drop_through(tmp_path: Path) -> None:
    """leo may write to production, and the task grants execute: the defaults see
    nothing wrong. Saying "code freeze" in the task is not enough; the policy is."""
    with replayed(replace(CODE_FREEZE, policies=()), tmp_path) as (replay, _):
        drop = replay["drop-table"].decision
        delete = replay["delete-rows"].decision
    assert drop.outcome is Outcome.ALLOW
    assert policy_ids(drop) == {"permit-within-task"}
    assert delete.outcome is Outcome.REQUIRE_APPROVAL
    assert policy_ids(delete) == {"hold-ungranted-high-risk"}
