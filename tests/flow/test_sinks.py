"""Where data may go: labels read earlier in the task decide which sinks need whose
approval; send_external outside the organization's domains is held."""

from __future__ import annotations

import pytest

from proctor.admin import Admin
from proctor.gateway import Gateway
from proctor.model import (
    ActionClass,
    Agent,
    Audience,
    Capabilities,
    Label,
    Outcome,
    OutcomeStatus,
    Resource,
    Tool,
)
from proctor.people import Role
from tests.conftest import ensure_person
from tests.flow.conftest import check, policy_ids, start_task

REPORT = "drive:q3-board-deck"
PAYROLL = "hr:payroll-2027"
WIKI = "wiki:onboarding"


@pytest.fixture
def token(admin: Admin) -> str:
    ensure_person(admin, "dana", Role.APPROVER, clearance=Label.RESTRICTED)
    ensure_person(admin, "cfo", Role.APPROVER, clearance=Label.RESTRICTED)
    admin.put_agent(Agent("analyst", "Analyst", "platform-team"), actor="t")
    for tool in (
        Tool("drive.read", ActionClass.READ, Label.INTERNAL),
        Tool("forum.post", ActionClass.PUBLISH, Label.INTERNAL, audience=Audience.ORGANIZATION),
        Tool("blog.publish", ActionClass.PUBLISH, Label.INTERNAL, audience=Audience.PUBLIC),
        Tool("chat.dm", ActionClass.PUBLISH, Label.INTERNAL, audience=Audience.REQUESTER),
        Tool("notes.share", ActionClass.PUBLISH, Label.INTERNAL),
        Tool("mail.send", ActionClass.SEND_EXTERNAL, Label.INTERNAL, targets=("to", "cc")),
    ):
        admin.put_tool(tool, actor="t")
    admin.put_resource(Resource(REPORT, "cfo", Label.CONFIDENTIAL), actor="t")
    admin.put_resource(Resource(PAYROLL, "cfo", Label.RESTRICTED), actor="t")
    admin.put_resource(Resource(WIKI, "people-team", Label.INTERNAL), actor="t")
    actions = frozenset({ActionClass.READ, ActionClass.PUBLISH, ActionClass.SEND_EXTERNAL})
    return start_task(admin, "analyst", Capabilities(actions=actions))[1]


def read(gateway: Gateway, token: str, resource: str) -> None:
    decision = check(gateway, token, "drive.read", resource, id=resource)
    assert decision.outcome is Outcome.ALLOW, decision.explain()
    gateway.record_outcome(token, decision.id, OutcomeStatus.SUCCEEDED, "read")


def test_before_reading_anything_the_forum_is_open(gateway: Gateway, token: str) -> None:
    assert check(gateway, token, "forum.post", body="hello").outcome is Outcome.ALLOW


def test_confidential_data_to_the_organization_waits_for_the_datas_owner(
    gateway: Gateway, token: str
) -> None:
    read(gateway, token, REPORT)
    held = check(gateway, token, "forum.post", body="Q3 numbers: ...")
    assert held.outcome is Outcome.REQUIRE_APPROVAL
    assert policy_ids(held) == ["hold-confidential-to-wide-audience"]
    request = gateway.runtime.approvals.get(held.approval_id or "")
    assert request.approvers == {"data_owner": "cfo"}
    assert "(cfo's)" in held.explain()


@pytest.mark.parametrize("tool", ["blog.publish", "notes.share"])
def test_confidential_data_to_the_public_or_an_unknown_audience_is_held(
    gateway: Gateway, token: str, tool: str
) -> None:
    read(gateway, token, REPORT)
    held = check(gateway, token, tool, body="numbers")
    assert held.outcome is Outcome.REQUIRE_APPROVAL
    assert "hold-confidential-to-wide-audience" in policy_ids(held)


def test_confidential_data_back_to_the_requester_runs(gateway: Gateway, token: str) -> None:
    read(gateway, token, REPORT)
    assert check(gateway, token, "chat.dm", body="numbers").outcome is Outcome.ALLOW


def test_restricted_data_goes_no_further_than_the_requester(gateway: Gateway, token: str) -> None:
    read(gateway, token, PAYROLL)
    denied = check(gateway, token, "forum.post", body="salaries")
    assert denied.outcome is Outcome.DENY
    assert "deny-restricted-beyond-requester" in policy_ids(denied)
    assert check(gateway, token, "chat.dm", body="salaries").outcome is Outcome.ALLOW


def test_internal_data_to_the_public_waits_for_the_requester(gateway: Gateway, token: str) -> None:
    read(gateway, token, WIKI)
    assert check(gateway, token, "forum.post", body="onboarding").outcome is Outcome.ALLOW
    held = check(gateway, token, "blog.publish", body="onboarding")
    assert held.outcome is Outcome.REQUIRE_APPROVAL
    assert policy_ids(held) == ["hold-internal-to-public"]


def test_a_per_call_label_counts_like_a_resources(gateway: Gateway, token: str) -> None:
    decision = check(gateway, token, "drive.read", WIKI, id=WIKI)
    gateway.record_outcome(
        token, decision.id, OutcomeStatus.SUCCEEDED, "read", label=Label.CONFIDENTIAL
    )
    held = check(gateway, token, "forum.post", body="x")
    assert held.outcome is Outcome.REQUIRE_APPROVAL


@pytest.mark.parametrize(
    "recipients",
    [
        {"to": "bob@acme.example"},
        {"to": ["bob@acme.example", "ops@eu.acme.example"]},
        {"to": "bob@acme.example", "cc": "https://wiki.acme.example/team"},
    ],
)
def test_mail_inside_the_organization_runs(
    gateway: Gateway, token: str, recipients: dict[str, object]
) -> None:
    decision = check(gateway, token, "mail.send", subject="hi", body="see you", **recipients)
    assert decision.outcome is Outcome.ALLOW, decision.explain()


@pytest.mark.parametrize(
    "recipients",
    [
        {"to": "eve@evil.example"},
        {"to": ["bob@acme.example", "eve@acme.example.evil.example"]},
        {"to": "bob@acme.example", "cc": "Eve <EVE@NOTACME.EXAMPLE>"},
        {"to": "bob@fakeacme.example"},
    ],
)
def test_mail_leaving_the_organization_waits_for_the_requester(
    gateway: Gateway, token: str, recipients: dict[str, object]
) -> None:
    decision = check(gateway, token, "mail.send", subject="hi", body="see you", **recipients)
    assert decision.outcome is Outcome.REQUIRE_APPROVAL
    assert policy_ids(decision) == ["hold-send-outside-organization"]
    assert "outside acme.example" in decision.explain()


def test_the_body_is_not_a_recipient(gateway: Gateway, token: str) -> None:
    """Only the declared targets name recipients: an address in the text is content."""
    body = "forward this to eve@evil.example if you like"
    decision = check(gateway, token, "mail.send", to="bob@acme.example", body=body)
    assert decision.outcome is Outcome.ALLOW
