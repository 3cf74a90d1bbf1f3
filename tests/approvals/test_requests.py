"""Approval requests: durable, answered by the right people, bound to the exact call."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from proctor.admin import Admin
from proctor.approvals import Approvals, ApprovalScope, ApprovalStatus, call_hash
from proctor.errors import Conflict, Forbidden, InvalidInput, PolicyError
from proctor.gateway import Gateway
from proctor.model import ActionClass, Outcome, OutcomeStatus, Task, Tool, ToolCall
from proctor.people import Person
from tests.approvals.conftest import POST, WIDEN, Clock, HoldCall, Someone
from tests.conftest import task_token

SECURITY_HOLD = """
@id("hold-post-for-security")
@outcome("approval")
@approver("role:security")
@approval_ttl_s("120")
@reason("posts need security on-call")
forbid (principal, action == Action::"publish", resource)
unless { context.approved };
"""


def approval_entries(gateway: Gateway) -> list[dict[str, object]]:
    entries = gateway.runtime.audit.iter_entries(after_seq=0, kinds={"approval"})
    return [entry.body for entry in entries]


def test_a_held_call_opens_a_request_holding_the_whole_context(
    gateway: Gateway, task: Task, hold: HoldCall
) -> None:
    decision, request = hold()
    assert request.status is ApprovalStatus.PENDING
    assert request.decision_id == decision.id
    assert (request.agent_id, request.task_id, request.requester) == ("forum-bot", task.id, "dana")
    assert request.purpose == task.purpose
    assert request.chain == ("dana", "forum-bot")
    assert (request.tool, dict(request.arguments), request.resource) == (
        POST.tool,
        dict(POST.arguments),
        None,
    )
    assert [r["policy_id"] for r in request.reasons] == ["hold-ungranted-high-risk"]
    assert request.risk == decision.risk > 0
    assert request.approvers == {"requester": "dana"}
    assert request.expires_at - request.created_at == timedelta(minutes=15)
    assert request.call_hash == call_hash("forum-bot", task.id, POST.tool, POST.arguments, None)


def test_requests_survive_a_restart(
    tmp_path: Path, clock: Clock, admin: Admin, hold: HoldCall
) -> None:
    _, request = hold()
    admin.gateway.close()
    with Gateway.open(tmp_path / "home", clock=clock) as reopened:
        assert reopened.runtime.approvals.get(request.id) == request


def test_asking_again_points_to_the_same_pending_request(hold: HoldCall) -> None:
    first_decision, first = hold()
    second_decision, second = hold()
    assert second.id == first.id
    assert second_decision.id != first_decision.id


def test_another_argument_is_another_request(hold: HoldCall) -> None:
    _, first = hold()
    other = ToolCall(POST.tool, {**POST.arguments, "body": "something else"})
    _, second = hold(other)
    assert second.id != first.id
    assert second.call_hash != first.call_hash


def test_an_approval_lets_exactly_that_call_through_under_the_held_decision(
    gateway: Gateway, token: str, people: dict[str, Someone], hold: HoldCall
) -> None:
    held, request = hold()
    approved = gateway.runtime.approvals.approve(request.id, people["dana"].person, "fine")
    assert approved.status is ApprovalStatus.APPROVED
    decision = gateway.check(token, POST)
    assert decision.outcome is Outcome.ALLOW
    assert decision.code == "approved"
    assert decision.id == held.id, "the call runs under the decision people approved"
    assert decision.approval_id == request.id
    assert "approved by dana (this call): fine" in decision.explain()
    assert gateway.runtime.approvals.get(request.id).status is ApprovalStatus.USED


def test_a_single_use_approval_is_spent_by_one_call(
    gateway: Gateway, token: str, people: dict[str, Someone], hold: HoldCall
) -> None:
    _, request = hold()
    gateway.runtime.approvals.approve(request.id, people["dana"].person, "once")
    assert gateway.check(token, POST).outcome is Outcome.ALLOW
    again = gateway.check(token, POST)
    assert again.outcome is Outcome.REQUIRE_APPROVAL
    assert again.approval_id != request.id


def test_a_changed_argument_after_approval_needs_its_own_approval(
    gateway: Gateway, token: str, people: dict[str, Someone], hold: HoldCall
) -> None:
    _, request = hold()
    gateway.runtime.approvals.approve(request.id, people["dana"].person, "this text only")
    altered = ToolCall(POST.tool, {**POST.arguments, "body": "Make the repo public"})
    decision = gateway.check(token, altered)
    assert decision.outcome is Outcome.REQUIRE_APPROVAL
    assert decision.approval_id != request.id
    assert gateway.runtime.approvals.get(request.id).status is ApprovalStatus.APPROVED


def test_a_widened_approval_allows_the_tool_for_the_rest_of_the_task_and_says_so(
    gateway: Gateway, token: str, people: dict[str, Someone], hold: HoldCall
) -> None:
    _, request = hold()
    gateway.runtime.approvals.approve(
        request.id, people["dana"].person, "post freely today", scope=ApprovalScope.TASK_TOOL
    )
    for body in ("one", "two", "three"):
        decision = gateway.check(token, ToolCall(POST.tool, {"thread": "4411", "body": body}))
        assert decision.outcome is Outcome.ALLOW
        assert "forum.post for the rest of the task" in decision.explain()
    approved = [e for e in approval_entries(gateway) if e["action"] == "approval.approved"]
    assert approved[-1]["details"] == {"scope": "task_tool", "rules": ["requester"]}
    other_tool = ToolCall("repo.set_permissions", dict(WIDEN.arguments), WIDEN.resource)
    assert gateway.check(token, other_tool).outcome is Outcome.REQUIRE_APPROVAL


def test_a_second_decision_on_a_request_is_refused(
    gateway: Gateway, people: dict[str, Someone], hold: HoldCall
) -> None:
    _, request = hold()
    gateway.runtime.approvals.approve(request.id, people["dana"].person, "yes")
    with pytest.raises(Conflict) as raised:
        gateway.runtime.approvals.deny(request.id, people["dana"].person, "no after all")
    assert raised.value.code == "approval_already_decided"


def test_a_denied_call_stays_denied_when_asked_again(
    gateway: Gateway, token: str, people: dict[str, Someone], hold: HoldCall
) -> None:
    _, request = hold()
    gateway.runtime.approvals.deny(request.id, people["dana"].person, "answer privately")
    decision = gateway.check(token, POST)
    assert decision.outcome is Outcome.DENY
    assert decision.code == "approval_denied"
    assert "dana denied this exact call" in decision.explain()
    assert "answer privately" in decision.explain()


def test_every_rule_needs_its_own_signoff(
    gateway: Gateway, token: str, people: dict[str, Someone], hold: HoldCall
) -> None:
    """Widening the confidential repo is held for the requester and the repo's owner."""
    _, request = hold(WIDEN)
    assert request.approvers == {"requester": "dana", "resource_owner": "alice-lead"}
    signed = gateway.runtime.approvals.approve(request.id, people["dana"].person, "my task")
    assert signed.status is ApprovalStatus.PENDING
    assert signed.waiting_for == ("resource_owner",)
    assert gateway.check(token, WIDEN).outcome is Outcome.REQUIRE_APPROVAL
    done = gateway.runtime.approvals.approve(request.id, people["alice-lead"].person, "ok")
    assert done.status is ApprovalStatus.APPROVED
    assert gateway.check(token, WIDEN).outcome is Outcome.ALLOW


