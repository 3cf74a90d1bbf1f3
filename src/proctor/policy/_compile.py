"""Compile policy documents: parse, validate against the schema, check annotations, name."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import cedarpy
from cedarpy import pst

from proctor.errors import PolicyError
from proctor.people import Role
from proctor.policy._arguments import ArgumentTypes, schema_for
from proctor.policy._source import (
    Diagnostic,
    LineMap,
    PolicyDocument,
    Statement,
    clean_validation_message,
    locate_parse_error,
    locate_validation_error,
    split_statements,
)

#: The annotation that turns a forbid into an approval hold.
HOLD = "approval"
_ONE_ACTION = re.compile(r' for Action::"[^"]*"')
_APPROVERS = frozenset({"requester", "agent_owner", "resource_owner", "data_owner"})
_ROLES = frozenset(role.value for role in Role)


@dataclass(frozen=True, slots=True)
class PolicyInfo:
    """A loaded policy as an admin sees it.

    ``is_hold``: a forbid a human can lift (``@outcome("approval")``); ``approver``:
    who may lift it (``requester`` unless ``@approver`` says otherwise);
    ``obligations``: the kinds a satisfied permit imposes (``@obligation("a, b")``).
    """

    id: str
    effect: str
    source: str
    line: int
    column: int
    annotations: Mapping[str, str]
    text: str
    is_hold: bool = False
    approver: str | None = None
    obligations: tuple[str, ...] = ()


def _policy_info(
    policy_id: str, template: pst.Template, source: str, line: int, column: int, text: str
) -> PolicyInfo:
    notes = dict(template.annotations)
    is_hold = template.effect == "forbid" and notes.get("outcome") == HOLD
    approver = notes.get("approver", "requester") if is_hold else None
    kinds = tuple(kind.strip() for kind in notes.get("obligation", "").split(",") if kind.strip())
    return PolicyInfo(
        policy_id, template.effect, source, line, column, notes, text, is_hold, approver, kinds
    )


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    info: PolicyInfo
    template: pst.Template


class InvalidPolicies(PolicyError):
    """Policies that failed to parse or validate; ``diagnostics`` says where and why."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        listing = "\n".join(f"  {diagnostic}" for diagnostic in self.diagnostics)
        count = len(self.diagnostics)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the policies:\n{listing}")


def validate_documents(
    documents: Sequence[PolicyDocument], arguments: ArgumentTypes = ()
) -> list[Diagnostic]:
    """Every parse, schema, annotation and duplicate-id problem in ``documents``."""
    return compile_documents(documents, arguments)[1]


def compile_documents(
    documents: Sequence[PolicyDocument], arguments: ArgumentTypes = ()
) -> tuple[list[CompiledPolicy], list[Diagnostic]]:
    """The policies of ``documents`` in order, and the problems found in them
    (validated against the schema with ``context.args`` typed for ``arguments``)."""
    policies: list[CompiledPolicy] = []
    diagnostics: list[Diagnostic] = []
    first_seen: dict[str, PolicyInfo] = {}
    for document in documents:
        compiled, problems = _compile_document(document, arguments)
        diagnostics.extend(problems)
        for policy in compiled:
            info = policy.info
            earlier = first_seen.setdefault(info.id, info)
            if earlier is not info:
                message = (
                    f"duplicate policy id {info.id!r}; "
                    f"first defined at {earlier.source}:{earlier.line}"
                )
                diagnostics.append(
                    Diagnostic(info.source, info.line, info.column, info.id, message)
                )
            else:
                policies.append(policy)
    return policies, diagnostics


