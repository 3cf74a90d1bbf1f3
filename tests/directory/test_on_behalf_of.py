"""An agent never reaches further than the person it works for."""

from __future__ import annotations

import pytest

from proctor.admin import Admin
from proctor.directory import (
    AccessLevel,
    AccessRule,
    Grant,
    Group,
    TargetKind,
    put_access,
    put_group,
    remove_group,
)
from proctor.errors import Forbidden, InvalidInput
from proctor.gateway import Gateway
from proctor.model import (
    ActionClass,
    Agent,
    Capabilities,
    Label,
    Outcome,
    OutcomeStatus,
    PermissionArguments,
    Resource,
    Task,
    Tool,
    ToolCall,
)
from proctor.monitor import AlertKind
from proctor.people import Role
from tests.conftest import ensure_person, task_token

SUMMARIZE = ToolCall("repo.read_file", {"path": "README.md"}, "repo:acme/vault-core")
READ_ALL = Capabilities(actions=frozenset({ActionClass.READ}))


@pytest.fixture
def setting(admin: Admin) -> Admin:
    """The seed's scenario: a restricted repository, an agent that may read anything,
    engineers with and without clearance."""
    admin.put_agent(Agent("summarizer", "Summarizer", "platform-team"), actor="t")
    admin.put_agent(Agent("helper", "Helper", "platform-team"), actor="t")
    admin.put_tool(Tool("repo.read_file", ActionClass.READ, Label.INTERNAL), actor="t")
    admin.put_tool(
        Tool(
            "repo.set_permissions",
            ActionClass.MODIFY_PERMISSIONS,
            permission_arguments=PermissionArguments("grantee", "level"),
        ),
        actor="t",
    )
    admin.put_tool(Tool("forum.post", ActionClass.PUBLISH), actor="t")
    admin.put_resource(Resource("repo:acme/vault-core", "sec-lead", Label.RESTRICTED), actor="t")
    admin.put_resource(Resource("repo:acme/docs", "dana", Label.INTERNAL), actor="t")
    ensure_person(admin, "erin", clearance=Label.INTERNAL)
    ensure_person(admin, "rita", clearance=Label.RESTRICTED)
    return admin


def summarize_task(admin: Admin, requester: str, **capabilities: object) -> Task:
    return admin.create_task(
        agent_id="summarizer",
        requester=requester,
        purpose="Summarize the vault-core repository for me",
        capabilities=Capabilities(
            actions=frozenset({ActionClass.READ}),
            tools=("repo.read_file",),
        ),
        actor=requester,
    )


def test_an_engineer_without_clearance_cannot_have_a_restricted_repo_summarized(
    gateway: Gateway, setting: Admin
) -> None:
    token = task_token(setting, summarize_task(setting, "erin"))
    decision = gateway.check(token, SUMMARIZE)
    assert decision.outcome is Outcome.DENY
    assert "deny-beyond-requester" in {r.policy_id for r in decision.reasons}
    assert "erin is cleared for internal data, and repo:acme/vault-core is restricted" in (
        decision.explain()
    )


def test_an_engineer_with_clearance_can(gateway: Gateway, setting: Admin) -> None:
    token = task_token(setting, summarize_task(setting, "rita"))
    assert gateway.check(token, SUMMARIZE).outcome is Outcome.ALLOW


def test_a_sub_agent_delegated_from_the_uncleared_engineers_task_is_denied_too(
    gateway: Gateway, setting: Admin
) -> None:
    token = task_token(setting, summarize_task(setting, "erin"))
    delegated = gateway.runtime.tokens.exchange(token, to_agent_id="helper")
    decision = gateway.check(delegated.token, SUMMARIZE)
    assert decision.chain == ("erin", "summarizer", "helper")
    assert decision.outcome is Outcome.DENY
    assert "erin is cleared for internal data" in decision.explain()


