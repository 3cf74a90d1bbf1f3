"""One checked call of a framework's tool: the part every adapter shares.

An adapter turns a framework's tool invocation into ``arguments`` (a dict), asks
:class:`ToolGuard` for a :class:`GuardedCall`, and then:

1. ``authorize()`` — the gateway decides (waiting for people first when the guard has
   ``wait`` and the call is held); the answer has a :class:`Verdict`; an allowed call's
   obligations are honoured (:func:`proctor.sdk._obligations.honour_obligations`), and
   ``answer.arguments`` are the arguments to run it with (the provenance stamp applied).
   An obligation it cannot honour refuses the call (``obligation_unmet``);
2. only when the verdict allows: run the tool with ``answer.arguments``, then
   ``succeeded(result)`` or ``failed(error)``; a refused call records ``skipped`` itself.
   What the tool returned goes with the outcome (bounded, as JSON): the gateway screens
   it for instructions aimed at the agent and keeps it for value provenance.

The adapter shows a refusal the way its framework expects (an error the model reads,
an interruption). Same semantics as :func:`proctor.sdk.guarded`, for tools whose
arguments arrive as a dict rather than a Python signature.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum
from typing import Any

from pydantic_core import PydanticSerializationError, to_jsonable_python

from proctor.approvals import ApprovalStatus
from proctor.errors import ProctorError
from proctor.model import Decision, Outcome, OutcomeStatus, ToolCall
from proctor.sdk import Checker, current_session, wait
from proctor.sdk._obligations import (
    OBLIGATION_UNMET,
    STAMP_PARAMETER,
    ObligationUnmet,
    honour_obligations,
)

#: A task token, or a function returning the current one (for agents that refresh it).
TokenSource = str | Callable[[], str]
#: A fixed resource id, or a function of the call's arguments that names it (or None).
ResourceSpec = str | Callable[[Mapping[str, Any]], str | None] | None

#: How much of a result or an error an outcome summary keeps.
MAX_SUMMARY = 1000
#: How long a repr standing in for a value JSON cannot hold may be.
MAX_REPR = 200
#: How large (UTF-8 bytes of its JSON) a tool's result sent with its outcome may be;
#: a larger one is sent as the start of its JSON text. Well below the server's default
#: request limit (256 KiB), above what the injection screen examines of most results.
MAX_RESULT_BYTES = 64 * 1024

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
    #: For a call that may run: its arguments, with the decision's obligations applied.
    arguments: Mapping[str, Any] | None = None

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
    #: The string argument an allowed call's provenance stamp is appended to.
    stamp: str | None = None
    #: The tool has a ``proctor_stamp`` parameter: it receives the stamp's parts.
    takes_stamp: bool = False

    def begin(
        self, arguments: Mapping[str, Any], run_with: Mapping[str, Any] | None = None
    ) -> GuardedCall:
        """A call with these arguments (as the model sent them), not yet checked.

        ``arguments`` are judged; ``run_with`` (default: the same) are what the tool
        runs with, obligations applied: they may hold values the framework injects
        that the model did not choose. ``proctor_stamp`` is never judged.

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
        plain = {
            str(name): json_value(value)
            for name, value in arguments.items()
            if name != STAMP_PARAMETER
        }
        resource = self.resource(plain) if callable(self.resource) else self.resource
        call = ToolCall(tool=self.tool, arguments=plain, resource=resource)
        return GuardedCall(
            checker,
            token,
            call,
            self.wait,
            run_with=arguments if run_with is None else run_with,
            stamp=self.stamp,
            takes_stamp=self.takes_stamp,
        )


