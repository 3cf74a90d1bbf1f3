"""Every ``tools/call`` through ``check``: forward it, refuse it, or hold it.

- **allow** — forwarded to the upstream server; its result is reported as the
  decision's outcome with what the model will read of it (:func:`outcome_result`) for
  the gateway to screen for instructions aimed at the agent and to record for value
  provenance: before the agent sees it (:meth:`CallGate.report_outcome`), or, with
  the gateway in this process, handed over first and recorded once the agent has it
  (:meth:`CallGate.report_outcome_later`; the task's next check records it first).
- **deny** — not forwarded; the agent gets a tool result with ``isError: true`` whose
  text gives the reasons and the decision id (a result, not a protocol error, so the
  model reads it), and ``skipped`` is recorded.
- **require_approval** — with ``approval_wait`` 0 the agent hears at once that the
  call is held, with the decision id and how to resume (make the same call again
  once people approved). With a wait, the proxy long-polls the approval request;
  approved, it checks the same call again (allowed under the held decision's id)
  and forwards it; denied or expired, it answers as for a deny.

Results carry ``_meta["proctor/decision"]`` (id, outcome, code, approval id) for
programs; the text is for the model.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import mcp_types as types

from proctor.approvals import ApprovalRequest, ApprovalStatus
from proctor.gateway import MAX_APPROVAL_WAIT, Gateway
from proctor.model import Decision, Outcome, OutcomeStatus, ToolCall
from proctor.sdk import Checker

log = logging.getLogger("proctor.integrations.mcp")

#: ``_meta`` key of the decision on every result the proxy makes or passes on.
META_KEY = "proctor/decision"
#: How much of a tool's result an outcome summary keeps.
MAX_SUMMARY = 1000
#: How many characters of a tool's result are passed on to the gateway for screening
#: and value provenance (text and structured content together). Even with every
#: character escaped as JSON ``\uXXXX``, that fits the gateway's default request
#: body limit (256 KiB) with room to spare.
MAX_RESULT_CHARS = 32_000
#: Marks where :func:`outcome_result` cut the middle out of a long text.
CUT_MARK = "\n[…]\n"
# A wait is cut in slices this long, so a cancelled call stops waiting soon and
# never spends an approval it would not use.
_WAIT_SLICE_S = 5.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with one ``tools/call``: forward it, or answer with ``result``."""

    decision: Decision
    result: dict[str, Any] | None = None

    @property
    def forward(self) -> bool:
        return self.result is None


