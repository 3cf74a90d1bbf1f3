"""The interface every enforcement point calls: in-process or over HTTP, the same."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol, runtime_checkable

from proctor.approvals import ApprovalRequest
from proctor.model import Decision, Label, OutcomeStatus, ToolCall


@runtime_checkable
class Checker(Protocol):
    """Decides calls and records their outcomes, for the agent holding ``token``.

    :class:`proctor.Gateway` (in-process) and :class:`proctor.sdk.Client` (over
    HTTP) both satisfy it, so ``@guarded`` code does not care which it gets.
    """

    def check(self, token: str, call: ToolCall) -> Decision:
        """Decide one call; the decision is recorded before it is returned."""
        ...

    def record_outcome(
        self,
        token: str,
        decision_id: str,
        status: OutcomeStatus,
        summary: str = "",
        *,
        label: Label | None = None,
        untrusted: bool | None = None,
        result: object = None,
    ) -> object:
        """Record what happened after a decision, the label of what the call read, and
        what the tool returned (screened, and recorded for value provenance)."""
        ...

    def wait_for_approval(
        self, token: str, decision_id: str, timeout: timedelta
    ) -> ApprovalRequest:
        """The approval request the held decision opened, once people have decided or
        when ``timeout`` (at most a minute) runs out; long-polls."""
        ...