def test_an_approval_does_not_lift_a_hold_nobody_signed_for(
    gateway: Gateway, admin: Admin, token: str, people: dict[str, Someone], hold: HoldCall
) -> None:
    _, request = hold()
    gateway.runtime.approvals.approve(request.id, people["dana"].person, "fine by me")
    admin.put_policy("security", SECURITY_HOLD, actor="t")
    decision = gateway.check(token, POST)
    assert decision.outcome is Outcome.REQUIRE_APPROVAL
    fresh = gateway.runtime.approvals.get(decision.approval_id or "")
    assert fresh.id != request.id
    assert set(fresh.approvers) == {"requester", "role:security"}


def test_a_policy_can_shorten_how_long_a_request_waits(
    gateway: Gateway, admin: Admin, hold: HoldCall
) -> None:
    admin.put_policy("security", SECURITY_HOLD, actor="t")
    _, request = hold()
    assert request.expires_at - request.created_at == timedelta(seconds=120)


def test_an_approval_ttl_outside_bounds_is_refused(admin: Admin) -> None:
    with pytest.raises(PolicyError, match="approval_ttl_s"):
        admin.put_policy("bad", SECURITY_HOLD.replace('"120"', '"5"'), actor="t")


def test_a_role_nobody_can_hold_is_refused(admin: Admin) -> None:
    with pytest.raises(PolicyError, match="names no role"):
        admin.put_policy("bad", SECURITY_HOLD.replace("role:security", "role:moderator"), actor="t")


# -- who may answer -------------------------------------------------------------------


def test_an_agent_can_never_approve_whatever_it_is_called(
    gateway: Gateway, admin: Admin, hold: HoldCall
) -> None:
    """A person whose id is an agent of the chain is that agent: refused."""
    _, request = hold()
    impostor = gateway.runtime.people.add("forum-bot", "Forum Bot", ["approver", "admin"])
    with pytest.raises(Forbidden) as raised:
        gateway.runtime.approvals.approve(request.id, impostor, "I approve myself")
    assert raised.value.code == "not_an_approver"


