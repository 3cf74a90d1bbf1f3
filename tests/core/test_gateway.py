"""The decision path end to end on a real store: outcomes, reasons, fail-closed refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from proctor.admin import Admin
from proctor.errors import Forbidden, InvalidInput, NotFound
from proctor.gateway import Gateway
from proctor.model import (
    ActionClass,
    Agent,
    AgentStatus,
    Capabilities,
    Outcome,
    OutcomeStatus,
    Task,
    ToolCall,
)
from proctor.store import utcnow
from tests.conftest import task_token


def test_reading_within_an_analysis_task_is_allowed(gateway: Gateway, incident_token: str) -> None:
    decision = gateway.check(
        incident_token, ToolCall("forum.read_thread", resource="forum:thread-4411")
    )
    assert decision.outcome is Outcome.ALLOW
    assert decision.audit_seq is not None
    assert decision.id.startswith("dec_")


def test_public_post_on_an_analysis_task_is_held_for_the_requester(
    gateway: Gateway, incident_token: str
) -> None:
    decision = gateway.check(incident_token, ToolCall("forum.post", {"body": "x"}))
    assert decision.outcome is Outcome.REQUIRE_APPROVAL
    assert decision.code == "approval_required"
    assert any(r.approver == "requester" for r in decision.reasons)
    assert "publish" in decision.explain()


def test_private_reply_is_the_deliverable_and_is_allowed(
    gateway: Gateway, incident_token: str
) -> None:
    decision = gateway.check(incident_token, ToolCall("forum.reply_private"))
    assert decision.outcome is Outcome.ALLOW


def test_permission_widening_on_confidential_repo_is_not_allowed(
    gateway: Gateway, incident_token: str
) -> None:
    decision = gateway.check(
        incident_token,
        ToolCall(
            "repo.set_permissions",
            {"grantee": "all-employees", "level": "read"},
            resource="repo:acme/payments-core",
        ),
    )
    assert decision.outcome is not Outcome.ALLOW
    assert any(r.approver == "resource_owner" for r in decision.reasons)


def test_unknown_tool_is_denied(gateway: Gateway, incident_token: str) -> None:
    decision = gateway.check(incident_token, ToolCall("shell.exec"))
    assert decision.outcome is Outcome.DENY


def test_ungranted_write_is_denied(gateway: Gateway, incident_token: str) -> None:
    decision = gateway.check(incident_token, ToolCall("forum.edit"))
    assert decision.outcome is Outcome.DENY
    assert "write" in decision.explain()


def test_restricted_tool_needs_a_grant_by_name(gateway: Gateway, incident_token: str) -> None:
    decision = gateway.check(incident_token, ToolCall("vault.read_secret"))
    assert decision.outcome is Outcome.DENY


def test_unknown_resource_counts_as_restricted(
    gateway: Gateway, admin: Admin, incident_token: str
) -> None:
    decision = gateway.check(
        incident_token, ToolCall("repo.set_permissions", resource="repo:unknown/x")
    )
    assert decision.outcome is not Outcome.ALLOW


def minted(gateway: Gateway, agent_id: str, task_id: str, requester: str) -> str:
    """A token signed by the gateway's own key, but not through a launcher: it names
    whatever agent, task and requester the test wants."""
    return gateway.runtime.tokens.issue(
        agent_id=agent_id,
        task_id=task_id,
        requester=requester,
        capabilities=Capabilities(actions=frozenset({ActionClass.READ})),
    ).token


def test_a_call_without_a_token_is_denied_and_recorded(gateway: Gateway, incident: Task) -> None:
    decision = gateway.check("", ToolCall("forum.read_thread"))
    assert decision.outcome is Outcome.DENY
    assert decision.code == "missing_token"
    assert decision.audit_seq is not None, "refusals are recorded too"
    assert gateway.runtime.audit.tail(1)[0].body["agent"] is None


def test_an_agent_unknown_to_the_inventory_is_denied(
    gateway: Gateway, admin: Admin, incident: Task
) -> None:
    token = minted(gateway, "ghost-bot", incident.id, "dana")
    decision = gateway.check(token, ToolCall("forum.read_thread"))
    assert decision.code == "unknown_agent"
    assert "register it first" in decision.explain()
    assert [s.agent_id for s in gateway.runtime.shadow_agents.list()] == ["ghost-bot"]


def test_a_token_for_a_task_that_does_not_exist_is_denied(gateway: Gateway, incident: Task) -> None:
    token = minted(gateway, "forum-bot", "task_doesnotexist", "dana")
    decision = gateway.check(token, ToolCall("forum.read_thread"))
    assert decision.code == "unknown_task"


def test_a_token_naming_another_agent_than_the_tasks_is_denied(
    gateway: Gateway, admin: Admin, incident: Task
) -> None:
    """Task A's token cannot be minted for an agent that was never given task A."""
    admin.put_agent(Agent(id="other-bot", name="Other", owner="x"), actor="t")
    token = minted(gateway, "other-bot", incident.id, "dana")
    decision = gateway.check(token, ToolCall("forum.read_thread"))
    assert decision.code == "task_agent_mismatch"


