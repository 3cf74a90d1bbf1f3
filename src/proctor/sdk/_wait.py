"""Waiting for people: long-poll a held decision's approval request until it is decided."""

from __future__ import annotations

import time
from datetime import timedelta

from proctor.approvals import ApprovalRequest
from proctor.errors import InvalidInput
from proctor.sdk._checker import Checker
from proctor.sdk._session import resolve_session

#: One long-poll never asks the gateway to hold a request longer than this.
WAIT_SLICE = timedelta(seconds=55)


def wait_for_decision(
    checker: Checker, token: str, decision_id: str, timeout: timedelta
) -> ApprovalRequest:
    """The approval request of held decision ``decision_id`` once people decide, or as
    it stands when ``timeout`` runs out (long-polls in slices; never spins)."""
    if timeout < timedelta(0):
        raise InvalidInput("a wait cannot be negative", code="invalid_wait")
    deadline = time.monotonic() + timeout.total_seconds()
    while True:
        remaining = max(0.0, deadline - time.monotonic())
        last = remaining <= WAIT_SLICE.total_seconds()
        piece = timedelta(seconds=remaining) if last else WAIT_SLICE
        request = checker.wait_for_approval(token, decision_id, piece)
        if request.decided or last:
            return request


def wait(
    decision_id: str,
    *,
    timeout: timedelta = timedelta(minutes=15),
    checker: Checker | None = None,
    token: str | None = None,
) -> ApprovalRequest:
    """Wait for people to answer the approval request of a held decision.

    For agents that let a held call go and resume later: when the answer is
    ``approved``, call the guarded function again with the same arguments, and it
    runs under the held decision's id. ``checker`` and ``token`` default to the
    active session's.
    """
    session = resolve_session(checker, token)
    return wait_for_decision(session.checker, session.current_token(), decision_id, timeout)
