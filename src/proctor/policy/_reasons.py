"""Reason texts: the ``@reason`` templates of policies, filled from the call."""

from __future__ import annotations

import re

from proctor.model import Outcome, Reason
from proctor.policy._compile import PolicyInfo
from proctor.policy._facts import PolicyInput

#: The reason's policy id when nothing permits a call.
DEFAULT_DENY = "default-deny"
#: The reason's policy id when an error is not tied to one policy.
POLICY_ERROR = "policy-error"

_PLACEHOLDER = re.compile(r"\{([a-z_.]+)\}")
_EMPTY = "(none)"


def placeholders(facts: PolicyInput) -> dict[str, str]:
    """The values a ``@reason`` template may name, e.g. ``{action}`` or ``{task.granted}``.

    ``{resource}`` is the tool's name when the call names no resource; an empty
    value reads ``(none)``.
    """
    tool, task, resource = facts.tool, facts.task, facts.resource
    audience = tool.audience if tool is not None and tool.audience is not None else ""
    return {
        "action": facts.action or _EMPTY,
        "tool": facts.tool_name or _EMPTY,
        "agent": facts.agent.id or _EMPTY,
        "requester": task.requester or _EMPTY,
        "task.granted": task.granted or _EMPTY,
        "task.purpose": task.purpose or _EMPTY,
        "resource": resource.id or facts.tool_name or _EMPTY,
        "resource.label": resource.label or _EMPTY,
        "resource.owner": resource.owner or _EMPTY,
        "tool.label": tool.label if tool is not None else _EMPTY,
        "tool.audience": audience or _EMPTY,
        "tool.review": (tool.review if tool is not None else None) or _EMPTY,
        "requester.clearance": facts.requester.clearance or _EMPTY,
        "requester.why": facts.requester.why or _EMPTY,
        "session.label": facts.session.label or _EMPTY,
        "session.owner": facts.session.owner or _EMPTY,
        "session.why": facts.session.why or _EMPTY,
        "call.why": facts.call.why or _EMPTY,
        "call.audience": facts.call.audience or "an undeclared audience",
        "provenance.why": facts.provenance.why or _EMPTY,
        "monitor.why": facts.monitor.why or _EMPTY,
        "monitor.anomaly_score": str(facts.monitor.anomaly_score),
    }


def render(template: str, values: dict[str, str]) -> str:
    """``template`` with each known ``{placeholder}`` filled; unknown ones are left as is."""
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), template)


def policy_text(info: PolicyInfo, values: dict[str, str]) -> str:
    """The policy's ``@reason``, filled in, or a plain default naming the policy."""
    template = info.annotations.get("reason")
    if template is None:
        if info.effect == "permit":
            template = f"policy {info.id} permits {{action}} on {{tool}}"
        elif info.is_hold:
            template = f"policy {info.id} holds {{action}} on {{tool}} for approval"
        else:
            template = f"policy {info.id} forbids {{action}} on {{tool}}"
    return render(template, values)


def policy_reason(info: PolicyInfo, values: dict[str, str]) -> Reason:
    """The reason a satisfied policy gives for the outcome it points to."""
    if info.effect == "permit":
        effect = Outcome.ALLOW
    elif info.is_hold:
        effect = Outcome.REQUIRE_APPROVAL
    else:
        effect = Outcome.DENY
    return Reason(info.id, policy_text(info, values), effect, info.approver)


def default_deny(values: dict[str, str]) -> Reason:
    """The reason when no policy permits the call (Cedar's default deny)."""
    return Reason(
        DEFAULT_DENY, render("no policy permits {action} on {tool}", values), Outcome.DENY
    )


def error_reason(policy_id: str | None, message: str) -> Reason:
    """The reason when a policy (or the request itself) could not be evaluated."""
    if policy_id is None:
        return Reason(POLICY_ERROR, f"the call could not be evaluated: {message}", Outcome.DENY)
    return Reason(policy_id, f"policy {policy_id} could not be evaluated: {message}", Outcome.DENY)
