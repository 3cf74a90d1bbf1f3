"""What Cedar sees: the schema's shape, the call's agent and tool, their groups and patterns."""

from __future__ import annotations

from dataclasses import replace

import cedarpy

from proctor.model import HIGH_RISK_ACTIONS, ActionClass, Agent, Outcome
from proctor.policy import PolicyDocument, PolicyEngine, schema_text, validate_documents
from proctor.policy._facts import request
from tests.policy.policy_support import BOT, TOOLS, call, engine, task

BY_GROUP = """
@id("interns-may-not-edit")
forbid (principal in AgentGroup::"interns", action == Action::"write", resource);
"""


def test_the_schemas_actions_and_high_risk_group_are_the_models() -> None:
    high_risk = '@id("hr") forbid (principal, action in Action::"high_risk", resource);'
    loaded = engine(high_risk, include_defaults=False)
    for action in [*ActionClass, "unclassified"]:
        name = str(action)
        assert (
            validate_documents(
                [PolicyDocument("a", f'permit (principal, action == Action::"{name}", resource);')]
            )
            == []
        )
        facts = replace(call("forum.edit"), action=name)
        held = "hr" in loaded.evaluate(facts).policy_ids
        assert held == (action in HIGH_RISK_ACTIONS), name


def test_the_context_matches_the_schema_exactly() -> None:
    """Evaluation skips Cedar's per-call context check, so prove the shape here."""
    schema = cedarpy.Schema.from_str(schema_text())
    entities = cedarpy.Entities.from_json_str("[]", schema)
    for facts in (call("forum.post"), call("shell.run"), call("repo.set_permissions")):
        answer = cedarpy.is_authorized(
            request(facts, approved=True), "permit (principal, action, resource);", entities, schema
        )
        assert answer.diagnostics.errors == []
        assert answer.allowed


def test_an_agent_missing_from_the_inventory_is_judged_as_given() -> None:
    stranger = Agent("stranger", "Stranger", "eve", groups=("interns",))
    judgment = engine(BY_GROUP).evaluate(call("forum.edit", task(action=True), agent=stranger))
    assert judgment.policy_ids == ("interns-may-not-edit",)


def test_the_calls_agent_wins_over_a_stale_inventory_entry() -> None:
    promoted = replace(BOT, groups=("interns",))
    loaded = engine(BY_GROUP)
    judgment = loaded.evaluate(call("forum.edit", task(action=True), agent=promoted))
    assert judgment.outcome is Outcome.DENY
    assert loaded.evaluate(call("forum.edit", task(action=True))).outcome is Outcome.ALLOW


def test_an_engine_without_an_inventory_still_judges() -> None:
    bare = PolicyEngine()
    assert bare.evaluate(call("forum.read_thread", task(action=True))).outcome is Outcome.ALLOW
    assert bare.evaluate(call("shell.run", task(action=True))).outcome is Outcome.DENY


def test_tool_and_agent_attributes_reach_the_policies() -> None:
    attributes = """
    @id("owner-and-label")
    forbid (principal, action, resource)
    when { principal.owner == "platform-team" && resource.label == "internal" &&
           resource.audience == "organization" && resource.action_class == "publish" &&
           principal.status == "active" && principal.name == "Forum assistant" };
    """
    judgment = engine(attributes).evaluate(call("forum.post", task(action=True)))
    assert judgment.policy_ids == ("owner-and-label",)


def test_an_unknown_tool_has_empty_attributes_and_the_unclassified_action() -> None:
    unknown = """
    @id("unknown-shape")
    forbid (principal, action == Action::"unclassified", resource)
    when { resource.label == "" && resource.audience == "" &&
           resource.action_class == "unclassified" && !resource.known };
    """
    judgment = engine(unknown).evaluate(call("shell.run", task(action=True)))
    assert set(judgment.policy_ids) == {"unknown-shape", "deny-unknown-tool"}


def test_set_inventory_replaces_the_tools() -> None:
    loaded = engine()
    loaded.set_inventory([BOT], [TOOLS["forum.edit"]])
    known = loaded.evaluate(call("forum.edit", task(action=True)))
    assert known.outcome is Outcome.ALLOW
    facts = replace(call("forum.read_thread", task(action=True)), tool=None, action="unclassified")
    assert loaded.evaluate(facts).policy_ids == ("deny-unknown-tool",)
