"""Loading and validating policies: every problem names its file, line and column."""

from __future__ import annotations

import pytest

from proctor.errors import PolicyError
from proctor.model import Outcome
from proctor.policy import (
    Diagnostic,
    InvalidPolicies,
    PolicyDocument,
    PolicyEngine,
    default_documents,
    validate_documents,
)
from tests.policy.policy_support import call, engine, task


def _only(text: str, name: str = "team.cedar") -> Diagnostic:
    (diagnostic,) = validate_documents([PolicyDocument(name, text)])
    return diagnostic


def test_the_default_documents_are_valid() -> None:
    assert validate_documents(default_documents()) == []


def test_a_parse_error_names_file_line_and_column() -> None:
    text = (
        "// team rules\n"
        'permit (principal, action, resource == Tool::"forum.post");\n'
        "\n"
        "forbid (principal, action, resource)\n"
        "  when { context.approved && };\n"
    )
    diagnostic = _only(text)
    assert (diagnostic.file, diagnostic.line, diagnostic.column) == ("team.cedar", 5, 30)
    assert diagnostic.message == "parse error: unexpected token `}`"
    assert str(diagnostic) == "team.cedar:5:30: parse error: unexpected token `}`"


def test_a_missing_semicolon_points_at_the_end_of_the_policy() -> None:
    diagnostic = _only("permit (principal, action, resource)\n  when { context.approved }\n")
    assert (diagnostic.line, diagnostic.column) == (2, 28)
    assert "unexpected end of input" in diagnostic.message


def test_a_type_error_names_file_line_and_column() -> None:
    text = (
        '@id("typo")\n'
        "permit (principal, action, resource)\n"
        '  when { context.task.grants_action == "yes" };\n'
    )
    diagnostic = _only(text)
    assert (diagnostic.file, diagnostic.line, diagnostic.column) == ("team.cedar", 3, 3)
    assert diagnostic.policy_id == "typo"
    assert diagnostic.message == "the types Bool and String are not compatible"


def test_an_unknown_attribute_points_at_the_attribute() -> None:
    text = "forbid (principal, action, resource)\n  when { context.task.grantz_action };\n"
    diagnostic = _only(text)
    assert (diagnostic.line, diagnostic.column) == (2, 23)
    assert diagnostic.policy_id == "team.cedar#1"
    assert diagnostic.message == "attribute `task.grantz_action` in context not found"


def test_an_unknown_action_points_at_it() -> None:
    text = 'permit (principal, action == Action::"launch", resource);'
    diagnostics = validate_documents([PolicyDocument("team.cedar", text)])
    assert (diagnostics[0].line, diagnostics[0].column) == (1, 1)
    assert any(d.column == 30 and 'Action::"launch"' in d.message for d in diagnostics)


def test_semicolons_in_strings_and_comments_do_not_split_policies() -> None:
    text = (
        "// a comment; with a semicolon\n"
        '@reason("first; still first")\n'
        'permit (principal, action, resource) when { context.task.requester == "a;b" };\n'
        "permit (principal, action, resource) when { 1 };\n"
    )
    diagnostic = _only(text)
    assert diagnostic.line == 4
    assert diagnostic.policy_id == "team.cedar#2"


def test_templates_are_refused() -> None:
    diagnostic = _only("permit (principal == ?principal, action, resource);")
    assert "templates" in diagnostic.message


@pytest.mark.parametrize(
    ("annotations", "message"),
    [
        ('@outcome("approval")', "only a forbid may carry @outcome"),
        ('@approver("requester")', "@approver belongs on"),
        ('@id("")', "@id must not be empty"),
    ],
)
def test_misplaced_annotations_on_a_permit_are_refused(annotations: str, message: str) -> None:
    diagnostic = _only(f"{annotations}\npermit (principal, action, resource);")
    assert message in diagnostic.message
    assert (diagnostic.line, diagnostic.column) == (1, 1)


def test_an_unknown_approver_is_refused() -> None:
    text = '@outcome("approval")\n@approver("the boss")\nforbid (principal, action, resource);'
    diagnostic = _only(text)
    assert (diagnostic.line, diagnostic.column) == (2, 1)
    assert "the boss" in diagnostic.message


def test_an_obligation_on_a_forbid_is_refused() -> None:
    assert "permit" in _only('@obligation("log")\nforbid (principal, action, resource);').message


def test_a_duplicate_id_is_refused_where_it_repeats() -> None:
    first = PolicyDocument("a.cedar", '@id("same")\npermit (principal, action, resource);')
    second = PolicyDocument("b.cedar", '\n@id("same")\nforbid (principal, action, resource);')
    (diagnostic,) = validate_documents([first, second])
    assert (diagnostic.file, diagnostic.line, diagnostic.policy_id) == ("b.cedar", 2, "same")
    assert "first defined at a.cedar:1" in diagnostic.message


def test_a_policy_may_not_reuse_a_default_id() -> None:
    text = '@id("deny-unknown-tool")\npermit (principal, action, resource);'
    with pytest.raises(InvalidPolicies) as raised:
        PolicyEngine([PolicyDocument("mine.cedar", text)])
    assert raised.value.diagnostics[0].file == "mine.cedar"


def test_a_failed_load_keeps_the_previous_set() -> None:
    loaded = engine()
    version = loaded.version
    with pytest.raises(PolicyError) as raised:
        loaded.load([PolicyDocument("broken.cedar", "permit (principal, action, resource)")])
    assert raised.value.code == "policy_invalid"
    assert "broken.cedar:1:" in raised.value.message
    assert loaded.version == version
    assert len(loaded.policies()) == len(engine().policies())
    facts = call("forum.read_thread", task(action=True))
    assert loaded.evaluate(facts).outcome is Outcome.ALLOW


def test_a_successful_load_replaces_the_set() -> None:
    loaded = engine()
    version = loaded.version
    deny_reads = '@id("no-reads")\nforbid (principal, action == Action::"read", resource);'
    loaded.load([PolicyDocument("reads.cedar", deny_reads)])
    assert loaded.version == version + 1
    judgment = loaded.evaluate(call("forum.read_thread", task(action=True)))
    assert judgment.policy_ids == ("no-reads",)
    info = next(info for info in loaded.policies() if info.id == "no-reads")
    assert (info.source, info.line, info.column, info.effect) == ("reads.cedar", 1, 1, "forbid")
