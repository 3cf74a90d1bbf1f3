"""The default policy set, rule by rule, as a specification."""

from __future__ import annotations

from dataclasses import replace

import pytest

from proctor.model import Outcome
from proctor.policy import CallFacts, PolicyEngine, ResourceFacts, TaskFacts
from tests.policy.policy_support import call, engine, task


@pytest.fixture(scope="module")
def defaults() -> PolicyEngine:
    return engine()


def test_a_call_within_the_task_is_allowed(defaults: PolicyEngine) -> None:
    judgment = defaults.evaluate(call("forum.read_thread", task(action=True)))
    assert judgment.outcome is Outcome.ALLOW
    assert judgment.code == "allowed"
    assert judgment.policy_ids == ("permit-within-task",)
    assert judgment.reasons[0].text == "the task grants read via forum.read_thread"


@pytest.mark.parametrize(
    "facts",
    [task("forum.*", tool=True), task("forum.read_thread", by_name=True)],
    ids=["pattern", "name"],
)
def test_a_tool_the_task_names_is_allowed(defaults: PolicyEngine, facts: TaskFacts) -> None:
    assert defaults.evaluate(call("forum.read_thread", facts)).outcome is Outcome.ALLOW


def test_the_tasks_deliverable_is_allowed(defaults: PolicyEngine) -> None:
    judgment = defaults.evaluate(call("forum.post", task("read", delivers=True)))
    assert judgment.outcome is Outcome.ALLOW


def test_an_analysis_task_publishing_needs_the_requesters_approval(defaults: PolicyEngine) -> None:
    judgment = defaults.evaluate(call("forum.post", task("read")))
    assert judgment.outcome is Outcome.REQUIRE_APPROVAL
    assert judgment.code == "approval_required"
    (reason,) = judgment.reasons
    assert reason.policy_id == "hold-ungranted-high-risk"
    assert reason.approver == "requester"
    assert reason.effect is Outcome.REQUIRE_APPROVAL
    assert reason.text == "the task granted read, not publish: the requester must approve"


def test_once_approved_the_high_risk_call_is_allowed(defaults: PolicyEngine) -> None:
    judgment = defaults.evaluate(call("forum.post", task("read"), approved=True))
    assert judgment.outcome is Outcome.ALLOW
    assert judgment.policy_ids == ("permit-high-risk-once-approved",)


def test_an_ungranted_read_is_denied(defaults: PolicyEngine) -> None:
    judgment = defaults.evaluate(call("forum.read_thread", task("write")))
    assert judgment.outcome is Outcome.DENY
    assert judgment.code == "policy_denied"
    assert judgment.policy_ids == ("deny-ungranted",)
    assert judgment.reasons[0].text == "the task does not grant read (it grants write)"


def test_an_ungranted_write_is_denied_not_held(defaults: PolicyEngine) -> None:
    assert defaults.evaluate(call("forum.edit", task("read"))).outcome is Outcome.DENY


WIDENS = CallFacts(widens_access=True, why="it opens repo:payroll to all-employees")


def test_widening_access_to_a_confidential_resource_needs_its_owner(
    defaults: PolicyEngine,
) -> None:
    """Even a task that grants modify_permissions cannot widen who sees sensitive data."""
    resource = ResourceFacts(id="repo:payroll", known=True, label="confidential", owner="carol")
    facts = call("repo.set_permissions", task("modify_permissions", action=True), resource=resource)
    judgment = defaults.evaluate(replace(facts, call=WIDENS))
    assert judgment.outcome is Outcome.REQUIRE_APPROVAL
    (reason,) = judgment.reasons
    assert reason.policy_id == "hold-widening-on-confidential-resource"
    assert reason.approver == "resource_owner"
    assert reason.text == (
        "it opens repo:payroll to all-employees; widening access to confidential resource "
        "repo:payroll needs its owner carol to approve"
    )
    narrowing = defaults.evaluate(replace(facts, call=CallFacts(widens_access=False)))
    assert narrowing.outcome is Outcome.ALLOW, "narrowing is not held"


