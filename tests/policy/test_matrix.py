"""The YAML permission matrix compiles to scoped, readable Cedar that obeys deny-wins."""

from __future__ import annotations

from typing import Any

import pytest

from proctor.errors import PolicyError
from proctor.model import Outcome
from proctor.policy import PolicyEngine, compile_matrix, validate_documents
from tests.policy.policy_support import BOT, INTERN, TOOLS, call, task


def _engine(matrix: str | dict[str, Any]) -> PolicyEngine:
    loaded = PolicyEngine([compile_matrix(matrix, "ops.yaml")])
    loaded.set_inventory([BOT, INTERN], TOOLS.values())
    return loaded


def test_allow_compiles_to_a_permit_scoped_to_the_exact_tool() -> None:
    document = compile_matrix(
        "matrix:\n  - agents: [forum-bot]\n    tools: [forum.post]\n    outcome: allow\n",
        "ops.yaml",
    )
    assert document.name == "ops.yaml"
    assert '@id("matrix:ops.yaml:1")' in document.text
    assert (
        'permit (principal == Agent::"forum-bot", action, resource == Tool::"forum.post");'
        in document.text
    )
    assert validate_documents([document]) == []


def test_a_pattern_compiles_to_a_tool_pattern_scope() -> None:
    matrix = {"matrix": [{"groups": ["interns"], "tools": ["forum.*"], "outcome": "deny"}]}
    text = compile_matrix(matrix, "ops.yaml").text
    assert (
        'forbid (principal in AgentGroup::"interns", action, resource in ToolPattern::"forum.*");'
        in text
    )


def test_each_agent_and_tool_pair_gets_its_own_numbered_policy() -> None:
    matrix = {
        "matrix": [{"agents": ["a"], "groups": ["g"], "tools": ["x.one", "y.*"], "outcome": "deny"}]
    }
    document = compile_matrix(matrix, "ops.yaml")
    ids = [line for line in document.text.splitlines() if line.startswith("@id(")]
    assert ids == [f'@id("matrix:ops.yaml:1.{n}")' for n in range(1, 5)]


def test_a_matrix_deny_denies_what_the_task_grants() -> None:
    matrix = {"matrix": [{"groups": ["interns"], "tools": ["forum.*"], "outcome": "deny"}]}
    facts = call("forum.read_thread", task(action=True), agent=INTERN)
    judgment = _engine(matrix).evaluate(facts)
    assert judgment.outcome is Outcome.DENY
    assert judgment.policy_ids == ("matrix:ops.yaml:1",)
    assert (
        judgment.reasons[0].text
        == "the permission matrix forbids intern-bot to use forum.read_thread"
    )
    other = call("forum.read_thread", task(action=True), agent=BOT)
    assert _engine(matrix).evaluate(other).outcome is Outcome.ALLOW


def test_a_matrix_approval_holds_for_its_approver_then_allows() -> None:
    matrix = """
    matrix:
      - agents: [intern-bot]
        tools: [forum.read_thread]
        outcome: approval
        approver: role:security
        reason: "{agent} reads {tool} only with a moderator's nod"
    """
    loaded = _engine(matrix)
    judgment = loaded.evaluate(call("forum.read_thread", task(action=True), agent=INTERN))
    assert judgment.outcome is Outcome.REQUIRE_APPROVAL
    (reason,) = judgment.reasons
    assert reason.policy_id == "matrix:ops.yaml:1"
    assert reason.approver == "role:security"
    assert reason.text == "intern-bot reads forum.read_thread only with a moderator's nod"
    approved = call("forum.read_thread", task(action=True), agent=INTERN, approved=True)
    assert loaded.evaluate(approved).outcome is Outcome.ALLOW


def test_the_approver_defaults_to_the_requester() -> None:
    matrix = {"matrix": [{"agents": ["a"], "tools": ["t"], "outcome": "approval"}]}
    assert '@approver("requester")' in compile_matrix(matrix, "ops.yaml").text


def test_a_matrix_allow_cannot_override_a_default_deny() -> None:
    matrix = {
        "matrix": [
            {
                "agents": ["forum-bot"],
                "tools": ["vault.read_secret", "forum.edit"],
                "outcome": "allow",
            }
        ]
    }
    loaded = _engine(matrix)
    restricted = loaded.evaluate(call("vault.read_secret", task(action=True)))
    assert restricted.outcome is Outcome.DENY
    assert restricted.policy_ids == ("deny-restricted-tool-unless-named",)
    ungranted = loaded.evaluate(call("forum.edit", task("read")))
    assert ungranted.outcome is Outcome.DENY
    assert ungranted.policy_ids == ("deny-ungranted",)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"tools": ["forum.post"], "outcome": "allow"}, "at least one agent or group"),
        ({"agents": [], "groups": [], "tools": ["x"], "outcome": "allow"}, "agent or group"),
        ({"agents": ["a"], "outcome": "deny"}, "at least one tool"),
        ({"agents": ["a"], "tools": [], "outcome": "deny"}, "at least one tool"),
        ({"agents": ["a"], "tools": ["t"], "outcome": "maybe"}, "outcome must be one of"),
        ({"agents": ["a"], "tools": ["t"], "outcome": "allow", "approver": "x"}, "approver"),
        ({"agents": ["a"], "tools": ["t"], "outcome": "approval", "approver": "boss"}, "boss"),
        ({"agents": [""], "tools": ["t"], "outcome": "deny"}, "non-empty strings"),
        ({"agents": ["a"], "tools": ["t"], "outcome": "deny", "when": "x"}, "unknown keys"),
    ],
)
def test_incomplete_or_unknown_entries_are_refused(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        compile_matrix({"matrix": [entry]}, "ops.yaml")


@pytest.mark.parametrize("text", ["matrix: {}", "- just a list", "matrix: [oops", "nothing: []"])
def test_a_document_that_is_not_a_matrix_is_refused(text: str) -> None:
    with pytest.raises(PolicyError, match=r"ops\.yaml"):
        compile_matrix(text, "ops.yaml")


def test_names_with_quotes_are_escaped() -> None:
    matrix = {"matrix": [{"agents": ['we"ird\\bot'], "tools": ["t"], "outcome": "deny"}]}
    document = compile_matrix(matrix, "ops.yaml")
    assert 'Agent::"we\\"ird\\\\bot"' in document.text
    assert validate_documents([document]) == []