def test_access_lists_bound_what_the_requester_may_do(gateway: Gateway, setting: Admin) -> None:
    """rita is cleared for everything but holds only read on the repositories."""
    rule = AccessRule(TargetKind.RESOURCE, "repo:acme/*", (Grant("rita", AccessLevel.READ),))
    put_access(setting, rule, actor="t")
    task = setting.create_task(
        agent_id="summarizer",
        requester="rita",
        purpose="tidy the docs repository",
        capabilities=Capabilities(actions=frozenset(ActionClass), tools=("repo.*",)),
        actor="rita",
    )
    token = task_token(setting, task)
    read = ToolCall("repo.read_file", {"path": "a"}, "repo:acme/docs")
    assert gateway.check(token, read).outcome is Outcome.ALLOW
    widen = ToolCall("repo.set_permissions", {"grantee": "all"}, "repo:acme/docs")
    decision = gateway.check(token, widen)
    assert decision.outcome is Outcome.DENY
    assert "rita holds read on resource repo:acme/docs, and this call needs admin" in (
        decision.explain()
    )


def test_a_group_grant_reaches_members_of_nested_groups(gateway: Gateway, setting: Admin) -> None:
    ensure_person(setting, "nia", clearance=Label.RESTRICTED)
    put_group(setting, Group("security", "Security", groups=("vault-admins",)), actor="t")
    put_group(setting, Group("vault-admins", "Vault admins", people=("nia",)), actor="t")
    rule = AccessRule(
        TargetKind.RESOURCE, "repo:acme/vault-core", (Grant("group:security", AccessLevel.ADMIN),)
    )
    put_access(setting, rule, actor="t")
    task = setting.create_task(
        agent_id="summarizer",
        requester="nia",
        purpose="lock down vault-core",
        capabilities=Capabilities(tools=("repo.set_permissions",)),
        actor="nia",
    )
    token = task_token(setting, task)
    lock = ToolCall(
        "repo.set_permissions", {"grantee": "bob", "level": "none"}, "repo:acme/vault-core"
    )
    assert gateway.check(token, lock).outcome is not Outcome.DENY
    # Leaving the nested group takes effect on the very next check.
    put_group(setting, Group("vault-admins", "Vault admins"), actor="t")
    assert gateway.check(token, lock).outcome is Outcome.DENY


def test_removing_a_group_takes_effect_on_the_next_check(gateway: Gateway, setting: Admin) -> None:
    put_group(setting, Group("readers", "Readers", people=("erin",)), actor="t")
    rule = AccessRule(
        TargetKind.RESOURCE, "repo:acme/docs", (Grant("group:readers", AccessLevel.READ),)
    )
    put_access(setting, rule, actor="t")
    task = setting.create_task(
        agent_id="summarizer", requester="erin", purpose="read docs", capabilities=READ_ALL,
        actor="erin",
    )  # fmt: skip
    token = task_token(setting, task)
    read = ToolCall("repo.read_file", {"path": "a"}, "repo:acme/docs")
    assert gateway.check(token, read).outcome is Outcome.ALLOW
    remove_group(setting, "readers", actor="t")
    decision = gateway.check(token, read)
    assert decision.outcome is Outcome.DENY
    assert "erin holds no access on resource repo:acme/docs" in decision.explain()


def test_a_group_clearance_raises_its_members(gateway: Gateway, setting: Admin) -> None:
    put_group(
        setting,
        Group("vault", "Vault team", people=("erin",), clearance=Label.RESTRICTED),
        actor="t",
    )
    token = task_token(setting, summarize_task(setting, "erin"))
    assert gateway.check(token, SUMMARIZE).outcome is Outcome.ALLOW


