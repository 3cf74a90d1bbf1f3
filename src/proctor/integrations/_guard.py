"""One checked call of a framework's tool: the part every adapter shares.

An adapter turns a framework's tool invocation into ``arguments`` (a dict), asks
:class:`ToolGuard` for a :class:`GuardedCall`, and then:

1. ``authorize()`` — the gateway decides (waiting for people first when the guard has
   ``wait`` and the call is held); the answer is a :class:`Verdict`;
2. only when the verdict allows: run the tool, then ``succeeded(result)`` or
   ``failed(error)``; a refused call records ``skipped`` itself.

The adapter shows a refusal the way its framework expects (an error the model reads,
an interruption). Same semantics as :func:`proctor.sdk.guarded`, for tools whose
arguments arrive as a dict rather than a Python signature.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from pydantic_core import to_jsonable_python

from proctor.approvals import ApprovalStatus
from proctor.errors import ProctorError
from proctor.model import Decision, Outcome, OutcomeStatus, ToolCall
from proctor.sdk import Checker, current_session, wait

#: A task token, or a function returning the current one (for agents that refresh it).
TokenSource = str | Callable[[], str]
#: A fixed resource id, or a function of the call's arguments that names it (or None).
ResourceSpec = str | Callable[[Mapping[str, Any]], str | None] | None

#: How much of a result or an error an outcome summary keeps.
MAX_SUMMARY = 1000
#: How long a repr standing in for a value JSON cannot hold may be.
MAX_REPR = 200

log = logging.getLogger("proctor.integrations")


class Verdict(StrEnum):
    """What a checked call may do."""

    RUN = "run"
    HELD = "held"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Answer:
    """The gateway's answer to one call, and the sentence the model is shown."""

    verdict: Verdict
    decision_id: str
    code: str
    reasons: str
    approval_id: str | None = None

    def message(self, tool: str) -> str:
        """What the agent's model reads when the call does not run."""
        if self.verdict is Verdict.HELD:
            request = f", approval request {self.approval_id}" if self.approval_id else ""
            return (
                f"Proctor held the call to {tool} for a person's approval (decision "
                f"{self.decision_id}{request}): {self.reasons}. It has not run. Once a person "
                "approves it, the same call with the same arguments will be allowed."
            )
        return (
            f"Proctor denied the call to {tool} ({self.code}, decision {self.decision_id}): "
            f"{self.reasons}. It has not run; do not retry the same call."
        )

    def details(self, tool: str) -> dict[str, Any]:
        """The answer as plain JSON, for frameworks that carry metadata with an interruption."""
        return {
            "tool": tool,
            "verdict": self.verdict.value,
            "decision_id": self.decision_id,
            "approval_id": self.approval_id,
            "code": self.code,
            "reasons": self.reasons,
        }


def answer_from(decision: Decision) -> Answer:
    verdict = {
        Outcome.ALLOW: Verdict.RUN,
        Outcome.REQUIRE_APPROVAL: Verdict.HELD,
        Outcome.DENY: Verdict.REFUSED,
    }[decision.outcome]
    return Answer(verdict, decision.id, decision.code, decision.explain(), decision.approval_id)


@dataclass(frozen=True, slots=True)
class ToolGuard:
    """How one framework tool is checked: its name in the inventory, the resource it
    touches, who checks, under which token, and how long a held call waits."""

    tool: str
    resource: ResourceSpec = None
    checker: Checker | None = None
    token: TokenSource | None = None
    wait: timedelta | None = None

    def begin(self, arguments: Mapping[str, Any]) -> GuardedCall:
        """A call with these arguments (as the model sent them), not yet checked.

        Raises ``ProctorError`` (``no_session``) when neither the guard nor an active
        :func:`proctor.sdk.session` names a checker and a token.
        """
        active = current_session()
        checker = self.checker or (active.checker if active else None)
        token_source = self.token or (active.token if active else None)
        if checker is None or not token_source:
            raise ProctorError(
                f"the tool {self.tool} needs a checker and a task token: pass them when "
                "wrapping it or run the agent inside 'with session(checker, token=...)'",
                code="no_session",
            )
        token = token_source() if callable(token_source) else token_source
        plain = {str(name): json_value(value) for name, value in arguments.items()}
        resource = self.resource(plain) if callable(self.resource) else self.resource
        call = ToolCall(tool=self.tool, arguments=plain, resource=resource)
        return GuardedCall(checker, token, call, self.wait)


