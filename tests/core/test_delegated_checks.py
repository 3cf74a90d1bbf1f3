"""Checks made by a sub-agent: the chain is recorded, and delegation only ever narrows."""

from __future__ import annotations

import pytest

from proctor.admin import Admin
from proctor.gateway import Gateway
from proctor.model import ActionClass, Agent, AgentStatus, Capabilities, Outcome, Task, ToolCall


@pytest.fixture
def helper_token(gateway: Gateway, admin: Admin, incident_token: str) -> str:
    """forum-bot hands the incident task to summarizer, keeping everything it holds."""
    admin.put_agent(Agent(id="summarizer", name="Summarizer", owner="platform-team"), actor="t")
    return gateway.runtime.tokens.exchange(incident_token, to_agent_id="summarizer").token


def test_a_sub_agent_acts_within_the_task_and_the_chain_is_recorded(
    gateway: Gateway, helper_token: str
) -> None:
    decision = gateway.check(helper_token, ToolCall("forum.read_thread"))
    assert decision.outcome is Outcome.ALLOW
    assert decision.chain == ("dana", "forum-bot", "summarizer")
    body = gateway.runtime.audit.tail(1)[0].body
    assert body["agent"] == "summarizer"
    assert body["chain"] == ["dana", "forum-bot", "summarizer"]


def test_a_narrowed_token_cannot_use_what_the_task_grants_but_it_does_not_hold(
    gateway: Gateway, admin: Admin, incident_token: str
) -> None:
    admin.put_agent(Agent(id="summarizer", name="S", owner="platform-team"), actor="t")
    nothing = gateway.runtime.tokens.exchange(
        incident_token, to_agent_id="summarizer", capabilities=Capabilities()
    ).token
    decision = gateway.check(nothing, ToolCall("forum.read_thread"))
    assert decision.outcome is Outcome.DENY
    assert "delegated from" in decision.explain()


def test_a_sub_agent_denied_the_deliverable_cannot_publish_it(
    gateway: Gateway, admin: Admin, incident_token: str
) -> None:
    admin.put_agent(Agent(id="summarizer", name="S", owner="platform-team"), actor="t")
    allowed = gateway.check(incident_token, ToolCall("forum.reply_private"))
    assert allowed.outcome is Outcome.ALLOW
    no_delivery = gateway.runtime.tokens.exchange(
        incident_token, to_agent_id="summarizer", may_deliver=False
    ).token
    decision = gateway.check(no_delivery, ToolCall("forum.reply_private"))
    assert decision.outcome is not Outcome.ALLOW


def test_suspending_the_delegator_stops_the_sub_agent_on_its_next_call(
    gateway: Gateway, admin: Admin, helper_token: str
) -> None:
    assert gateway.check(helper_token, ToolCall("forum.read_thread")).outcome is Outcome.ALLOW
    admin.set_agent_status("forum-bot", AgentStatus.SUSPENDED, actor="sec", reason="incident")
    decision = gateway.check(helper_token, ToolCall("forum.read_thread"))
    assert decision.code == "delegator_suspended"
    assert "forum-bot" in decision.explain()


def test_reviving_the_delegator_does_not_revive_tokens_handed_on_before(
    gateway: Gateway, admin: Admin, helper_token: str
) -> None:
    admin.set_agent_status("forum-bot", AgentStatus.SUSPENDED, actor="sec", reason="incident")
    admin.set_agent_status("forum-bot", AgentStatus.ACTIVE, actor="sec", reason="reviewed")
    decision = gateway.check(helper_token, ToolCall("forum.read_thread"))
    assert decision.code == "token_revoked"


def test_a_suspended_sub_agent_is_stopped_while_its_delegator_goes_on(
    gateway: Gateway, admin: Admin, incident_token: str, helper_token: str
) -> None:
    admin.set_agent_status("summarizer", AgentStatus.SUSPENDED, actor="sec", reason="loops")
    assert gateway.check(helper_token, ToolCall("forum.read_thread")).code == "agent_suspended"
    assert gateway.check(incident_token, ToolCall("forum.read_thread")).outcome is Outcome.ALLOW


def test_revoking_the_parent_token_stops_the_child(
    gateway: Gateway, incident_token: str, helper_token: str
) -> None:
    tokens = gateway.runtime.tokens
    tokens.revoke(tokens.verify(incident_token), "leaked", "sec")
    assert gateway.check(helper_token, ToolCall("forum.read_thread")).code == "token_revoked"


def test_a_write_grant_handed_on_stays_within_the_tasks(
    gateway: Gateway, admin: Admin, incident: Task
) -> None:
    """A token can never hold more than its task, even one minted by hand (defence in depth)."""
    wide = gateway.runtime.tokens.issue(
        agent_id="forum-bot",
        task_id=incident.id,
        requester="dana",
        capabilities=Capabilities(frozenset({ActionClass.READ, ActionClass.WRITE})),
    ).token
    decision = gateway.check(wide, ToolCall("forum.edit"))
    assert decision.outcome is Outcome.DENY