def test_a_token_naming_another_requester_than_the_tasks_is_denied(
    gateway: Gateway, incident: Task
) -> None:
    token = minted(gateway, "forum-bot", incident.id, "mallory")
    decision = gateway.check(token, ToolCall("forum.read_thread"))
    assert decision.code == "token_task_mismatch"


def test_the_token_decides_the_task_not_the_call(
    gateway: Gateway, admin: Admin, incident: Task
) -> None:
    """A token for task B is judged by task B's grants, whatever task A allowed."""
    narrow = admin.create_task(
        agent_id="forum-bot",
        requester="dana",
        purpose="nothing at all",
        capabilities=Capabilities(),
        actor="dana",
    )
    decision = gateway.check(task_token(admin, narrow), ToolCall("forum.read_thread"))
    assert decision.outcome is Outcome.DENY
    assert decision.request is not None
    assert decision.request.task_id == narrow.id


def test_suspended_agent_is_denied_on_the_next_check(
    gateway: Gateway, admin: Admin, incident_token: str
) -> None:
    admin.set_agent_status("forum-bot", AgentStatus.SUSPENDED, actor="sec", reason="incident")
    decision = gateway.check(incident_token, ToolCall("forum.read_thread"))
    assert decision.code == "agent_suspended"


def test_a_revived_agent_needs_a_fresh_token(
    gateway: Gateway, admin: Admin, incident: Task, incident_token: str
) -> None:
    admin.set_agent_status("forum-bot", AgentStatus.SUSPENDED, actor="sec", reason="incident")
    admin.set_agent_status("forum-bot", AgentStatus.ACTIVE, actor="sec", reason="reviewed")
    assert gateway.check(incident_token, ToolCall("forum.read_thread")).code == "token_revoked"
    fresh = task_token(admin, incident)
    assert gateway.check(fresh, ToolCall("forum.read_thread")).outcome is Outcome.ALLOW


def test_a_revoked_token_is_denied_on_the_next_check(gateway: Gateway, incident_token: str) -> None:
    tokens = gateway.runtime.tokens
    tokens.revoke(tokens.verify(incident_token), "leaked in a log", "sec")
    decision = gateway.check(incident_token, ToolCall("forum.read_thread"))
    assert decision.code == "token_revoked"


def test_decisions_record_who_acted_for_whom(gateway: Gateway, incident_token: str) -> None:
    decision = gateway.check(incident_token, ToolCall("forum.read_thread"))
    assert decision.chain == ("dana", "forum-bot")
    body = gateway.runtime.audit.tail(1)[0].body
    assert body["chain"] == ["dana", "forum-bot"]
    assert body["requester"] == "dana"
    assert body["token"] == gateway.runtime.tokens.verify(incident_token).jti


def test_expired_task_is_denied(gateway: Gateway, admin: Admin, incident: Task) -> None:
    """A token outliving its task (signed before the clamp existed, say) is still refused."""
    task = admin.create_task(
        agent_id="forum-bot",
        requester="dana",
        purpose="short",
        capabilities=Capabilities(actions=frozenset({ActionClass.READ})),
        ttl=timedelta(microseconds=1),
        actor="dana",
    )
    assert task.expires_at <= utcnow()
    token = minted(gateway, "forum-bot", task.id, "dana")
    decision = gateway.check(token, ToolCall("forum.read_thread"))
    assert decision.code == "task_expired"