class CallGate:
    """Decides the ``tools/call`` requests of one agent to one upstream server."""

    def __init__(
        self, checker: Checker, token: str, server: str, *, approval_wait: float = 0.0
    ) -> None:
        self.checker = checker
        self.token = token
        self.server = server
        self.approval_wait = max(0.0, approval_wait)

    def tool_call(self, name: str, arguments: Mapping[str, Any] | None) -> ToolCall:
        """The call as Proctor judges it: the tool under its namespaced inventory name."""
        return ToolCall(f"{self.server}.{name}", dict(arguments or {}))

    def decide(self, call: ToolCall, cancelled: threading.Event | None = None) -> Verdict:
        """Check the call and settle it (waiting for people if held and configured)."""
        return self.settle(call, self.checker.check(self.token, call), cancelled)

    def check(self, call: ToolCall) -> Decision:
        """The gateway's decision on the call (recorded before it returns)."""
        return self.checker.check(self.token, call)

    def waits(self, decision: Decision) -> bool:
        """Whether settling ``decision`` may block for a while (waiting for people)."""
        return decision.outcome is Outcome.REQUIRE_APPROVAL and self.approval_wait > 0

    def settle(
        self, call: ToolCall, decision: Decision, cancelled: threading.Event | None = None
    ) -> Verdict:
        """What to do with the call given its decision; blocks only when :meth:`waits`."""
        if self.waits(decision):
            answer = self._wait(decision.id, cancelled or threading.Event())
            if cancelled is not None and cancelled.is_set():
                return Verdict(decision, pending_result(decision))
            if answer is not None and answer.status is ApprovalStatus.APPROVED:
                # Approved: the same call is now allowed, once, under the held decision's id.
                decision = self.checker.check(self.token, call)
            elif answer is not None and answer.decided:
                self.record(decision, OutcomeStatus.SKIPPED, f"not run: {_people_said(answer)}")
                return Verdict(decision, refused_by_people_result(decision, answer))
        if decision.outcome is Outcome.ALLOW:
            return Verdict(decision)
        if decision.outcome is Outcome.REQUIRE_APPROVAL:
            return Verdict(decision, pending_result(decision))
        self.record(decision, OutcomeStatus.SKIPPED, "not run: the call was denied")
        return Verdict(decision, denied_result(decision))

    def _wait(self, decision_id: str, cancelled: threading.Event) -> ApprovalRequest | None:
        deadline = time.monotonic() + self.approval_wait
        answer = None
        while not cancelled.is_set():
            remaining = deadline - time.monotonic()
            piece = min(max(0.0, remaining), _WAIT_SLICE_S, MAX_APPROVAL_WAIT.total_seconds())
            try:
                answer = self.checker.wait_for_approval(
                    self.token, decision_id, timedelta(seconds=piece)
                )
            except Exception:
                log.warning("could not wait for approval of %s", decision_id, exc_info=True)
                return None
            if answer.decided or remaining <= piece:
                return answer
        return answer

    def report_outcome(self, decision: Decision, result: Mapping[str, Any] | None) -> None:
        """Record what the forwarded call did: ``result`` is the upstream's tool result,
        or None when it answered with a protocol error or never answered.

        What the model reads of the result (:func:`outcome_result`, bounded) goes to the
        gateway with it: screened for instructions aimed at the agent (a finding holds
        the task's later high-risk calls) and recorded for value provenance.
        """
        self.record(decision, *_outcome(result))

    def report_outcome_later(
        self, decision: Decision, result: Mapping[str, Any] | None
    ) -> Callable[[], None] | None:
        """:meth:`report_outcome` in two steps, when the gateway is in this process:
        the outcome is handed over now, and the function returned records it (call it
        once the agent has its answer). Until then, a check of the task records it
        first, so no later call is judged without it. None when the gateway is
        elsewhere: report the outcome before answering, with :meth:`report_outcome`.
        """
        checker = self.checker
        if not isinstance(checker, Gateway):
            return None
        if decision.audit_seq is None:
            return _nothing
        status, summary, passed = _outcome(result)
        try:
            pending = checker.record_outcome_later(
                self.token, decision.id, status, summary, result=passed
            )
        except Exception:
            log.warning("could not record outcome of %s", decision.id, exc_info=True)
            return _nothing
        return partial(checker.settle_outcome, pending)

    def record(
        self,
        decision: Decision,
        status: OutcomeStatus,
        summary: str,
        result: Mapping[str, Any] | None = None,
    ) -> None:
        """Record the decision's outcome; a failure to do so is logged, not raised."""
        # A local refusal (the gateway could not be reached) has no audit entry.
        if decision.audit_seq is None:
            return
        try:
            self.checker.record_outcome(self.token, decision.id, status, summary, result=result)
        except Exception:
            # The call has run (or been refused); losing its outcome is worth a warning,
            # not an error in the agent's conversation.
            log.warning("could not record outcome of %s", decision.id, exc_info=True)


def _outcome(
    result: Mapping[str, Any] | None,
) -> tuple[OutcomeStatus, str, Mapping[str, Any] | None]:
    """The status, summary and what the gateway screens of an upstream's answer."""
    if result is None:
        return OutcomeStatus.FAILED, "the MCP server answered with an error", None
    failed = result.get("isError") is True
    status = OutcomeStatus.FAILED if failed else OutcomeStatus.SUCCEEDED
    return status, summarize(result), outcome_result(result)


def _nothing() -> None:
    """Nothing left to record."""


def summarize(result: Mapping[str, Any]) -> str:
    """A short text of a tool result, for the outcome's summary."""
    parts: list[str] = []
    for block in result.get("content") or []:
        if isinstance(block, Mapping):
            kind = block.get("type")
            parts.append(str(block.get("text", "")) if kind == "text" else f"[{kind}]")
    text = " ".join(parts).strip() or "(no text)"
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1] + "…"