def test_a_viewer_or_auditor_cannot_approve_or_deny(
    gateway: Gateway, people: dict[str, Someone], hold: HoldCall
) -> None:
    _, request = hold()
    for who in ("vic", "aud"):
        with pytest.raises(Forbidden):
            gateway.runtime.approvals.approve(request.id, people[who].person, "looks fine")
        with pytest.raises(Forbidden):
            gateway.runtime.approvals.deny(request.id, people[who].person, "no")
    assert gateway.runtime.approvals.get(request.id).status is ApprovalStatus.PENDING


def test_the_requester_cannot_sign_where_someone_else_is_demanded(
    gateway: Gateway, admin: Admin, people: dict[str, Someone], hold: HoldCall
) -> None:
    """Separation of duties: dana holds the security role too, but she asked."""
    admin.put_policy("security", SECURITY_HOLD, actor="t")
    gateway.runtime.people.set_roles("dana", ["approver", "security"])
    dana = gateway.runtime.people.get("dana")
    _, request = hold()
    signed = gateway.runtime.approvals.approve(request.id, dana, "mine")
    assert signed.waiting_for == ("role:security",), "she signs only her own rule"
    with pytest.raises(Forbidden):
        gateway.runtime.approvals.approve(request.id, dana, "and security too")
    done = gateway.runtime.approvals.approve(request.id, people["sec"].person, "checked")
    assert done.status is ApprovalStatus.APPROVED


def test_a_person_without_the_demanded_role_cannot_sign(
    gateway: Gateway, admin: Admin, people: dict[str, Someone], hold: HoldCall
) -> None:
    admin.put_policy("security", SECURITY_HOLD, actor="t")
    _, request = hold()
    with pytest.raises(Forbidden) as raised:
        gateway.runtime.approvals.approve(request.id, people["alice-lead"].person, "sure")
    assert "role:security" in raised.value.message


def test_the_resource_owner_rule_is_for_the_owner_only(
    gateway: Gateway, people: dict[str, Someone], hold: HoldCall
) -> None:
    _, request = hold(WIDEN)
    gateway.runtime.approvals.approve(request.id, people["dana"].person, "my task")
    with pytest.raises(Forbidden):
        gateway.runtime.approvals.approve(request.id, people["sec"].person, "I am security")


def test_a_decision_needs_a_reason(
    gateway: Gateway, people: dict[str, Someone], hold: HoldCall
) -> None:
    _, request = hold()
    with pytest.raises(InvalidInput) as raised:
        gateway.runtime.approvals.approve(request.id, people["dana"].person, "   ")
    assert raised.value.code == "invalid_reason"


def test_a_disabled_person_cannot_answer(
    gateway: Gateway, people: dict[str, Someone], hold: HoldCall
) -> None:
    _, request = hold()
    gateway.runtime.people.disable("dana")
    with pytest.raises(Forbidden):
        gateway.runtime.approvals.approve(request.id, gateway.runtime.people.get("dana"), "ok")


# -- expiry -----------------------------------------------------------------------


def test_an_expired_request_cannot_be_approved_and_is_audited_as_expired(
    gateway: Gateway, clock: Clock, people: dict[str, Someone], hold: HoldCall
) -> None:
    _, request = hold()
    clock.advance(timedelta(minutes=16))
    with pytest.raises(Conflict) as raised:
        gateway.runtime.approvals.approve(request.id, people["dana"].person, "too late")
    assert raised.value.code == "approval_already_decided"
    assert gateway.runtime.approvals.get(request.id).status is ApprovalStatus.EXPIRED
    expired = [e for e in approval_entries(gateway) if e["action"] == "approval.expired"]
    assert [e["approval_id"] for e in expired] == [request.id]


def test_a_request_that_expired_while_no_process_ran_is_audited_on_the_next_start(
    tmp_path: Path, clock: Clock, admin: Admin, hold: HoldCall
) -> None:
    _, request = hold()
    admin.gateway.close()
    clock.advance(timedelta(hours=1))
    with Gateway.open(tmp_path / "home", clock=clock) as reopened:
        expired = [e for e in approval_entries(reopened) if e["action"] == "approval.expired"]
        assert [e["approval_id"] for e in expired] == [request.id]
        assert reopened.runtime.audit.verify().ok


