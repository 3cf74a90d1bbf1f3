"""Who may answer an approval request: the rules of the holding policies, roles, and
separation of duties."""

from __future__ import annotations

from proctor.approvals._model import ApprovalRequest
from proctor.people import Person, Role

#: Roles that may approve at all (besides what each rule asks).
APPROVING_ROLES = frozenset({Role.APPROVER, Role.ADMIN})


def may_sign(person: Person, rule: str, request: ApprovalRequest) -> bool:
    """Whether ``person`` may sign off ``rule`` of ``request``.

    Only people with the role ``approver`` or ``admin`` approve anything. Separation
    of duties: where a rule names someone other than the requester, the requester
    may not sign it, even holding the right role or ownership. Nobody acting in
    the delegation chain (an agent) is a person who may approve.
    """
    if person.disabled or person.roles.isdisjoint(APPROVING_ROLES):
        return False
    if person.id in request.chain[1:]:
        return False
    if rule == "requester":
        return person.id == request.requester
    if person.id == request.requester:
        return False
    if rule.startswith("role:"):
        return rule.removeprefix("role:") in {role.value for role in person.roles}
    return person.id == request.approvers.get(rule)


def may_answer(person: Person, request: ApprovalRequest) -> bool:
    """Whether ``person`` may sign off at least one rule the request still waits for."""
    return any(may_sign(person, rule, request) for rule in request.waiting_for)


def may_deny(person: Person, request: ApprovalRequest) -> bool:
    """Whether ``person`` may deny ``request``: an admin, the requester, or anyone who
    may sign one of its rules, as long as they approve at all and are not in the chain."""
    if person.disabled or person.roles.isdisjoint(APPROVING_ROLES):
        return False
    if person.id in request.chain[1:]:
        return False
    return (
        Role.ADMIN in person.roles
        or person.id == request.requester
        or any(may_sign(person, rule, request) for rule in request.approvers)
    )


def not_an_approver(person: Person, request: ApprovalRequest) -> str:
    wanted = ", ".join(_describe(rule, request) for rule in request.waiting_for) or "nobody"
    return f"person:{person.id} may not answer this request; it waits for {wanted}"


def _describe(rule: str, request: ApprovalRequest) -> str:
    named = request.approvers.get(rule)
    return f"{rule} ({named})" if named else rule
