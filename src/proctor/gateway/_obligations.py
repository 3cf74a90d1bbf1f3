"""What the caller must do with an allowed call, beyond running it.

- ``provenance_stamp`` — every allowed ``publish`` and ``send_external``: the outgoing
  content is marked as written by an agent, for whom, on which task, under which
  decision, and whether (and by whom) a person reviewed it. ``params.text`` is the
  stamp rendered from the configured template; the other params are its parts, for a
  tool that takes them as metadata.
- ``untrusted_content`` — an argument carries values that came from untrusted content
  (not the call's target: that is held). Informational: the call may run; the SDK
  logs it and an integration may show it.
"""

from __future__ import annotations

from dataclasses import replace

from proctor.model import ActionClass, Decision, Obligation, Tool
from proctor.policy import PolicyInput

STAMP = "provenance_stamp"
UNTRUSTED_CONTENT = "untrusted_content"
_STAMPED = frozenset({ActionClass.PUBLISH, ActionClass.SEND_EXTERNAL})


def with_obligations(
    decision: Decision, tool: Tool | None, facts: PolicyInput, template: str
) -> Decision:
    """``decision`` with the obligations an allowed call carries."""
    if not decision.allowed or tool is None:
        return decision
    added: list[Obligation] = []
    if tool.action_class in _STAMPED:
        added.append(_stamp(decision, facts, template))
    flagged = facts.provenance.flagged
    if flagged:
        added.append(
            Obligation(
                UNTRUSTED_CONTENT,
                {"arguments": list(flagged), "why": facts.provenance.content_why},
            )
        )
    if not added:
        return decision
    return replace(decision, obligations=(*decision.obligations, *added))


def _stamp(decision: Decision, facts: PolicyInput, template: str) -> Obligation:
    reviewers = list(decision.reviewed_by)
    reviewed = f"reviewed by {', '.join(reviewers)}" if reviewers else "not reviewed by a person"
    params = {
        "agent": facts.agent.id,
        "on_behalf_of": facts.task.requester,
        "task": facts.task.id,
        "decision_id": decision.id,
        "reviewed_by": reviewers,
    }
    text = template.format(
        agent=facts.agent.id,
        on_behalf_of=facts.task.requester,
        task=facts.task.id,
        decision_id=decision.id,
        review=reviewed,
    )
    return Obligation(STAMP, {**params, "text": text})
