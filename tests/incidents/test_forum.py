"""The forum incident, replayed: an analysis task may not publish, and a grantee lifted
from an outside contributor's post does not become a permission change."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from proctor.approvals import ApprovalStatus
from proctor.demo import FORUM, Replay, Scenario
from proctor.gateway import Gateway
from proctor.model import Label, Outcome, OutcomeStatus
from tests.incidents.conftest import approvers, audited, policy_ids, replayed

UNTRUSTED_TARGET = "hold-high-risk-target-from-untrusted-content"
WIDENING = "hold-widening-on-confidential-resource"


@pytest.fixture(scope="module")
def forum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Replay, Gateway]]:
    with replayed(FORUM, tmp_path_factory.mktemp("forum")) as played:
        yield played


def test_every_step_decides_as_the_replay_expects(forum: tuple[Replay, Gateway]) -> None:
    replay, _ = forum
    assert replay.surprises == ()


def test_reading_the_thread_is_within_the_analysis_task(forum: tuple[Replay, Gateway]) -> None:
    replay, gateway = forum
    read = replay["read-thread"]
    assert read.decision.outcome is Outcome.ALLOW
    assert policy_ids(read.decision) == {"permit-within-task"}
    [outcome] = audited(gateway, "outcome", read.decision.id)
    assert outcome["status"] == OutcomeStatus.SUCCEEDED.value
    assert outcome["read"] == {"label": Label.INTERNAL.value, "untrusted": True}
    # Advice to people is not an instruction to the agent: only provenance links it.
    assert outcome["screened"]["injection"] is False
    assert outcome["screened"]["values_kept"] > 0


def test_the_confidential_repository_is_beyond_dana(forum: tuple[Replay, Gateway]) -> None:
    decision = forum[0]["read-repository"].decision
    assert decision.outcome is Outcome.DENY
    assert decision.code == "policy_denied"
    assert policy_ids(decision) == {"deny-beyond-requester"}
    assert "dana is cleared for internal data" in decision.explain()


def test_the_public_post_is_held_for_dana_who_denies_it(forum: tuple[Replay, Gateway]) -> None:
    replay, gateway = forum
    post = replay["post-publicly"]
    assert post.decision.outcome is Outcome.REQUIRE_APPROVAL
    assert post.decision.code == "approval_required"
    assert policy_ids(post.decision) == {"hold-ungranted-high-risk"}
    assert approvers(post.decision) == {"requester"}
    assert post.approval is not None
    assert post.approval.approvers == {"requester": "dana"}
    assert post.approval.status is ApprovalStatus.DENIED
    assert post.approval.decided_by == "dana"
    actions = [
        body["action"]
        for body in audited(gateway, "approval", post.decision.id)
        if body["approval_id"] == post.approval.id
    ]
    assert actions == ["approval.created", "approval.denied"]


def test_asking_again_after_the_denial_is_denied(forum: tuple[Replay, Gateway]) -> None:
    replay, _ = forum
    again = replay["post-again"].decision
    assert again.outcome is Outcome.DENY
    assert again.code == "approval_denied"
    assert again.approval_id == replay["post-publicly"].decision.approval_id
    assert again.reasons[0].text.startswith("dana denied this exact call")


def test_the_permission_change_is_refused_and_its_grantee_traced_to_the_forum_post(
    forum: tuple[Replay, Gateway],
) -> None:
    replay, gateway = forum
    change = replay["widen-access"].decision
    assert change.outcome is Outcome.DENY
    assert change.code == "policy_denied"
    assert policy_ids(change) == {
        "deny-beyond-requester",
        WIDENING,
        UNTRUSTED_TARGET,
        "hold-ungranted-high-risk",
    }
    [traced] = [reason for reason in change.reasons if reason.policy_id == UNTRUSTED_TARGET]
    assert (
        "argument `grantee` of repo.set_permissions: the identifier came from untrusted content"
        in traced.text
    )
    assert "came from untrusted content (tool forum.read_thread on forum:thread-4411" in traced.text
    assert replay["read-thread"].decision.id in traced.text
    [widening] = [reason for reason in change.reasons if reason.policy_id == WIDENING]
    assert "all-employees (organization)" in widening.text
    assert "alice-lead" in widening.text
    [entry] = audited(gateway, "decision", change.id)
    assert entry["outcome"] == Outcome.DENY.value
    assert UNTRUSTED_TARGET in {reason["policy_id"] for reason in entry["reasons"]}


def test_the_private_reply_is_the_deliverable_and_is_stamped(
    forum: tuple[Replay, Gateway],
) -> None:
    reply = forum[0]["reply-privately"].decision
    assert reply.outcome is Outcome.ALLOW
    assert policy_ids(reply) == {"permit-deliverable"}
    [stamp] = [o for o in reply.obligations if o.kind == "provenance_stamp"]
    assert stamp.params["on_behalf_of"] == "dana"
    assert stamp.params["reviewed_by"] == []


def test_the_kill_switch_stops_the_very_next_call(forum: tuple[Replay, Gateway]) -> None:
    decision = forum[0]["read-after-kill"].decision
    assert decision.outcome is Outcome.DENY
    assert decision.code == "agent_suspended"


def test_nothing_that_was_not_allowed_ran_and_the_log_verifies(
    forum: tuple[Replay, Gateway],
) -> None:
    replay, gateway = forum
    for played in replay.played:
        [outcome] = audited(gateway, "outcome", played.decision.id)
        ran = played.decision.outcome is Outcome.ALLOW
        assert outcome["status"] == ("succeeded" if ran else "skipped"), played.step.key
        assert outcome["violation"] is False
    assert gateway.runtime.audit.verify().ok


def _variant(
    *, posts: list[dict[str, object]] | None = None, clearance: Label | None = None
) -> Scenario:
    """The forum scenario with the thread's posts, or dana's clearance, changed."""
    thread = FORUM.step("read-thread").result
    assert isinstance(thread, dict)
    steps = tuple(
        replace(step, result={**thread, "posts": posts})
        if step.key == "read-thread" and posts is not None
        else step
        for step in FORUM.steps
    )
    people = tuple(
        replace(person, clearance=clearance)
        if person.id == FORUM.requester and clearance is not None
        else person
        for person in FORUM.people
    )
    return replace(FORUM, steps=steps, people=people)


def test_without_the_outside_post_the_grantee_is_not_traced(tmp_path: Path) -> None:
    """The hold comes from the post: a thread without the advice holds nothing for it."""
    thread = FORUM.step("read-thread").result
    assert isinstance(thread, dict)
    posts = [post for post in thread["posts"] if "all-employees" not in post["body"]]
    with replayed(_variant(posts=posts), tmp_path) as (replay, _):
        change = replay["widen-access"].decision
    assert change.outcome is Outcome.DENY
    assert UNTRUSTED_TARGET not in policy_ids(change)
    assert WIDENING in policy_ids(change)


def test_were_dana_cleared_the_change_would_wait_for_the_owner_and_for_her(
    tmp_path: Path,
) -> None:
    with replayed(_variant(clearance=Label.CONFIDENTIAL), tmp_path) as (replay, gateway):
        change = replay["widen-access"].decision
        assert change.outcome is Outcome.REQUIRE_APPROVAL
        assert policy_ids(change) == {WIDENING, UNTRUSTED_TARGET, "hold-ungranted-high-risk"}
        request = gateway.runtime.approvals.get(change.approval_id or "")
        assert request.approvers == {"requester": "dana", "resource_owner": "alice-lead"}