def test_widening_access_to_a_restricted_resource_is_denied(defaults: PolicyEngine) -> None:
    resource = ResourceFacts(id="repo:keys", known=True, label="restricted", owner="carol")
    facts = call("repo.set_permissions", task("modify_permissions", action=True), resource=resource)
    judgment = defaults.evaluate(replace(facts, call=WIDENS))
    assert judgment.outcome is Outcome.DENY
    assert "deny-widening-on-restricted-resource" in judgment.policy_ids


def test_permission_change_on_an_internal_resource_follows_the_task(
    defaults: PolicyEngine,
) -> None:
    resource = ResourceFacts(id="repo:wiki", known=True, label="internal", owner="carol")
    facts = call("repo.set_permissions", task("modify_permissions", action=True), resource=resource)
    assert defaults.evaluate(facts).outcome is Outcome.ALLOW


def test_a_restricted_tool_granted_only_by_action_class_is_denied(defaults: PolicyEngine) -> None:
    judgment = defaults.evaluate(call("vault.read_secret", task("read", action=True)))
    assert judgment.outcome is Outcome.DENY
    assert judgment.policy_ids == ("deny-restricted-tool-unless-named",)
    assert "must grant it by name" in judgment.reasons[0].text


def test_a_restricted_tool_granted_by_pattern_is_denied(defaults: PolicyEngine) -> None:
    judgment = defaults.evaluate(call("vault.read_secret", task("vault.*", tool=True)))
    assert judgment.outcome is Outcome.DENY


def test_a_restricted_tool_granted_by_name_is_allowed(defaults: PolicyEngine) -> None:
    judgment = defaults.evaluate(call("vault.read_secret", task("vault.read_secret", by_name=True)))
    assert judgment.outcome is Outcome.ALLOW


def test_an_unknown_tool_is_denied(defaults: PolicyEngine) -> None:
    judgment = defaults.evaluate(call("shell.run", task("shell.run", by_name=True)))
    assert judgment.outcome is Outcome.DENY
    assert judgment.policy_ids == ("deny-unknown-tool",)
    assert judgment.reasons[0].text == "tool shell.run is not in the inventory"


def test_the_defaults_are_listed_with_their_sources(defaults: PolicyEngine) -> None:
    infos = {info.id: info for info in defaults.policies()}
    assert set(infos) == {
        "deny-unknown-tool",
        "hold-tool-under-review",
        "deny-beyond-requester",
        "hold-sink-after-over-clearance",
        "deny-resource-outside-task",
        "permit-within-task",
        "permit-deliverable",
        "permit-high-risk-once-approved",
        "hold-ungranted-high-risk",
        "deny-ungranted",
        "hold-widening-on-confidential-resource",
        "deny-widening-on-restricted-resource",
        "hold-confidential-to-wide-audience",
        "hold-internal-to-public",
        "deny-restricted-beyond-requester",
        "hold-send-outside-organization",
        "hold-high-risk-after-injection",
        "hold-high-risk-target-from-untrusted-content",
        "deny-restricted-tool-unless-named",
    }
    hold = infos["hold-ungranted-high-risk"]
    assert hold.is_hold
    assert hold.approver == "requester"
    assert hold.source == "defaults/task.cedar"
    assert hold.text.startswith('@id("hold-ungranted-high-risk")')
    assert all("reason" in info.annotations for info in infos.values())


def test_a_tool_under_review_is_held_for_an_admin_whatever_the_task_grants() -> None:
    from dataclasses import replace

    from proctor.policy import PolicyEngine as Engine
    from tests.policy.policy_support import BOT, INTERN, TOOLS

    reviewed = replace(TOOLS["forum.read_thread"], review="its description changed")
    loaded = Engine()
    loaded.set_inventory([BOT, INTERN], [*TOOLS.values(), reviewed])
    facts = replace(call("forum.read_thread", task(action=True)), tool=reviewed)
    judgment = loaded.evaluate(facts)
    assert judgment.outcome is Outcome.REQUIRE_APPROVAL
    (reason,) = judgment.reasons
    assert (reason.policy_id, reason.approver) == ("hold-tool-under-review", "role:admin")
    assert reason.text == (
        "tool forum.read_thread is held for an admin's review: its description changed"
    )
    approved = loaded.evaluate(replace(facts, approved=True))
    assert approved.outcome is Outcome.ALLOW