def test_no_token_is_issued_for_an_expired_task(admin: Admin, incident: Task) -> None:
    task = admin.create_task(
        agent_id="forum-bot",
        requester="dana",
        purpose="short",
        capabilities=Capabilities(actions=frozenset({ActionClass.READ})),
        ttl=timedelta(microseconds=1),
        actor="dana",
    )
    with pytest.raises(InvalidInput) as raised:
        admin.issue_task_token(task.id, actor="dana")
    assert raised.value.code == "task_expired"


def test_arguments_that_are_not_json_are_refused_and_recorded(
    gateway: Gateway, incident_token: str
) -> None:
    decision = gateway.check(incident_token, ToolCall("forum.read_thread", {"x": object()}))
    assert decision.code == "invalid_input"
    assert gateway.runtime.audit.tail(1)[0].body["arguments"] is None


def test_an_internal_error_denies_with_internal_error(
    gateway: Gateway, incident_token: str
) -> None:
    gateway.runtime.policies = None  # type: ignore[assignment]  # break the judge on purpose
    decision = gateway.check(incident_token, ToolCall("forum.read_thread"))
    assert decision.outcome is Outcome.DENY
    assert decision.code == "internal_error"
    assert "Traceback" not in decision.explain()


def test_a_broken_audit_log_never_yields_allow(gateway: Gateway, incident_token: str) -> None:
    gateway.runtime.audit.close()
    gateway.runtime.database.dispose()
    with gateway.runtime.database.engine.connect() as connection:
        connection.exec_driver_sql("DROP TABLE audit_entries")
        connection.commit()
    decision = gateway.check(incident_token, ToolCall("forum.read_thread"))
    assert decision.outcome is Outcome.DENY


def test_decision_and_outcome_are_in_the_chain(gateway: Gateway, incident_token: str) -> None:
    decision = gateway.check(incident_token, ToolCall("forum.read_thread"))
    receipt = gateway.record_outcome(
        incident_token, decision.id, OutcomeStatus.SUCCEEDED, "read 12 replies"
    )
    assert not receipt.violation
    kinds = [entry.kind for entry in gateway.runtime.audit.tail(2)]
    assert kinds == ["decision", "outcome"]
    assert gateway.runtime.audit.verify().ok


def test_running_a_held_call_anyway_is_recorded_as_a_violation(
    gateway: Gateway, incident_token: str
) -> None:
    decision = gateway.check(incident_token, ToolCall("forum.post"))
    receipt = gateway.record_outcome(incident_token, decision.id, OutcomeStatus.SUCCEEDED)
    assert receipt.violation


def test_outcome_for_an_unknown_decision_is_refused(gateway: Gateway, incident_token: str) -> None:
    with pytest.raises(NotFound) as raised:
        gateway.record_outcome(incident_token, "dec_nope", OutcomeStatus.SUCCEEDED)
    assert raised.value.code == "unknown_decision"


def test_outcome_can_be_recorded_after_a_restart(gateway: Gateway, incident_token: str) -> None:
    decision = gateway.check(incident_token, ToolCall("forum.read_thread"))
    home = gateway.runtime.home.path
    gateway.close()
    with Gateway.open(home) as reopened:
        receipt = reopened.record_outcome(
            incident_token, decision.id, OutcomeStatus.FAILED, "timeout"
        )
        assert receipt.audit_seq > (decision.audit_seq or 0)
        assert reopened.runtime.audit.verify().ok


def test_the_deliverable_is_allowed_for_being_the_deliverable(
    gateway: Gateway, incident_token: str
) -> None:
    decision = gateway.check(incident_token, ToolCall("forum.reply_private"))
    assert [r.policy_id for r in decision.reasons] == ["permit-deliverable"]
    assert "deliverable" in decision.explain()


def test_an_agent_cannot_report_outcomes_of_another_agents_decisions(
    gateway: Gateway, admin: Admin, incident: Task, incident_token: str
) -> None:
    admin.put_agent(Agent(id="other-bot", name="Other", owner="x"), actor="t")
    other_task = admin.create_task(
        agent_id="other-bot",
        requester="dana",
        purpose="x",
        capabilities=Capabilities(actions=frozenset({ActionClass.READ})),
        actor="dana",
    )
    decision = gateway.check(incident_token, ToolCall("forum.read_thread"))
    with pytest.raises(Forbidden) as raised:
        gateway.record_outcome(task_token(admin, other_task), decision.id, OutcomeStatus.SUCCEEDED)
    assert raised.value.code == "decision_not_yours"