def test_a_membership_cycle_is_refused_and_named(setting: Admin) -> None:
    put_group(setting, Group("a", "A", groups=("b",)), actor="t")
    put_group(setting, Group("b", "B", groups=("c",)), actor="t")
    with pytest.raises(InvalidInput) as raised:
        put_group(setting, Group("c", "C", groups=("a",)), actor="t")
    assert raised.value.code == "group_cycle"
    assert "c → a → b → c" in raised.value.message
    assert [g.id for g in setting.runtime.directory.store.groups()] == ["a", "b"]


def test_a_service_task_is_bounded_by_its_owning_team(gateway: Gateway, setting: Admin) -> None:
    put_group(setting, Group("docs-team", "Docs team", clearance=Label.INTERNAL), actor="t")
    rule = AccessRule(
        TargetKind.RESOURCE, "repo:acme/*", (Grant("group:docs-team", AccessLevel.READ),)
    )
    put_access(setting, rule, actor="t")
    task = setting.create_task(
        agent_id="summarizer", requester="group:docs-team", purpose="nightly docs index",
        capabilities=READ_ALL, actor="scheduler",
    )  # fmt: skip
    token = task_token(setting, task)
    docs = ToolCall("repo.read_file", {"path": "a"}, "repo:acme/docs")
    assert gateway.check(token, docs).outcome is Outcome.ALLOW
    vault = gateway.check(token, SUMMARIZE)
    assert vault.outcome is Outcome.DENY
    assert "group:docs-team is cleared for internal data" in vault.explain()


def test_a_task_for_someone_the_directory_does_not_know_is_refused(setting: Admin) -> None:
    for requester in ("zoe", "group:nobody"):
        with pytest.raises(InvalidInput) as raised:
            summarize_task(setting, requester)
        assert raised.value.code == "unknown_requester"
    assert setting.runtime.tasks.list() == []


def test_a_disabled_requester_stops_their_agents(gateway: Gateway, setting: Admin) -> None:
    token = task_token(setting, summarize_task(setting, "rita"))
    setting.runtime.people.disable("rita")
    decision = gateway.check(token, SUMMARIZE)
    assert decision.outcome is Outcome.DENY
    assert "rita is disabled" in decision.explain()


def test_a_person_cannot_create_a_task_granting_what_they_lack(setting: Admin) -> None:
    setting.put_tool(Tool("vault.read_secret", ActionClass.READ, Label.RESTRICTED), actor="t")
    with pytest.raises(Forbidden) as raised:
        setting.create_task(
            agent_id="summarizer",
            requester="erin",
            purpose="read the vault",
            capabilities=Capabilities(tools=("vault.*",)),
            actor="person:erin",
        )
    assert raised.value.code == "grant_exceeds_creator"
    assert "erin may not use vault.read_secret (restricted)" in raised.value.message
    assert setting.runtime.tasks.list() == []


def test_a_person_cannot_issue_a_token_for_more_than_they_may_do(setting: Admin) -> None:
    setting.put_tool(Tool("vault.read_secret", ActionClass.READ, Label.RESTRICTED), actor="t")
    task = setting.create_task(
        agent_id="summarizer",
        requester="rita",
        purpose="read a secret",
        capabilities=Capabilities(tools=("vault.read_secret",)),
        actor="person:rita",
    )
    with pytest.raises(Forbidden) as raised:
        setting.issue_task_token(task.id, actor="person:erin")
    assert raised.value.code == "grant_exceeds_creator"
    assert "vault.read_secret (restricted)" in raised.value.message
    assert setting.issue_task_token(task.id, actor="person:rita").token


def test_an_action_class_needs_one_tool_the_creator_may_use(setting: Admin) -> None:
    setting.put_tool(Tool("vault.read_secret", ActionClass.READ, Label.RESTRICTED), actor="t")
    task = setting.create_task(
        agent_id="summarizer", requester="erin", purpose="read what I may", capabilities=READ_ALL,
        actor="person:erin",
    )  # fmt: skip
    assert task.capabilities == READ_ALL
    admins_only = (Grant("sec-lead", AccessLevel.ADMIN),)
    put_access(setting, AccessRule(TargetKind.TOOL, "repo.set_*", admins_only), actor="t")
    with pytest.raises(Forbidden, match="the action modify_permissions"):
        setting.create_task(
            agent_id="summarizer",
            requester="erin",
            purpose="change permissions",
            capabilities=Capabilities(actions=frozenset({ActionClass.MODIFY_PERMISSIONS})),
            actor="person:erin",
        )