class GuardedCall:
    """One call: its decision, and the outcome it reports under the token it was checked with."""

    def __init__(
        self, checker: Checker, token: str, call: ToolCall, wait_for: timedelta | None
    ) -> None:
        self.checker = checker
        self.token = token
        self.call = call
        self.wait_for = wait_for
        self.decision: Decision | None = None

    def authorize(self) -> Answer:
        """Decide the call (waiting for people when it is held and ``wait`` allows)."""
        decision = self.decision = self.checker.check(self.token, self.call)
        if decision.outcome is Outcome.REQUIRE_APPROVAL and self.wait_for is not None:
            request = wait(
                decision.id, timeout=self.wait_for, checker=self.checker, token=self.token
            )
            if request.status is ApprovalStatus.APPROVED:
                # The same call again: allowed now, under the held decision's id.
                decision = self.decision = self.checker.check(self.token, self.call)
            elif request.decided:
                said = {
                    ApprovalStatus.DENIED: (
                        "approval_denied",
                        f"denied by {request.decided_by}: {request.decision_reason}",
                    ),
                    ApprovalStatus.EXPIRED: (
                        "approval_expired",
                        "nobody answered before the request expired",
                    ),
                }.get(
                    request.status,
                    ("approval_not_usable", f"the approval was already {request.status.value}"),
                )
                self._record(OutcomeStatus.SKIPPED, f"not run: {said[1]}")
                return Answer(Verdict.REFUSED, decision.id, said[0], said[1], request.id)
        answer = answer_from(decision)
        if answer.verdict is Verdict.REFUSED:
            self._record(OutcomeStatus.SKIPPED, "not run: the call was denied")
        return answer

    def succeeded(self, result: object) -> None:
        self._record(OutcomeStatus.SUCCEEDED, short_repr(result, MAX_SUMMARY))

    def skipped(self, summary: str) -> None:
        self._record(OutcomeStatus.SKIPPED, cut(summary, MAX_SUMMARY))

    def failed(self, error: BaseException | str) -> None:
        summary = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self._record(OutcomeStatus.FAILED, cut(summary, MAX_SUMMARY))

    def _record(self, status: OutcomeStatus, summary: str) -> None:
        decision = self.decision
        # Only a decision the gateway recorded can have an outcome; a local deny (the
        # gateway was unreachable) has no audit entry to attach it to.
        if decision is None or decision.audit_seq is None:
            return
        try:
            self.checker.record_outcome(self.token, decision.id, status, summary)
        except Exception:
            # The call has already run (or been refused): a lost outcome is worth a
            # warning, not a second failure inside the agent's framework.
            log.warning(
                "could not record outcome %s of decision %s", status, decision.id, exc_info=True
            )


def json_value(value: Any) -> Any:
    """``value`` as plain JSON; what JSON cannot hold becomes a short repr.

    Pydantic models, dataclasses, dates and enums take their JSON form, so the decision
    (and any approval) is about the values the model sent.
    """
    try:
        return to_jsonable_python(value, fallback=lambda item: short_repr(item, MAX_REPR))
    except Exception:
        return short_repr(value, MAX_REPR)


def short_repr(value: object, limit: int) -> str:
    """``repr(value)`` (a string as itself) cut to ``limit`` characters; never raises."""
    if isinstance(value, str):
        return cut(value, limit)
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__} (repr failed)>"
    return cut(text, limit)


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
