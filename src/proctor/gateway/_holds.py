"""Held calls: let one through on the approval people gave for exactly it, or open (or
point to) the request they must answer.

An approval is for the hash of (agent, task, tool, canonical arguments, resource):
one changed argument is another call, which needs its own approval. It lifts only
the holds its approvers signed for: if a policy added since asks someone else too,
the call waits for them in a new request.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from proctor.approvals import ApprovalRequest, ApprovalScope, HeldCall, call_hash
from proctor.gateway._acting import Acting
from proctor.gateway._decisions import reason_body
from proctor.model import Agent, Decision, Outcome, Reason, Task
from proctor.policy import Judgment, PolicyInput
from proctor.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Settled:
    """A held call's decision, and the approval request it opens, when it opens one.

    The request is not stored yet: it is stored with the decision's own audit entry,
    in one transaction (:meth:`Approvals.store`), so that it exists exactly when the
    decision that names it is recorded.
    """

    decision: Decision
    opening: ApprovalRequest | None = None


def settle_hold(
    runtime: Runtime,
    held: Decision,
    acting: Acting,
    agent: Agent,
    task: Task,
    facts: PolicyInput,
    judgment: Judgment,
) -> Settled:
    """``held`` allowed on a usable approval, denied on people's no, or held with the
    request to answer (an open one, or a new one to store with the decision)."""
    request = held.request
    assert request is not None
    approvals = runtime.approvals
    digest = call_hash(acting.agent_id, task.id, request.tool, request.arguments, request.resource)
    rules = holding_rules(held)
    standing = approvals.standing_for(task.id, digest, acting.agent_id, request.tool)
    approval = standing.usable
    if approval is not None and rules <= set(approval.approvers):
        allowed = _allow_approved(runtime, held, approval, facts, judgment)
        if allowed is not None:
            return Settled(allowed)
    if standing.denied is not None:
        return Settled(_denied_by_people(held, standing.denied))
    pending = standing.pending
    if pending is not None and rules <= set(pending.approvers):
        return Settled(replace(held, approval_id=pending.id))
    opening = approvals.prepare(_held_call(runtime, held, acting, agent, task, facts, digest))
    return Settled(replace(held, approval_id=opening.id), opening)


def _denied_by_people(held: Decision, denied: ApprovalRequest) -> Decision:
    """People said no to exactly this call on this task: asking again gets no again."""
    text = f"{denied.decided_by} denied this exact call ({denied.id}): {denied.decision_reason}"
    reason = Reason(policy_id="approval", text=text, effect=Outcome.DENY)
    # The holds stay as context, but nobody can lift them any more.
    holds = tuple(replace(r, effect=Outcome.DENY, approver=None) for r in held.reasons)
    return replace(
        held,
        outcome=Outcome.DENY,
        code="approval_denied",
        reasons=(reason, *holds),
        approval_id=denied.id,
    )


def holding_rules(held: Decision) -> set[str]:
    """Who the holding policies say may lift the hold (``requester``, ``role:security``…)."""
    return {reason.approver for reason in held.reasons if reason.approver}


def _allow_approved(
    runtime: Runtime,
    held: Decision,
    approval: ApprovalRequest,
    facts: PolicyInput,
    judged: Judgment,
) -> Decision | None:
    """The allow an approval earns, judged with ``approved`` by the current policies
    (they may have changed since people approved), after spending it; None if it no
    longer lets the call through.

    Holding the call already asked Cedar that question (``judged.lifted``); only a
    hold Cedar did not make (an open breaker's) is judged again here."""
    judgment = judged.lifted or runtime.policies.evaluate(replace(facts, approved=True))
    if judgment.outcome is not Outcome.ALLOW:
        return None
    if not runtime.approvals.use(approval.id, held.id):
        return None
    # A single-use approval answers the held decision: the call goes ahead under its
    # id, so its outcome is recorded against the decision people approved.
    same_call = approval.scope is ApprovalScope.CALL
    signed = ", ".join(sorted({signoff.by for signoff in approval.signoffs}))
    scope = "this call" if same_call else f"{approval.tool} for the rest of the task"
    reason = Reason(
        policy_id="approval",
        text=f"approved by {signed} ({scope}): {approval.decision_reason}",
        effect=Outcome.ALLOW,
    )
    return replace(
        held,
        id=approval.decision_id if same_call else held.id,
        outcome=Outcome.ALLOW,
        code="approved",
        reasons=(*judgment.reasons, reason),
        obligations=judgment.obligations,
        approval_id=approval.id,
        reviewed_by=tuple(sorted({signoff.by for signoff in approval.signoffs})),
    )


def _held_call(
    runtime: Runtime,
    held: Decision,
    acting: Acting,
    agent: Agent,
    task: Task,
    facts: PolicyInput,
    digest: str,
) -> HeldCall:
    request = held.request
    assert request is not None
    named = {
        "requester": task.requester,
        "agent_owner": agent.owner,
        "resource_owner": facts.resource.owner or None,
        # The owner of the resource the sensitive data came from; when the session does
        # not know it (the data came from a tool, not a resource), the agent's owner.
        "data_owner": facts.session.owner or agent.owner,
    }
    rules = [reason.approver for reason in held.reasons if reason.approver]
    holding = {reason.policy_id for reason in held.reasons if reason.approver}
    return HeldCall(
        decision_id=held.id,
        agent_id=acting.agent_id,
        task_id=task.id,
        requester=task.requester,
        purpose=task.purpose,
        chain=acting.chain,
        tool=request.tool,
        arguments=dict(request.arguments),
        resource=request.resource,
        reasons=tuple(reason_body(reason) for reason in held.reasons),
        risk=held.risk,
        approvers={rule: named.get(rule) for rule in dict.fromkeys(rules)},
        ttl_s=_approval_ttl_s(runtime, holding),
        call_hash=digest,
    )


def _approval_ttl_s(runtime: Runtime, policy_ids: set[str]) -> int:
    """The shortest ``@approval_ttl_s`` of the holding policies, else the configured default."""
    default = timedelta(seconds=runtime.settings.approvals.ttl_s)
    infos = [runtime.policies.policy(policy_id) for policy_id in policy_ids]
    ttls = [
        int(info.annotations["approval_ttl_s"])
        for info in infos
        if info is not None and "approval_ttl_s" in info.annotations
    ]
    return min(ttls, default=int(default.total_seconds()))
