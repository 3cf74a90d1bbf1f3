"""Claude Code's ``PreToolUse``, ``PostToolUse`` and ``PostToolUseFailure`` hooks.

Follows the hook contract of Claude Code's hooks reference
(https://code.claude.com/docs/en/hooks): the event arrives as one JSON object on stdin
(``session_id``, ``cwd``, ``hook_event_name``, ``tool_name``, ``tool_input``,
``tool_use_id``; ``tool_response`` after success, ``error`` after failure).

- **PreToolUse** answers ``hookSpecificOutput.permissionDecision``: ``allow``,
  ``ask`` (held for approval; the decision and request ids are in the reason, which
  Claude Code shows the user) or ``deny`` (the reason goes to Claude). A deny also
  exits with code 2 and repeats the reason on stderr: exit code 2 blocks the call even
  if the JSON were not read, which is what failing closed needs. An allowed call that
  must carry a provenance stamp is allowed with ``updatedInput``: its input with the
  stamp on the argument ``stamps`` names for the tool; one the hook cannot stamp is
  denied (``obligation_unmet``). See :mod:`._stamps`.
- **PostToolUse** / **PostToolUseFailure** record the outcome of the decision
  PreToolUse kept for that ``tool_use_id``, with the ``tool_response`` as the result the
  gateway screens for instructions aimed at the agent; they never block (the tool
  already ran).

Anything broken (input that is not the documented shape, no token, a gateway that
cannot be reached, an error inside Proctor) denies with a sentence saying what to fix.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from proctor.approvals import ApprovalStatus
from proctor.integrations._guard import outcome_result
from proctor.integrations.claude_code._mapping import map_call
from proctor.integrations.claude_code._stamps import STAMPS_ENV, stamp_argument, stamped_input
from proctor.integrations.claude_code._state import CallState, PendingCall
from proctor.model import Decision, Outcome, OutcomeStatus, ToolCall
from proctor.sdk import Checker, wait
from proctor.sdk._obligations import OBLIGATION_UNMET, ObligationUnmet

log = logging.getLogger("proctor.integrations.claude_code")

#: Exit code that makes Claude Code block a PreToolUse call whatever stdout says.
EXIT_BLOCK = 2
#: Outcome summaries keep this much of a tool's response or error.
MAX_SUMMARY = 500
#: Hook input larger than this is refused unread (Claude Code's own inputs are far smaller).
MAX_INPUT = 8 * 1024 * 1024

OnHold = Literal["ask", "deny"]


@dataclass(frozen=True, slots=True)
class HookResult:
    """What the hook process prints and how it exits."""

    output: dict[str, Any] | None
    exit_code: int = 0
    stderr: str = ""

    def stdout(self) -> str:
        return "" if self.output is None else json.dumps(self.output, ensure_ascii=False)


def permission(
    decision: str, reason: str, updated_input: Mapping[str, Any] | None = None
) -> HookResult:
    """A PreToolUse answer; a deny also exits 2 with the reason on stderr. With
    ``updated_input``, the tool runs with that input instead of Claude's."""
    specific: dict[str, Any] = {
        "hookEventName": "PreToolUse",
        "permissionDecision": decision,
        "permissionDecisionReason": reason,
    }
    if updated_input is not None:
        specific["updatedInput"] = dict(updated_input)
    output = {"hookSpecificOutput": specific}
    if decision == "deny":
        return HookResult(output, EXIT_BLOCK, reason)
    return HookResult(output)


def refuse(reason: str) -> HookResult:
    """Fail closed: deny the call, saying what is wrong."""
    return permission("deny", f"Proctor: {reason}")


@dataclass(frozen=True, slots=True)
class HookEvent:
    """The fields of the hook input this hook uses, checked."""

    name: str
    session_id: str
    tool_use_id: str
    tool_name: str
    tool_input: Mapping[str, Any]
    cwd: str
    raw: Mapping[str, Any]