class GuardedCall:
    """One call: its decision, and the outcome it reports under the token it was checked with."""

    def __init__(
        self,
        checker: Checker,
        token: str,
        call: ToolCall,
        wait_for: timedelta | None,
        *,
        run_with: Mapping[str, Any] | None = None,
        stamp: str | None = None,
        takes_stamp: bool = False,
    ) -> None:
        self.checker = checker
        self.token = token
        self.call = call
        self.wait_for = wait_for
        self.decision: Decision | None = None
        self.run_with = dict(call.arguments if run_with is None else run_with)
        self.stamp = stamp
        self.takes_stamp = takes_stamp

    def authorize(self) -> Answer:
        """Decide the call (waiting for people when it is held and ``wait`` allows); an
        allowed call's answer carries the arguments to run it with, obligations applied."""
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
        if answer.verdict is Verdict.RUN:
            return self._honoured(decision, answer)
        if answer.verdict is Verdict.REFUSED:
            self._record(OutcomeStatus.SKIPPED, "not run: the call was denied")
        return answer

    def _honoured(self, decision: Decision, answer: Answer) -> Answer:
        """The allowed answer with the arguments to run with, or a refusal when an
        obligation cannot be honoured (the call must not run)."""
        try:
            arguments = honour_obligations(
                decision,
                self.run_with,
                tool=self.call.tool,
                stamp_argument=self.stamp,
                takes_stamp=self.takes_stamp,
            )
        except ObligationUnmet as exc:
            self._record(OutcomeStatus.SKIPPED, cut(f"not run: {exc}", MAX_SUMMARY))
            return Answer(Verdict.REFUSED, decision.id, OBLIGATION_UNMET, str(exc))
        return replace(answer, arguments=arguments)

    def succeeded(self, result: object) -> None:
        """Record that the call ran; ``result`` (what the tool returned) goes along to be
        screened for instructions aimed at the agent."""
        self._record(
            OutcomeStatus.SUCCEEDED, short_repr(result, MAX_SUMMARY), outcome_result(result)
        )

    def skipped(self, summary: str) -> None:
        self._record(OutcomeStatus.SKIPPED, cut(summary, MAX_SUMMARY))

    def failed(self, error: BaseException | str) -> None:
        summary = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self._record(OutcomeStatus.FAILED, cut(summary, MAX_SUMMARY))

    def _record(self, status: OutcomeStatus, summary: str, result: object = None) -> None:
        decision = self.decision
        # Only a decision the gateway recorded can have an outcome; a local deny (the
        # gateway was unreachable) has no audit entry to attach it to.
        if decision is None or decision.audit_seq is None:
            return
        try:
            self.checker.record_outcome(self.token, decision.id, status, summary, result=result)
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


def outcome_result(value: object, limit: int = MAX_RESULT_BYTES) -> object:
    """What a tool returned, as the JSON sent with its outcome, at most ``limit`` bytes.

    A string stays a string; anything JSON can hold takes its JSON form (Pydantic models,
    dataclasses, dates); anything else is ``str(value)``. A value over ``limit`` is sent
    as the start of its text (its JSON text, for a structure).
    """
    plain: object
    try:
        plain = to_jsonable_python(value)
    except (PydanticSerializationError, ValueError, TypeError, RecursionError):
        plain = _text_of(value)
    if _wire_size(plain) <= limit:
        return plain
    text = plain if isinstance(plain, str) else json.dumps(plain, ensure_ascii=False)
    # Escapes can make a string longer on the wire than in memory: cut until it fits.
    keep = limit
    while _wire_size(text[:keep]) > limit:
        keep //= 2
    return text[:keep]


def _text_of(value: object) -> str:
    try:
        return str(value)
    except Exception:
        return short_repr(value, MAX_REPR)


def _wire_size(value: object) -> int:
    try:
        return len(json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    except (TypeError, ValueError, RecursionError):
        return len(short_repr(value, MAX_REPR))


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


def schema_properties(schema: Mapping[str, Any]) -> set[str] | None:
    """The argument names a JSON schema of a tool's arguments declares (None: unknown)."""
    properties = schema.get("properties")
    return {str(name) for name in properties} if isinstance(properties, Mapping) else None


def hide_stamp_parameter(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON schema of a tool's arguments without ``proctor_stamp``: the guard fills it
    in, so the model is not asked for it."""
    hidden = dict(schema)
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        hidden["properties"] = {k: v for k, v in properties.items() if k != STAMP_PARAMETER}
    required = schema.get("required")
    if isinstance(required, list):
        hidden["required"] = [name for name in required if name != STAMP_PARAMETER]
    return hidden


def check_stamp_target(tool: str, stamp: str | None, parameters: set[str] | None) -> None:
    """Refuse, when wrapping, a ``stamp=`` argument the tool does not have."""
    if stamp is not None and parameters is not None and stamp not in parameters:
        raise TypeError(f"stamp={stamp!r}: the tool {tool} has no such argument")


def check_stamp_names(stamps: Mapping[str, str], names: set[str]) -> None:
    """Refuse a ``stamps`` mapping that names tools not among those being wrapped."""
    strays = sorted(set(stamps) - names)
    if strays:
        raise TypeError(f"stamps names tools that are not there: {', '.join(strays)}")
