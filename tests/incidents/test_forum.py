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
from proctor.monitor import AlertKind, Severity
from tests.incidents.conftest import approvers, audited, policy_ids, replayed

UNTRUSTED_TARGET = "hold-high-risk-target-from-untrusted-content"
WIDENING = "hold-widening-on-confidential-resource"
#: The breaker rule the demo's settings tighten (the default is 8 changes a minute).
BURST = "action_burst(3 modify_permissions within 1m)"
SPREE_TRIPPED = ("spree-ci-pipelines", "spree-after-trip", "read-while-tripped")


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


def test_the_spree_starts_on_a_repository_the_outside_post_named(
    forum: tuple[Replay, Gateway],
) -> None:
    played = forum[0]["spree-ledger-schemas"]
    assert played.decision.outcome is Outcome.DENY
    assert played.decision.code == "policy_denied"
    assert {"deny-beyond-requester", WIDENING, UNTRUSTED_TARGET} <= policy_ids(played.decision)
    # Two permission changes within the minute: the breaker is still closed.
    assert played.alerts == ()


def test_the_third_permission_change_in_a_minute_trips_the_breaker_and_alerts_the_owner(
    forum: tuple[Replay, Gateway],
) -> None:
    replay, gateway = forum
    tripping = replay["spree-ci-pipelines"]
    # The call itself was decided before the trip: held by the policies, for dana.
    assert tripping.decision.outcome is Outcome.REQUIRE_APPROVAL
    assert tripping.decision.code == "approval_required"
    assert policy_ids(tripping.decision) == {"hold-ungranted-high-risk", UNTRUSTED_TARGET}
    assert approvers(tripping.decision) == {"requester"}
    [alert] = tripping.alerts
    assert alert.agent == "forum-bot"
    assert alert.kind is AlertKind.BREAKER
    assert alert.severity is Severity.HIGH
    assert alert.summary == (
        f"forum-bot: breaker tripped by {BURST}; its calls are held for approval"
    )
    assert alert.evidence["owner"] == "platform-team"
    assert alert.evidence["rule"] == BURST
    # The three calls that crossed the threshold: the incident's own change, then the spree.
    calls = alert.evidence["calls"]
    assert [call["tool"] for call in calls] == ["repo.set_permissions"] * 3
    assert [call["outcome"] for call in calls] == ["deny", "deny", "require_approval"]
    [state] = gateway.runtime.monitor.breakers.tripped()
    assert (state.agent, state.rule) == ("forum-bot", BURST)


def test_the_trip_and_the_alert_are_stored_and_audited(forum: tuple[Replay, Gateway]) -> None:
    replay, gateway = forum
    [alert] = replay["spree-ci-pipelines"].alerts
    assert [a.id for a in gateway.runtime.monitor.alerts.list(agent="forum-bot")] == [alert.id]
    audit = gateway.runtime.audit
    [trip] = [entry.body for entry in audit.iter_entries(kinds={"breaker"})]
    assert (trip["event"], trip["agent"], trip["rule"]) == ("trip", "forum-bot", BURST)
    [audited_alert] = [entry.body for entry in audit.iter_entries(kinds={"alert"})]
    assert audited_alert["id"] == alert.id
    assert audited_alert["kind"] == "breaker"
    assert audited_alert["evidence"]["owner"] == "platform-team"


def test_while_the_breaker_is_open_every_call_waits_for_the_agents_owner(
    forum: tuple[Replay, Gateway],
) -> None:
    replay, gateway = forum
    for key in ("spree-after-trip", "read-while-tripped"):
        played = replay[key]
        decision = played.decision
        assert decision.outcome is Outcome.REQUIRE_APPROVAL, key
        assert decision.code == "breaker_open", key
        breaker = decision.reasons[0]
        assert breaker.policy_id == "breaker"
        assert breaker.approver == "agent_owner"
        assert f"forum-bot's circuit breaker is open (tripped by {BURST})" in breaker.text
        request = gateway.runtime.approvals.get(decision.approval_id or "")
        assert request.approvers["agent_owner"] == "platform-team"
        [entry] = audited(gateway, "decision", decision.id)
        assert entry["code"] == "breaker_open"
        # One trip, one alert: calls held by the open breaker raise no more.
        assert played.alerts == (), key
    # The policies' holds stay: the owner's approval alone would not let the change run.
    change = replay["spree-after-trip"].decision
    assert approvers(change) == {"agent_owner", "requester"}
    # A read the task allows waits too: the breaker stops the agent, not one tool.
    read = replay["read-while-tripped"].decision
    assert policy_ids(read) == {"breaker"}
    assert gateway.runtime.approvals.get(read.approval_id or "").approvers == {
        "agent_owner": "platform-team"
    }


def test_the_kill_switch_stops_the_very_next_call(forum: tuple[Replay, Gateway]) -> None:
    decision = forum[0]["read-after-kill"].decision
    assert decision.outcome is Outcome.DENY
    # The person's stop outranks the open breaker's hold.
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


def test_under_the_default_breaker_rules_this_spree_is_not_stopped(tmp_path: Path) -> None:
    """The default permission burst is 8 changes a minute: without the demo's settings
    nothing trips, and the replay says which steps expected otherwise."""
    with replayed(FORUM, tmp_path, demo_settings=False) as (replay, gateway):
        assert gateway.runtime.monitor.alerts.list() == []
        assert gateway.runtime.monitor.breakers.tripped() == []
    surprised = {surprise.split(" ", 1)[0] for surprise in replay.surprises}
    assert surprised == set(SPREE_TRIPPED)
    assert replay["spree-after-trip"].decision.code == "approval_required"
    assert replay["read-while-tripped"].decision.outcome is Outcome.ALLOW


def test_an_alert_the_step_does_not_expect_is_a_surprise(tmp_path: Path) -> None:
    steps = tuple(
        replace(step, alerts=()) if step.key == "spree-ci-pipelines" else step
        for step in FORUM.steps
    )
    with replayed(replace(FORUM, steps=steps), tmp_path) as (replay, _):
        pass
    assert replay.surprises == (
        "spree-ci-pipelines (repo.set_permissions): raised an alert the step does not "
        f"expect: forum-bot: breaker tripped by {BURST}; its calls are held for approval",
    )