def test_an_approver_can_only_lift_what_they_could_do(gateway: Gateway, setting: Admin) -> None:
    ensure_person(setting, "erin", Role.APPROVER)
    ensure_person(setting, "rita", Role.APPROVER)
    ensure_person(setting, "sec-lead", Role.APPROVER, clearance=Label.INTERNAL)
    task = setting.create_task(
        agent_id="summarizer", requester="rita", purpose="share the vault", capabilities=READ_ALL,
        actor="rita",
    )  # fmt: skip
    token = task_token(setting, task)
    ledger = Resource("repo:acme/ledger", "sec-lead", Label.CONFIDENTIAL)
    setting.put_resource(ledger, actor="t")
    widen = ToolCall("repo.set_permissions", {"grantee": "all"}, ledger.id)
    held = gateway.check(token, widen)
    assert held.outcome is Outcome.REQUIRE_APPROVAL
    request = gateway.runtime.approvals.get(held.approval_id or "")
    assert set(request.approvers) == {"requester", "resource_owner"}
    gateway.runtime.approvals.approve(request.id, gateway.runtime.people.get("rita"), "mine")
    approver = gateway.runtime.people.get("sec-lead")
    with pytest.raises(Forbidden) as raised:
        gateway.runtime.approvals.approve(request.id, approver, "looks fine")
    assert raised.value.code == "approver_lacks_access"
    assert "sec-lead is cleared for internal data" in raised.value.message


def test_data_above_clearance_is_a_violation_and_holds_later_sinks(
    gateway: Gateway, setting: Admin
) -> None:
    """The tool returned more than the requester may see: recorded, and nothing leaves."""
    task = setting.create_task(
        agent_id="summarizer",
        requester="erin",
        purpose="summarize the docs and post it",
        capabilities=Capabilities(actions=frozenset({ActionClass.READ, ActionClass.PUBLISH})),
        actor="erin",
    )
    token = task_token(setting, task)
    read = gateway.check(token, ToolCall("repo.read_file", {"path": "a"}, "repo:acme/docs"))
    post = ToolCall("forum.post", {"body": "summary"})
    assert gateway.check(token, post).outcome is Outcome.ALLOW
    receipt = gateway.record_outcome(
        token, read.id, OutcomeStatus.SUCCEEDED, "read", label=Label.CONFIDENTIAL
    )
    assert receipt.violation
    assert "returned confidential data to an agent working for erin" in receipt.problems[0]
    assert gateway.runtime.sessions.get(task.id).over_clearance
    held = gateway.check(token, post)
    assert held.outcome is Outcome.REQUIRE_APPROVAL
    approvers = {r.policy_id: r.approver for r in held.reasons}
    assert approvers == {
        "hold-sink-after-over-clearance": "role:security",
        # The forum reaches the organization, and the task read confidential data.
        "hold-confidential-to-wide-audience": "data_owner",
    }
    outcome = [e.body for e in gateway.runtime.audit.iter_entries(kinds={"outcome"})][-1]
    assert outcome["violation"] is True
    assert outcome["read"] == {"label": "confidential", "untrusted": False}
    # The agent's owner is alerted, with the decision and what went wrong.
    assert gateway.runtime.monitor.drain()
    (alert,) = gateway.runtime.monitor.alerts.list(agent="summarizer")
    assert alert.kind is AlertKind.VIOLATION
    assert alert.evidence["decision_id"] == read.id
    assert "returned confidential data" in alert.summary