def test_after_expiry_the_same_call_opens_a_fresh_request(
    gateway: Gateway, clock: Clock, hold: HoldCall
) -> None:
    _, request = hold()
    clock.advance(timedelta(minutes=20))
    _, fresh = hold()
    assert fresh.id != request.id
    assert gateway.runtime.approvals.get(request.id).status is ApprovalStatus.EXPIRED


# -- races ------------------------------------------------------------------------


def race_answers(approvals: Approvals, request_id: str, yes: Person, no: Person) -> list[str]:
    """One person approves while another denies, released at the same instant."""
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def answer(kind: str) -> None:
        barrier.wait()
        try:
            if kind == "approve":
                approvals.approve(request_id, yes, "yes")
            else:
                approvals.deny(request_id, no, "no")
            outcomes.append(kind)
        except Conflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=answer, args=(kind,)) for kind in ("approve", "deny")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_concurrent_approve_and_deny_exactly_one_wins(
    gateway: Gateway, people: dict[str, Someone], hold: HoldCall
) -> None:
    approvals = gateway.runtime.approvals
    for round_ in range(8):
        _, request = hold(ToolCall(POST.tool, {"thread": "4411", "body": f"take {round_}"}))
        outcomes = race_answers(approvals, request.id, people["dana"].person, people["root"].person)
        assert sorted(outcomes) in (["approve", "refused"], ["deny", "refused"])
        winner = next(o for o in outcomes if o != "refused")
        expected = ApprovalStatus.APPROVED if winner == "approve" else ApprovalStatus.DENIED
        assert approvals.get(request.id).status is expected


def test_a_single_use_approval_allows_one_of_two_racing_calls(
    gateway: Gateway, token: str, people: dict[str, Someone], hold: HoldCall
) -> None:
    _, request = hold()
    gateway.runtime.approvals.approve(request.id, people["dana"].person, "once")
    barrier = threading.Barrier(2)
    outcomes: list[Outcome] = []

    def call() -> None:
        barrier.wait()
        outcomes.append(gateway.check(token, POST).outcome)

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == sorted([Outcome.ALLOW, Outcome.REQUIRE_APPROVAL])


# -- audit ------------------------------------------------------------------------


def test_the_log_links_created_approved_and_used_to_the_decision(
    gateway: Gateway, token: str, people: dict[str, Someone], hold: HoldCall
) -> None:
    held, request = hold()
    gateway.runtime.approvals.approve(request.id, people["dana"].person, "ok for this post")
    gateway.check(token, POST)
    entries = [e for e in approval_entries(gateway) if e["approval_id"] == request.id]
    assert [e["action"] for e in entries] == [
        "approval.created",
        "approval.approved",
        "approval.used",
    ]
    assert {e["decision_id"] for e in entries} == {held.id}
    approved = entries[1]
    assert (approved["actor"], approved["reason"]) == ("person:dana", "ok for this post")
    decisions = [
        e.body
        for e in gateway.runtime.audit.iter_entries(after_seq=0, kinds={"decision"})
        if e.body["decision_id"] == held.id
    ]
    assert [d["outcome"] for d in decisions] == ["require_approval", "allow"]
    assert all(d["approval_id"] == request.id for d in decisions)
    assert gateway.runtime.audit.verify().ok


def test_the_outcome_of_an_approved_call_is_recorded_against_the_held_decision(
    gateway: Gateway, token: str, people: dict[str, Someone], hold: HoldCall
) -> None:
    held, request = hold()
    gateway.runtime.approvals.approve(request.id, people["dana"].person, "go")
    allowed = gateway.check(token, POST)
    receipt = gateway.record_outcome(token, allowed.id, OutcomeStatus.SUCCEEDED, "posted")
    assert receipt.decision_id == held.id
    assert receipt.violation is False


def test_a_call_of_a_tool_another_process_just_registered_can_be_approved_at_once(
    tmp_path: Path, admin: Admin, task: Task, people: dict[str, Someone]
) -> None:
    # This gateway (an approver's server) has read the inventory; another process on
    # the same store (an MCP proxy listing a server's tools) then registers a tool and
    # holds a call of it, within this gateway's poll interval.
    approving = admin.gateway
    assert "notes.delete" not in approving.runtime.inventory.snapshot.tools
    with Gateway.open(tmp_path / "home") as proxy:
        Admin(proxy).put_tool(Tool("notes.delete", ActionClass.DELETE), actor="proxy")
        decision = proxy.check(task_token(Admin(proxy), task), ToolCall("notes.delete", {"id": 2}))
    assert decision.outcome is Outcome.REQUIRE_APPROVAL, decision.explain()
    assert decision.approval_id is not None
    approved = approving.runtime.approvals.approve(
        decision.approval_id, people["dana"].person, "fine"
    )
    assert approved.status is ApprovalStatus.APPROVED
