"""Explanations show every candidate, every match and the judgment, in plain words."""

from __future__ import annotations

from proctor.model import Outcome
from proctor.policy import Explanation
from tests.policy.policy_support import call, engine, task


def _explain_publish() -> Explanation:
    return engine().explain(call("forum.post", task("read")))


def test_an_explanation_lists_candidates_and_matches() -> None:
    explanation = _explain_publish()
    assert explanation.judgment.outcome is Outcome.REQUIRE_APPROVAL
    assert "hold-ungranted-high-risk" in explanation.candidates
    assert "hold-widening-on-confidential-resource" not in explanation.candidates
    assert explanation.total == len(engine().policies())
    assert [m.policy.id for m in explanation.matched] == ["hold-ungranted-high-risk"]
    assert [m.policy.id for m in explanation.matched_once_approved] == [
        "permit-high-risk-once-approved"
    ]
    assert explanation.matched[0].reason == (
        "the task granted read, not publish: the requester must approve"
    )


def test_an_explanation_shows_permits_even_when_a_forbid_decides() -> None:
    explanation = engine().explain(call("vault.read_secret", task(action=True)))
    assert explanation.judgment.outcome is Outcome.DENY
    effects = {m.policy.id: m.policy.effect for m in explanation.matched}
    assert effects == {
        "deny-restricted-tool-unless-named": "forbid",
        "permit-within-task": "permit",
    }
    assert explanation.matched_once_approved == ()


def test_an_explanation_renders_in_plain_words() -> None:
    explanation = _explain_publish()
    text = explanation.render()
    considered, total = len(explanation.candidates), explanation.total
    assert considered < total, "slicing left some policies out"
    assert text.splitlines()[:3] == [
        "Agent forum-bot calls forum.post (publish) for task task-1, requested by bob, "
        "which grants read.",
        "Outcome: require_approval (approval_required).",
        f"Considered {considered} of {total} policies whose scope could match.",
    ]
    assert (
        "  - forbid (approval hold, approver requester) hold-ungranted-high-risk "
        "(defaults/task.cedar:23): the task granted read, not publish: the requester must approve"
    ) in text
    assert "Matched once a human approves:" in text
    assert "Considered but not matched: " in text


def test_an_explanation_reports_evaluation_errors() -> None:
    ghost = '@id("ghost") forbid (principal, action, resource) when { Agent::"g".name == "" };'
    explanation = engine(ghost).explain(call("forum.edit", task(action=True)))
    assert explanation.judgment.code == "policy_error"
    assert explanation.errors == ('ghost: entity `Agent::"g"` does not exist',)
    assert 'Errors:\n  - ghost: entity `Agent::"g"` does not exist' in explanation.render()