def parse_event(stdin: bytes) -> HookEvent | str:
    """The event, or a sentence saying why the input is not a hook event."""
    if len(stdin) > MAX_INPUT:
        return f"the hook input is larger than {MAX_INPUT} bytes"
    try:
        payload = json.loads(stdin.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return f"the hook input is not JSON ({exc})"
    if not isinstance(payload, dict):
        return "the hook input is not a JSON object"
    name, tool_name = payload.get("hook_event_name"), payload.get("tool_name")
    tool_input = payload.get("tool_input", {})
    if not isinstance(name, str) or not isinstance(tool_name, str) or not tool_name:
        return "the hook input has no hook_event_name or tool_name"
    if not isinstance(tool_input, dict):
        return "the hook input's tool_input is not an object"
    text = {key: payload.get(key) for key in ("session_id", "tool_use_id", "cwd")}
    return HookEvent(
        name=name,
        session_id=text["session_id"] if isinstance(text["session_id"], str) else "",
        tool_use_id=text["tool_use_id"] if isinstance(text["tool_use_id"], str) else "",
        tool_name=tool_name,
        tool_input=tool_input,
        cwd=text["cwd"] if isinstance(text["cwd"], str) else "",
        raw=payload,
    )


class ClaudeCodeHook:
    """Answers one hook event with the gateway behind ``checker``, under ``token``.

    ``checker`` is None (and ``problem`` says why) when the gateway could not be set
    up; every PreToolUse is then denied with that sentence. ``stamps`` maps a tool (its
    Claude Code name, or the inventory name it is checked as) to the argument an allowed
    call's provenance stamp is appended to.
    """

    def __init__(
        self,
        checker: Checker | None,
        token: str | None,
        *,
        state: CallState | None = None,
        on_hold: OnHold = "ask",
        wait_for: timedelta | None = None,
        problem: str = "",
        stamps: Mapping[str, str] | None = None,
    ) -> None:
        self.checker = checker
        self.token = token
        self.state = state or CallState()
        self.on_hold = on_hold
        self.wait_for = wait_for
        self.problem = problem
        self.stamps = dict(stamps or {})

    def handle(self, stdin: bytes) -> HookResult:
        """The answer to one hook input; never raises."""
        try:
            event = parse_event(stdin)
            if isinstance(event, str):
                return refuse(f"{event}; the call is denied")
            if event.name == "PreToolUse":
                return self.pre_tool_use(event)
            if event.name in ("PostToolUse", "PostToolUseFailure"):
                return self._after(event)
            return refuse(
                f"the hook does not handle {event.name!r} events; "
                "wire it to PreToolUse, PostToolUse and PostToolUseFailure"
            )
        except Exception as exc:
            log.exception("the Claude Code hook failed")
            return refuse(f"the hook failed ({type(exc).__name__}: {exc}); the call is denied")

    # -- before ---------------------------------------------------------------

    def pre_tool_use(self, event: HookEvent) -> HookResult:
        if self.checker is None:
            return refuse(self.problem or "no gateway is configured")
        if not self.token:
            return refuse(
                self.problem
                or "no task token: set PROCTOR_TOKEN (or PROCTOR_TOKEN_FILE) to the token of "
                "the task this session works on"
            )
        call = map_call(event.tool_name, event.tool_input, event.cwd)
        decision = self.checker.check(self.token, call)
        if decision.outcome is Outcome.REQUIRE_APPROVAL and self.wait_for is not None:
            decision, refused = self._wait(decision, call)
            if refused is not None:
                return refused
        label = f"{call.tool} ({event.tool_name})"
        if decision.outcome is Outcome.ALLOW:
            return self._allowed(event, decision, call, label)
        if decision.outcome is Outcome.REQUIRE_APPROVAL:
            return self._held(event, decision, call, label)
        return refuse(
            f"{label} is denied ({decision.code}, decision {decision.id}): {decision.explain()}"
        )

    def _allowed(
        self, event: HookEvent, decision: Decision, call: ToolCall, label: str
    ) -> HookResult:
        """Allow, with the input changed as the decision's obligations require; or deny
        when they cannot be honoured (the call must not run unstamped)."""
        argument = stamp_argument(self.stamps, event.tool_name, call.tool)
        try:
            updated = stamped_input(decision, event.tool_input, label=call.tool, argument=argument)
        except ObligationUnmet as exc:
            self._record_skipped(decision, f"not run: {exc}")
            hint = (
                ""
                if argument is not None
                else f" For the hook: set {STAMPS_ENV}='{event.tool_name}=<argument>'."
            )
            return refuse(
                f"{label} is denied ({OBLIGATION_UNMET}, decision {decision.id}): {exc}.{hint}"
            )
        self._keep(event, decision, call)
        said = f"Proctor allowed {label}: {decision.explain()}"
        if updated is not None:
            said += f"; its input carries the provenance stamp ({argument})"
        return permission("allow", said, updated)

    def _record_skipped(self, decision: Decision, summary: str) -> None:
        if self.checker is None or not self.token or decision.audit_seq is None:
            return
        try:
            self.checker.record_outcome(
                self.token, decision.id, OutcomeStatus.SKIPPED, _cut(summary)
            )
        except Exception:
            log.warning("could not record outcome of %s", decision.id, exc_info=True)

    def _held(self, event: HookEvent, decision: Decision, call: ToolCall, label: str) -> HookResult:
        request = decision.approval_id or "?"
        said = (
            f"Proctor holds {label} for a person's approval (decision {decision.id}, "
            f"approval request {request}): {decision.explain()}."
        )
        # A stamped tool confirmed in Claude Code would run as Claude sent it, unstamped:
        # it is refused instead, and stamped when the same call comes again, approved.
        stamped = stamp_argument(self.stamps, event.tool_name, call.tool) is not None
        if self.on_hold == "deny" or stamped:
            return refuse(
                said.removeprefix("Proctor ")
                + f" Approve it (proctor approvals approve {request}), then make the same call."
            )
        self._keep(event, decision, call)
        return permission(
            "ask",
            said + f" Approve it in Proctor (proctor approvals approve {request}) before you "
            "confirm here: confirming alone is recorded as running a held call.",
        )

    def _wait(self, held: Decision, call: ToolCall) -> tuple[Decision, HookResult | None]:
        """Wait for people; approved, the same call is checked again (and allowed)."""
        assert self.checker is not None
        assert self.token is not None
        assert self.wait_for is not None
        answer = wait(held.id, timeout=self.wait_for, checker=self.checker, token=self.token)
        if answer.status is ApprovalStatus.APPROVED:
            return self.checker.check(self.token, call), None
        if answer.decided:
            by = f" by {answer.decided_by}: {answer.decision_reason}" if answer.decided_by else ""
            return held, refuse(
                f"{call.tool} was not approved (approval request {answer.id} "
                f"{answer.status.value}{by}); the call is denied"
            )
        return held, None

    def _keep(self, event: HookEvent, decision: Decision, call: ToolCall) -> None:
        if not event.tool_use_id or decision.audit_seq is None:
            return
        pending = PendingCall(decision.id, decision.outcome.value, call.tool, decision.approval_id)
        try:
            self.state.save(event.session_id, event.tool_use_id, pending)
        except Exception:
            # The decision stands and is recorded; only its outcome will be missing.
            log.warning("could not keep decision %s for PostToolUse", decision.id, exc_info=True)

    # -- after ----------------------------------------------------------------

    def _after(self, event: HookEvent) -> HookResult:
        try:
            return self.post_tool_use(event)
        except Exception as exc:
            log.exception("the Claude Code hook failed after %s", event.tool_name)
            return _warn(f"Proctor could not record the outcome ({type(exc).__name__}: {exc})")

    def post_tool_use(self, event: HookEvent) -> HookResult:
        pending = self.state.take(event.session_id, event.tool_use_id)
        if pending is None:
            return HookResult(None, stderr="no Proctor decision is kept for this call")
        if self.checker is None or not self.token:
            return _warn(f"could not record the outcome of {pending.decision_id}: {self.problem}")
        failed = event.name == "PostToolUseFailure"
        status = OutcomeStatus.FAILED if failed else OutcomeStatus.SUCCEEDED
        summary = _summary(event.raw.get("error") if failed else event.raw.get("tool_response"))
        decision_id = pending.decision_id
        note = ""
        if pending.outcome == Outcome.REQUIRE_APPROVAL.value:
            # Confirmed in Claude Code: if people approved it in Proctor meanwhile, the
            # same call now passes under the held decision's id, spending the approval.
            call = map_call(event.tool_name, event.tool_input, event.cwd)
            again = self.checker.check(self.token, call)
            if not (again.outcome is Outcome.ALLOW and again.id == decision_id):
                note = (
                    f"Proctor: {pending.tool} ran without an approval in Proctor "
                    f"(decision {decision_id}); it is recorded as a violation."
                )
        # What the tool returned is screened for instructions aimed at the agent.
        result = None if failed else outcome_result(event.raw.get("tool_response"))
        try:
            self.checker.record_outcome(self.token, decision_id, status, summary, result=result)
        except Exception as exc:
            return _warn(f"could not record the outcome of {decision_id}: {exc}")
        return _warn(note) if note else HookResult(None)


def _warn(message: str) -> HookResult:
    """Tell the user (never blocks: the tool has already run)."""
    return HookResult({"systemMessage": message}, 0, message)


def _summary(value: Any) -> str:
    return _cut(value if isinstance(value, str) else json.dumps(value, default=repr))


def _cut(text: str) -> str:
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1] + "…"