def _compile_document(
    document: PolicyDocument, arguments: ArgumentTypes
) -> tuple[list[CompiledPolicy], list[Diagnostic]]:
    statements = split_statements(document.text)
    lines = LineMap(document.text)
    diagnostics: list[Diagnostic] = []

    def report(statement: Statement, offset: int, policy_id: str | None, message: str) -> None:
        line, column = lines.position(statement.start + offset)
        diagnostics.append(Diagnostic(document.name, line, column, policy_id, message))

    parsed: list[tuple[int, Statement, pst.Template]] = []
    for number, statement, outcome in _parse(document.text, statements):
        if isinstance(outcome, pst.Template):
            parsed.append((number, statement, outcome))
        else:
            report(statement, outcome[0], None, outcome[1])

    compiled: list[CompiledPolicy] = []
    for number, statement, template in parsed:
        line, column = lines.position(statement.start)
        policy_id = template.annotations.get("id", f"{document.name}#{number}")
        info = _policy_info(policy_id, template, document.name, line, column, statement.text)
        for annotation, problem in _annotation_problems(info):
            report(statement, statement.annotation_offset(annotation), policy_id, problem)
        compiled.append(CompiledPolicy(info, template))

    if parsed:
        joined = "\n".join(statement.text for _, statement, _ in parsed)
        result = cedarpy.validate_policies(joined, schema_for(arguments))
        for error in result.errors:
            position = _positional_index(error.policy_id)
            if position is None or position >= len(parsed):
                report(parsed[0][1], 0, None, error.error)
                continue
            _, statement, _ = parsed[position]
            # Cedar repeats a context error once per action the policy applies to.
            message = _ONE_ACTION.sub("", clean_validation_message(error.error))
            offset = locate_validation_error(statement, message)
            report(statement, offset, compiled[position].info.id, message)
    unique = dict.fromkeys(diagnostics)
    return compiled, sorted(unique, key=lambda d: (d.line, d.column))


def _parse(
    text: str, statements: list[Statement]
) -> list[tuple[int, Statement, pst.Template | tuple[int, str]]]:
    """Each statement with its 1-based number and its template or (offset, parse error)."""
    try:
        whole = cedarpy.policies_to_pst(text)
    except ValueError:
        whole = None
    if whole is not None and not whole.templates and len(whole.static_policies) == len(statements):
        return [
            (number + 1, statement, whole.static_policies[f"policy{number}"])
            for number, statement in enumerate(statements)
        ]
    results: list[tuple[int, Statement, pst.Template | tuple[int, str]]] = []
    for number, statement in enumerate(statements, start=1):
        try:
            single = cedarpy.policies_to_pst(statement.text)
        except ValueError as error:
            offset = locate_parse_error(statement, str(error), _parse_only)
            results.append((number, statement, (offset, f"parse error: {error}")))
            continue
        if single.templates:
            message = "templates (?principal, ?resource) are not supported; name the entity"
            results.append((number, statement, (0, message)))
        else:
            results.extend((number, statement, p) for p in single.static_policies.values())
    return results


def _parse_only(text: str) -> None:
    cedarpy.PolicySet.from_str(text)


def _positional_index(cedar_id: str) -> int | None:
    suffix = cedar_id.removeprefix("policy")
    return int(suffix) if suffix.isdigit() and suffix != cedar_id else None


def _annotation_problems(info: PolicyInfo) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    notes = info.annotations
    if "id" in notes and not notes["id"].strip():
        problems.append(("id", "@id must not be empty"))
    if "outcome" in notes and not info.is_hold:
        problems.append(("outcome", 'only a forbid may carry @outcome, and only "approval"'))
    if "approver" in notes:
        approver = notes["approver"]
        if not info.is_hold:
            problems.append(("approver", '@approver belongs on an @outcome("approval") forbid'))
        elif (problem := approver_problem(approver)) is not None:
            problems.append(("approver", problem))
    if "approval_ttl_s" in notes:
        ttl = notes["approval_ttl_s"]
        if not info.is_hold:
            problems.append(
                ("approval_ttl_s", '@approval_ttl_s belongs on an @outcome("approval") forbid')
            )
        elif not ttl.isdigit() or not 60 <= int(ttl) <= 86_400:
            problems.append(("approval_ttl_s", "@approval_ttl_s is whole seconds, 60 to 86400"))
    if "obligation" in notes and info.effect != "permit":
        problems.append(("obligation", "@obligation belongs on a permit"))
    return problems


def approver_problem(approver: str) -> str | None:
    """Why ``approver`` is not a valid approver rule, or None if it is."""
    if approver in _APPROVERS:
        return None
    if approver.startswith("role:"):
        role = approver.removeprefix("role:")
        if role in _ROLES:
            return None
        # A role nobody can hold would leave every call it holds waiting forever.
        return f"approver {approver!r} names no role; roles are {', '.join(sorted(_ROLES))}"
    allowed = "requester, agent_owner, resource_owner, data_owner or role:<name>"
    return f"approver {approver!r} is not one of {allowed}"
