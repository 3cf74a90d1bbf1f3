"""The decision path end to end on a real store: outcomes, reasons, fail-closed refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from proctor.admin import Admin
from proctor.errors import NotFound
from proctor.gateway import Gateway
from proctor.model import (
    ActionClass,
    Agent,
    AgentStatus,
    Capabilities,
    CheckRequest,
    Outcome,
    OutcomeStatus,
    Task,
)
from proctor.store import utcnow


def test_reading_within_an_analysis_task_is_allowed(gateway: Gateway, incident: Task) -> None:
    decision = gateway.check(
        CheckRequest("forum-bot", incident.id, "forum.read_thread", resource="forum:thread-4411")
    )
    assert decision.outcome is Outcome.ALLOW
    assert decision.audit_seq is not None
    assert decision.id.startswith("dec_")


def test_public_post_on_an_analysis_task_is_held_for_the_requester(
    gateway: Gateway, incident: Task
) -> None:
    decision = gateway.check(CheckRequest("forum-bot", incident.id, "forum.post", {"body": "x"}))
    assert decision.outcome is Outcome.REQUIRE_APPROVAL
    assert decision.code == "approval_required"
    assert any(r.approver == "requester" for r in decision.reasons)
    assert "publish" in decision.explain()


def test_private_reply_is_the_deliverable_and_is_allowed(gateway: Gateway, incident: Task) -> None:
    decision = gateway.check(CheckRequest("forum-bot", incident.id, "forum.reply_private"))
    assert decision.outcome is Outcome.ALLOW


def test_permission_widening_on_confidential_repo_is_not_allowed(
    gateway: Gateway, incident: Task
) -> None:
    decision = gateway.check(
        CheckRequest(
            "forum-bot",
            incident.id,
            "repo.set_permissions",
            {"grantee": "all-employees", "level": "read"},
            resource="repo:acme/payments-core",
        )
    )
    assert decision.outcome is not Outcome.ALLOW
    assert any(r.approver == "resource_owner" for r in decision.reasons)


def test_unknown_tool_is_denied(gateway: Gateway, incident: Task) -> None:
    decision = gateway.check(CheckRequest("forum-bot", incident.id, "shell.exec"))
    assert decision.outcome is Outcome.DENY


def test_ungranted_write_is_denied(gateway: Gateway, incident: Task) -> None:
    decision = gateway.check(CheckRequest("forum-bot", incident.id, "forum.edit"))
    assert decision.outcome is Outcome.DENY
    assert "write" in decision.explain()


def test_restricted_tool_needs_a_grant_by_name(gateway: Gateway, incident: Task) -> None:
    decision = gateway.check(CheckRequest("forum-bot", incident.id, "vault.read_secret"))
    assert decision.outcome is Outcome.DENY


def test_unknown_resource_counts_as_restricted(
    gateway: Gateway, admin: Admin, incident: Task
) -> None:
    decision = gateway.check(
        CheckRequest("forum-bot", incident.id, "repo.set_permissions", resource="repo:unknown/x")
    )
    assert decision.outcome is not Outcome.ALLOW


@pytest.mark.parametrize(
    ("agent_id", "task_id", "code"),
    [
        ("ghost-bot", None, "unknown_agent"),
        ("forum-bot", "task_doesnotexist", "unknown_task"),
    ],
)
def test_unknown_agent_or_task_is_denied_with_an_actionable_reason(
    gateway: Gateway, incident: Task, agent_id: str, task_id: str | None, code: str
) -> None:
    decision = gateway.check(CheckRequest(agent_id, task_id or incident.id, "forum.read_thread"))
    assert decision.outcome is Outcome.DENY
    assert decision.code == code
    assert decision.audit_seq is not None, "refusals are recorded too"


def test_a_task_cannot_be_used_by_another_agent(
    gateway: Gateway, admin: Admin, incident: Task
) -> None:
    admin.put_agent(Agent(id="other-bot", name="Other", owner="x"), actor="t")
    decision = gateway.check(CheckRequest("other-bot", incident.id, "forum.read_thread"))
    assert decision.code == "task_agent_mismatch"


def test_suspended_agent_is_denied_on_the_next_check(
    gateway: Gateway, admin: Admin, incident: Task
) -> None:
    admin.set_agent_status("forum-bot", AgentStatus.SUSPENDED, actor="sec", reason="incident")
    decision = gateway.check(CheckRequest("forum-bot", incident.id, "forum.read_thread"))
    assert decision.code == "agent_suspended"


def test_expired_task_is_denied(gateway: Gateway, admin: Admin, incident: Task) -> None:
    task = admin.create_task(
        agent_id="forum-bot",
        requester="dana",
        purpose="short",
        capabilities=Capabilities(actions=frozenset({ActionClass.READ})),
        ttl=timedelta(microseconds=1),
        actor="dana",
    )
    assert task.expires_at <= utcnow()
    decision = gateway.check(CheckRequest("forum-bot", task.id, "forum.read_thread"))
    assert decision.code == "task_expired"


def test_arguments_that_are_not_json_are_refused_and_recorded(
    gateway: Gateway, incident: Task
) -> None:
    decision = gateway.check(
        CheckRequest("forum-bot", incident.id, "forum.read_thread", {"x": object()})
    )
    assert decision.code == "invalid_input"
    assert gateway.runtime.audit.tail(1)[0].body["arguments"] is None


def test_an_internal_error_denies_with_internal_error(gateway: Gateway, incident: Task) -> None:
    gateway.runtime.policies = None  # type: ignore[assignment]  # break the judge on purpose
    decision = gateway.check(CheckRequest("forum-bot", incident.id, "forum.read_thread"))
    assert decision.outcome is Outcome.DENY
    assert decision.code == "internal_error"
    assert "Traceback" not in decision.explain()


def test_a_broken_audit_log_never_yields_allow(gateway: Gateway, incident: Task) -> None:
    gateway.runtime.audit.close()
    gateway.runtime.database.dispose()
    with gateway.runtime.database.engine.connect() as connection:
        connection.exec_driver_sql("DROP TABLE audit_entries")
        connection.commit()
    decision = gateway.check(CheckRequest("forum-bot", incident.id, "forum.read_thread"))
    assert decision.outcome is Outcome.DENY


def test_decision_and_outcome_are_in_the_chain(gateway: Gateway, incident: Task) -> None:
    decision = gateway.check(CheckRequest("forum-bot", incident.id, "forum.read_thread"))
    receipt = gateway.record_outcome(decision.id, OutcomeStatus.SUCCEEDED, "read 12 replies")
    assert not receipt.violation
    kinds = [entry.kind for entry in gateway.runtime.audit.tail(2)]
    assert kinds == ["decision", "outcome"]
    assert gateway.runtime.audit.verify().ok


def test_running_a_held_call_anyway_is_recorded_as_a_violation(
    gateway: Gateway, incident: Task
) -> None:
    decision = gateway.check(CheckRequest("forum-bot", incident.id, "forum.post"))
    receipt = gateway.record_outcome(decision.id, OutcomeStatus.SUCCEEDED)
    assert receipt.violation


def test_outcome_for_an_unknown_decision_is_refused(gateway: Gateway, incident: Task) -> None:
    with pytest.raises(NotFound) as raised:
        gateway.record_outcome("dec_nope", OutcomeStatus.SUCCEEDED)
    assert raised.value.code == "unknown_decision"


def test_outcome_can_be_recorded_after_a_restart(gateway: Gateway, incident: Task) -> None:
    decision = gateway.check(CheckRequest("forum-bot", incident.id, "forum.read_thread"))
    home = gateway.runtime.home.path
    gateway.close()
    with Gateway.open(home) as reopened:
        receipt = reopened.record_outcome(decision.id, OutcomeStatus.FAILED, "timeout")
        assert receipt.audit_seq > (decision.audit_seq or 0)
        assert reopened.runtime.audit.verify().ok


def test_the_deliverable_is_allowed_for_being_the_deliverable(
    gateway: Gateway, incident: Task
) -> None:
    decision = gateway.check(CheckRequest("forum-bot", incident.id, "forum.reply_private"))
    assert [r.policy_id for r in decision.reasons] == ["permit-deliverable"]
    assert "deliverable" in decision.explain()