def outcome_result(result: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the model reads of a tool result, bounded, for the gateway to screen.

    ``text``: the text of the ``text`` blocks, of embedded text resources (with their
    URI) and the URI, name, title and description of resource links, joined by blank
    lines; ``structuredContent`` as the server sent it. Together at most
    :data:`MAX_RESULT_CHARS` characters (structured content counted as compact JSON):
    when both are long each gets half; a text over its share keeps its head (three
    quarters) and its tail (a quarter), since injected text is often appended to a
    long page; structured content over its share is passed as its JSON text, cut the
    same way. Images, audio and binary resources are not passed on. None when there is
    nothing to pass.
    """
    text = "\n\n".join(_texts(result.get("content")))
    structured = result.get("structuredContent")
    structured_text = _compact_json(structured) if structured is not None else ""
    text_share, structured_share = _shares(len(text), len(structured_text), MAX_RESULT_CHARS)
    passed: dict[str, Any] = {}
    if text:
        passed["text"] = _cut_middle(text, text_share)
    if structured is not None:
        fits = len(structured_text) <= structured_share
        passed["structuredContent"] = (
            structured if fits else _cut_middle(structured_text, structured_share)
        )
    return passed or None


def _texts(content: object) -> list[str]:
    """The strings of content blocks a model reads, in order."""
    if not isinstance(content, list):
        return []
    found: list[object] = []
    for block in content:
        if not isinstance(block, Mapping):
            continue
        kind = block.get("type")
        if kind == "text":
            found.append(block.get("text"))
        elif kind == "resource" and isinstance(embedded := block.get("resource"), Mapping):
            found += [embedded.get("uri"), embedded.get("text")]
        elif kind == "resource_link":
            found += [block.get(key) for key in ("uri", "name", "title", "description")]
    return [piece for piece in found if isinstance(piece, str) and piece]


def _compact_json(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    except (TypeError, ValueError, RecursionError):
        return str(value)


def _shares(first: int, second: int, budget: int) -> tuple[int, int]:
    """How much of ``budget`` each of two lengths gets: all of it if both fit, else
    half each, a part that needs less than half leaving the rest to the other."""
    if first + second <= budget:
        return first, second
    half = budget // 2
    if first <= half:
        return first, budget - first
    if second <= half:
        return budget - second, second
    return half, budget - half


def _cut_middle(text: str, limit: int) -> str:
    """``text``, or its head and tail with :data:`CUT_MARK` between, in ``limit`` characters."""
    if len(text) <= limit:
        return text
    room = max(0, limit - len(CUT_MARK))
    head = room * 3 // 4
    tail = room - head
    return text[:head] + CUT_MARK + (text[-tail:] if tail else "")


def _result(decision: Decision, text: str) -> dict[str, Any]:
    meta = {
        META_KEY: {
            "id": decision.id,
            "outcome": decision.outcome.value,
            "code": decision.code,
            "approval_id": decision.approval_id,
        }
    }
    result = types.CallToolResult(content=[types.TextContent(text=text)], is_error=True, _meta=meta)
    return result.model_dump(by_alias=True, mode="json", exclude_none=True)


def denied_result(decision: Decision) -> dict[str, Any]:
    """The tool result for a denied call: why, and the decision id."""
    return _result(
        decision,
        f"Proctor denied this call ({decision.code}): {decision.explain()}. "
        f"Nothing was run. Decision {decision.id}.",
    )


def pending_result(decision: Decision) -> dict[str, Any]:
    """The tool result for a held call: who must approve, and how to resume."""
    approval = f", approval request {decision.approval_id}" if decision.approval_id else ""
    return _result(
        decision,
        f"Proctor is holding this call for a person's approval: {decision.explain()}. "
        f"Nothing was run yet. Decision {decision.id}{approval}. Once it is approved, "
        "make exactly the same call again (same tool, same arguments): it then runs once.",
    )


def refused_by_people_result(decision: Decision, answer: ApprovalRequest) -> dict[str, Any]:
    """The tool result for a held call that people denied, or nobody answered in time."""
    return _result(
        decision,
        f"Proctor did not run this call: {_people_said(answer)}. Decision {decision.id}, "
        f"approval request {answer.id}.",
    )


def _people_said(answer: ApprovalRequest) -> str:
    if answer.status is ApprovalStatus.DENIED:
        return f"denied by {answer.decided_by}: {answer.decision_reason}"
    if answer.status is ApprovalStatus.EXPIRED:
        return "nobody approved it before the request expired"
    return f"the approval was already {answer.status.value}"
