"""The toxic flow, replayed: an injected public issue, a private repository, and a
public pull request that would have carried one into the other."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from proctor.approvals import ApprovalStatus
from proctor.demo import TOXIC_FLOW, Replay
from proctor.gateway import Gateway
from proctor.model import Label, Outcome
from tests.incidents.conftest import approvers, audited, policy_ids, replayed

FLOW_HOLD = "hold-confidential-to-wide-audience"
INJECTION_HOLD = "hold-high-risk-after-injection"


@pytest.fixture(scope="module")
def toxic_flow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Replay, Gateway]]:
    with replayed(TOXIC_FLOW, tmp_path_factory.mktemp("toxic-flow")) as played:
        yield played


def test_every_step_decides_as_the_replay_expects(toxic_flow: tuple[Replay, Gateway]) -> None:
    replay, _ = toxic_flow
    assert replay.surprises == ()


def test_the_issue_is_flagged_as_instructions_aimed_at_the_agent(
    toxic_flow: tuple[Replay, Gateway],
) -> None:
    replay, gateway = toxic_flow
    read = replay["read-issue"]
    assert read.decision.outcome is Outcome.ALLOW
    assert read.receipt.injection.startswith("instructions aimed at the agent")
    [outcome] = audited(gateway, "outcome", read.decision.id)
    assert outcome["screened"]["injection"] is True
    assert outcome["screened"]["rules"]
    assert outcome["read"] == {"label": Label.PUBLIC.value, "untrusted": True}


def test_the_screen_does_not_stop_low_risk_work(toxic_flow: tuple[Replay, Gateway]) -> None:
    decision = toxic_flow[0]["label-issue"].decision
    assert decision.outcome is Outcome.ALLOW
    assert policy_ids(decision) == {"permit-within-task"}


def test_reading_the_private_repository_is_allowed_and_taints_the_task(
    toxic_flow: tuple[Replay, Gateway],
) -> None:
    """The task grants read and priya may read it: the read runs; what it read follows
    the task from then on."""
    replay, gateway = toxic_flow
    read = replay["read-private-repository"].decision
    assert read.outcome is Outcome.ALLOW
    assert policy_ids(read) == {"permit-within-task"}
    [outcome] = audited(gateway, "outcome", read.id)
    assert outcome["read"] == {"label": Label.CONFIDENTIAL.value, "untrusted": False}
    assert outcome["violation"] is False


def test_the_public_pull_request_is_held_for_the_flow_and_the_injection(
    toxic_flow: tuple[Replay, Gateway],
) -> None:
    replay, gateway = toxic_flow
    pull = replay["open-pull-request"]
    assert pull.decision.outcome is Outcome.REQUIRE_APPROVAL
    assert policy_ids(pull.decision) == {FLOW_HOLD, INJECTION_HOLD, "hold-ungranted-high-risk"}
    assert approvers(pull.decision) == {"data_owner", "requester"}
    assert replay["read-issue"].decision.id in pull.decision.explain()
    assert pull.approval is not None
    assert pull.approval.approvers == {"data_owner": "omar", "requester": "priya"}
    assert pull.approval.status is ApprovalStatus.DENIED
    [outcome] = audited(gateway, "outcome", pull.decision.id)
    assert outcome["status"] == "skipped"


def test_after_the_injection_even_the_summary_to_priya_waits_for_her(
    toxic_flow: tuple[Replay, Gateway],
) -> None:
    replay, _ = toxic_flow
    held = replay["report-to-requester"].decision
    assert held.outcome is Outcome.REQUIRE_APPROVAL
    assert policy_ids(held) == {INJECTION_HOLD}
    approved = replay["report-approved"].decision
    assert approved.outcome is Outcome.ALLOW
    assert approved.code == "approved"
    assert approved.id == held.id
    assert approved.reviewed_by == ("priya",)
    [stamp] = [o for o in approved.obligations if o.kind == "provenance_stamp"]
    assert stamp.params["reviewed_by"] == ["priya"]


def test_the_log_verifies(toxic_flow: tuple[Replay, Gateway]) -> None:
    assert toxic_flow[1].runtime.audit.verify().ok


def test_a_task_limited_to_the_public_repository_never_reads_the_private_one(
    tmp_path: Path,
) -> None:
    """Least privilege: with the task's resources named, the private read is denied."""
    limited = replace(
        TOXIC_FLOW,
        capabilities=replace(TOXIC_FLOW.capabilities, resources=("repo:acme/checkout-js",)),
    )
    with replayed(limited, tmp_path) as (replay, _):
        read = replay["read-private-repository"].decision
        pull = replay["open-pull-request"].decision
    assert read.outcome is Outcome.DENY
    assert policy_ids(read) == {"deny-resource-outside-task"}
    # Nothing confidential was read: only the injection and the ungranted publish hold it.
    assert policy_ids(pull) == {INJECTION_HOLD, "hold-ungranted-high-risk"}


def test_without_the_injection_the_flow_rule_still_holds_the_pull_request(
    tmp_path: Path,
) -> None:
    issue = TOXIC_FLOW.step("read-issue").result
    assert isinstance(issue, dict)
    benign = {**issue, "body": "The README example for `createCheckout` is out of date."}
    steps = tuple(
        replace(step, result=benign, injection=False) if step.key == "read-issue" else step
        for step in TOXIC_FLOW.steps
    )
    with replayed(replace(TOXIC_FLOW, steps=steps), tmp_path) as (replay, _):
        assert replay["read-issue"].receipt.injection == ""
        pull = replay["open-pull-request"].decision
    assert pull.outcome is Outcome.REQUIRE_APPROVAL
    assert policy_ids(pull) == {FLOW_HOLD, "hold-ungranted-high-risk"}
