"""Three outcomes from Cedar's two: deny wins, holds are lifted only into an allow."""

from __future__ import annotations

from dataclasses import replace

from proctor.model import Obligation, Outcome
from proctor.policy import CallFacts, Judgment, ResourceFacts
from tests.policy.policy_support import call, engine, task

NO_FORUM_POSTS = """
@id("no-forum-posts")
@reason("{agent} may not post on the forum")
forbid (principal == Agent::"forum-bot", action, resource == Tool::"forum.post");
"""

HOLD_EVERYTHING = """
@id("hold-everything")
@outcome("approval")
@approver("role:security")
@reason("security must approve {tool}")
forbid (principal, action, resource) unless { context.approved };
"""


def test_deny_wins_over_approval() -> None:
    judgment = engine(NO_FORUM_POSTS).evaluate(call("forum.post", task("read")))
    assert judgment.outcome is Outcome.DENY
    assert judgment.code == "policy_denied"
    assert [r.policy_id for r in judgment.reasons] == ["no-forum-posts", "hold-ungranted-high-risk"]
    assert judgment.reasons[0].effect is Outcome.DENY
    assert judgment.reasons[0].text == "forum-bot may not post on the forum"
    assert judgment.reasons[1].effect is Outcome.REQUIRE_APPROVAL


def test_a_hold_with_nothing_to_permit_the_approved_call_denies() -> None:
    """Approval lifts a forbid; it never grants: with no permit, the call is denied."""
    judgment = engine(HOLD_EVERYTHING, include_defaults=False).evaluate(call("forum.read_thread"))
    assert judgment.outcome is Outcome.DENY
    assert judgment.code == "policy_denied"
    (reason,) = judgment.reasons
    assert reason.policy_id == "default-deny"
    assert reason.text == "no policy permits read on forum.read_thread"


def test_a_hold_that_approval_does_not_lift_denies() -> None:
    stuck = """
    @id("stuck") @outcome("approval") @reason("stuck on {tool}")
    forbid (principal, action, resource);
    permit (principal, action, resource);
    """
    judgment = engine(stuck, include_defaults=False).evaluate(call("forum.read_thread"))
    assert judgment.outcome is Outcome.DENY
    assert judgment.policy_ids == ("stuck",)
    assert judgment.reasons[0].text == "stuck on forum.read_thread"


def test_several_holds_are_all_reported_with_their_approvers() -> None:
    resource = ResourceFacts(id="repo:payroll", known=True, label="confidential", owner="carol")
    facts = call("repo.set_permissions", task("read"), resource=resource)
    widening = replace(facts, call=CallFacts(widens_access=True))
    judgment = engine(HOLD_EVERYTHING).evaluate(widening)
    assert judgment.outcome is Outcome.REQUIRE_APPROVAL
    approvers = {reason.policy_id: reason.approver for reason in judgment.reasons}
    assert approvers == {
        "hold-everything": "role:security",
        "hold-widening-on-confidential-resource": "resource_owner",
        "hold-ungranted-high-risk": "requester",
    }


def test_nothing_permits_means_default_deny() -> None:
    judgment = engine(include_defaults=False).evaluate(call("forum.read_thread"))
    assert judgment.outcome is Outcome.DENY
    assert judgment.reasons[0].policy_id == "default-deny"
    assert judgment.candidates == 0


def test_satisfied_permits_carry_their_obligations() -> None:
    redact = """
    @id("redact-forum-reads") @obligation("redact_pii, log_arguments")
    permit (principal, action == Action::"read", resource in ToolPattern::"forum.*");
    """
    judgment = engine(redact).evaluate(call("forum.read_thread", task(action=True)))
    assert judgment.outcome is Outcome.ALLOW
    assert judgment.obligations == (Obligation("redact_pii"), Obligation("log_arguments"))
    assert judgment.policy_ids == ("permit-within-task", "redact-forum-reads")


def test_an_evaluation_error_denies_even_when_a_permit_holds() -> None:
    """Cedar skips an erroring forbid; Proctor must not fail open on it."""
    ghost = """
    @id("ghost-owner")
    forbid (principal, action, resource) when { Agent::"ghost".owner == "mallory" };
    """
    judgment = engine(ghost).evaluate(call("forum.read_thread", task(action=True)))
    assert judgment.outcome is Outcome.DENY
    assert judgment.code == "policy_error"
    (reason,) = judgment.reasons
    assert reason.policy_id == "ghost-owner"
    assert reason.text.startswith("policy ghost-owner could not be evaluated: ")
    assert "ghost" in reason.text


def test_an_evaluation_error_on_the_approved_pass_denies() -> None:
    approved_only = """
    @id("approved-ghost")
    permit (principal, action, resource)
    when { context.approved && Agent::"ghost".owner == "bob" };
    """
    judgment = engine(approved_only).evaluate(call("forum.post", task("read")))
    assert judgment.code == "policy_error"
    assert judgment.reasons[0].policy_id == "approved-ghost"


def test_reason_templates_fill_known_placeholders_and_keep_unknown_ones() -> None:
    chatty = """
    @id("chatty")
    @reason("{agent} for {requester} ({task.purpose}): {action} {tool} [{tool.label}/{tool.audience}] on {resource} ({resource.label}, {resource.owner}) {nonsense}")
    permit (principal, action, resource == Tool::"forum.post");
    """  # noqa: E501
    facts = call("forum.post", task("publish", action=True, purpose="announce"))
    reasons = {r.policy_id: r.text for r in engine(chatty).evaluate(facts).reasons}
    assert reasons["chatty"] == (
        "forum-bot for bob (announce): publish forum.post [internal/organization] "
        "on forum.post (internal, (none)) {nonsense}"
    )


def test_a_policy_without_a_reason_gets_a_plain_one() -> None:
    quiet = 'permit (principal, action, resource == Tool::"forum.edit");'
    judgment = engine(quiet, include_defaults=False).evaluate(call("forum.edit"))
    assert judgment.reasons[0].text == "policy extra-0.cedar#1 permits write on forum.edit"


def test_judgments_compare_without_their_candidate_count() -> None:
    reasons = engine().evaluate(call("forum.edit")).reasons
    first = Judgment(Outcome.DENY, "policy_denied", reasons, candidates=3)
    assert first == Judgment(Outcome.DENY, "policy_denied", reasons, candidates=7)
