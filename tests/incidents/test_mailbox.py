"""The mailbox, replayed: "confirm before acting" is words in a prompt; what holds the
bulk delete is that the task does not grant delete."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from proctor.approvals import ApprovalStatus
from proctor.demo import MAILBOX, Replay
from proctor.gateway import Gateway
from proctor.model import ActionClass, Capabilities, Label, Outcome
from tests.incidents.conftest import approvers, audited, policy_ids, replayed


@pytest.fixture(scope="module")
def mailbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Replay, Gateway]]:
    with replayed(MAILBOX, tmp_path_factory.mktemp("mailbox")) as played:
        yield played


def test_every_step_decides_as_the_replay_expects(mailbox: tuple[Replay, Gateway]) -> None:
    replay, _ = mailbox
    assert replay.surprises == ()


def test_listing_and_labelling_are_what_the_task_grants(mailbox: tuple[Replay, Gateway]) -> None:
    replay, gateway = mailbox
    for key in ("list-inbox", "label-suggestions"):
        decision = replay[key].decision
        assert decision.outcome is Outcome.ALLOW, key
        assert policy_ids(decision) == {"permit-within-task"}, key
    [listed] = audited(gateway, "outcome", replay["list-inbox"].decision.id)
    assert listed["read"] == {"label": Label.CONFIDENTIAL.value, "untrusted": True}
    assert listed["screened"]["injection"] is False


def test_the_bulk_delete_is_held_for_maya_who_denies_it(mailbox: tuple[Replay, Gateway]) -> None:
    replay, gateway = mailbox
    delete = replay["bulk-delete"]
    assert delete.decision.outcome is Outcome.REQUIRE_APPROVAL
    assert policy_ids(delete.decision) == {"hold-ungranted-high-risk"}
    assert approvers(delete.decision) == {"requester"}
    assert "the task granted read, write, not delete" in delete.decision.explain()
    assert delete.approval is not None
    assert delete.approval.approvers == {"requester": "maya"}
    assert delete.approval.status is ApprovalStatus.DENIED
    [outcome] = audited(gateway, "outcome", delete.decision.id)
    assert outcome["status"] == "skipped"


def test_the_same_delete_again_is_denied(mailbox: tuple[Replay, Gateway]) -> None:
    replay, _ = mailbox
    again = replay["bulk-delete-again"].decision
    assert again.outcome is Outcome.DENY
    assert again.code == "approval_denied"
    assert again.approval_id == replay["bulk-delete"].decision.approval_id


def test_a_smaller_batch_is_a_new_call_and_is_held_again(mailbox: tuple[Replay, Gateway]) -> None:
    """The denial is for exactly the call maya saw; a changed call asks her again."""
    replay, gateway = mailbox
    batch = replay["delete-a-batch"].decision
    assert batch.outcome is Outcome.REQUIRE_APPROVAL
    assert batch.approval_id not in (None, replay["bulk-delete"].decision.approval_id)
    request = gateway.runtime.approvals.get(batch.approval_id or "")
    assert request.status is ApprovalStatus.PENDING
    assert request.arguments["limit"] == 500


def test_the_private_suggestions_go_through(mailbox: tuple[Replay, Gateway]) -> None:
    replay, _ = mailbox
    sent = replay["send-suggestions"].decision
    assert sent.outcome is Outcome.ALLOW
    assert policy_ids(sent) == {"permit-deliverable"}
    assert "provenance_stamp" in {obligation.kind for obligation in sent.obligations}


def test_the_log_verifies(mailbox: tuple[Replay, Gateway]) -> None:
    assert mailbox[1].runtime.audit.verify().ok


def test_the_instruction_is_not_the_control_a_task_granting_delete_deletes(
    tmp_path: Path,
) -> None:
    """Proctor does not read "confirm before acting": with delete granted, the same
    words in the instruction stop nothing. The capability is the control."""
    actions = frozenset({ActionClass.READ, ActionClass.WRITE, ActionClass.DELETE})
    careless = replace(MAILBOX, capabilities=Capabilities(actions=actions))
    with replayed(careless, tmp_path) as (replay, _):
        delete = replay["bulk-delete"].decision
    assert delete.outcome is Outcome.ALLOW
    assert policy_ids(delete) == {"permit-within-task"}
