"""Decisions as values: from a judgment, as a refusal, with a risk score."""

from __future__ import annotations

from typing import Any

from proctor.model import ActionClass, CheckRequest, Decision, Outcome, Reason, Tool
from proctor.policy import Judgment, PolicyInput
from proctor.store import utcnow

_ACTION_RISK = {
    ActionClass.READ: 10,
    ActionClass.WRITE: 30,
    ActionClass.EXECUTE: 50,
    ActionClass.PUBLISH: 60,
    ActionClass.SEND_EXTERNAL: 70,
    ActionClass.DELETE: 80,
    ActionClass.MODIFY_PERMISSIONS: 80,
    ActionClass.SPEND: 80,
}
_LABEL_RISK = {"public": 0, "internal": 5, "confidential": 15, "restricted": 25}


def decision_from(
    decision_id: str,
    request: CheckRequest,
    judgment: Judgment,
    tool: Tool | None,
    policy_input: PolicyInput,
) -> Decision:
    return Decision(
        id=decision_id,
        outcome=judgment.outcome,
        code=judgment.code,
        reasons=judgment.reasons,
        obligations=judgment.obligations,
        risk=risk(tool, policy_input.resource.label),
        request=request,
        decided_at=utcnow(),
    )


def risk(tool: Tool | None, label: str) -> int:
    """A 0-100 score: what the action could do plus how sensitive the data is."""
    if tool is None:
        return 100
    return min(100, _ACTION_RISK[tool.action_class] + _LABEL_RISK.get(label, 25))


def refusal(decision_id: str, request: CheckRequest, code: str, message: str) -> Decision:
    return Decision(
        id=decision_id,
        outcome=Outcome.DENY,
        code=code,
        reasons=(Reason(policy_id=code, text=message, effect=Outcome.DENY),),
        risk=100,
        request=request,
        decided_at=utcnow(),
    )


def reason_body(reason: Reason) -> dict[str, Any]:
    body: dict[str, Any] = {
        "policy_id": reason.policy_id,
        "text": reason.text,
        "effect": reason.effect.value,
    }
    if reason.approver:
        body["approver"] = reason.approver
    return body
