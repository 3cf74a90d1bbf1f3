"""``@guarded``: check a function call with the gateway before it runs.

The call is checked first; only an allowed call runs, and what happened is
recorded as the decision's outcome. A denied call raises
:class:`~proctor.errors.ActionDenied`, a held one
:class:`~proctor.errors.ApprovalRequired`; neither runs the function. With
``wait=``, a held call waits for people (long-polling): approved, it is checked
again and runs under the held decision's id; denied or expired, it raises
:class:`~proctor.errors.ActionDenied`. An allowed call's obligations (the
provenance stamp on ``publish`` and ``send_external``) are applied to its
arguments before it runs; see :mod:`proctor.sdk._obligations` for the rule.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar, cast

from proctor.approvals import ApprovalRequest, ApprovalStatus
from proctor.errors import ActionDenied, ApprovalRequired
from proctor.model import Decision, Outcome, OutcomeStatus, ToolCall
from proctor.sdk._arguments import call_arguments, json_safe, short_repr
from proctor.sdk._checker import Checker
from proctor.sdk._obligations import ObligationUnmet, honour
from proctor.sdk._session import Session, TokenSource, resolve_session
from proctor.sdk._wait import wait_for_decision

P = ParamSpec("P")
R = TypeVar("R")

#: A fixed resource id, or a function of the guarded call's arguments that names it.
ResourceSpec = str | Callable[..., str | None] | None

#: How much of a result or an error an outcome summary keeps.
MAX_SUMMARY = 1000

log = logging.getLogger("proctor.sdk")


def guarded(
    tool: str,
    *,
    resource: ResourceSpec = None,
    checker: Checker | None = None,
    token: TokenSource | None = None,
    wait: timedelta | None = None,
    stamp: str | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function (sync or async) so every call is checked as ``tool``.

    ``checker`` and ``token`` (the agent's task token) default to those of the
    active :func:`~proctor.sdk.session`; a call with neither raises
    ``ProctorError`` with code ``no_session``. ``resource`` is a fixed id, or a function called
    with the same arguments as the guarded one (defaults applied) that returns
    it. The arguments sent for judgment are the function's bound arguments with
    defaults applied, made JSON-safe.

    ``wait``: how long a call held for approval waits for people before it raises
    :class:`~proctor.errors.ApprovalRequired` (still pending; resume later with
    ``Client.wait(decision_id)`` and call again). None (the default) raises at once.

    ``stamp``: the string argument an allowed ``publish``/``send_external`` call's
    provenance stamp is appended to. A function with a ``proctor_stamp`` parameter
    receives the stamp's parts instead (or as well). A call that must be stamped and
    cannot be does not run: :class:`~proctor.errors.ActionDenied`, ``obligation_unmet``.
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        if inspect.isgeneratorfunction(function) or inspect.isasyncgenfunction(function):
            # The check would pass before any of the generator's work had run.
            raise TypeError("@guarded cannot wrap a generator; guard the function it calls")
        signature = inspect.signature(function)
        if stamp is not None and stamp not in signature.parameters:
            raise TypeError(f"@guarded(stamp={stamp!r}): {function.__name__} has no such parameter")
        guard = _Guard(tool, resource, checker, token, wait, signature, stamp)
        if inspect.iscoroutinefunction(function):
            return cast(Callable[P, R], _guard_async(guard, function))
        return _guard_sync(guard, function)

    return decorate


def _guard_sync(guard: _Guard, function: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(function)
    def guarded_call(*args: P.args, **kwargs: P.kwargs) -> R:
        call = guard.begin(args, kwargs)
        run_args, run_kwargs = call.authorize()
        try:
            result = function(*run_args, **run_kwargs)
        except Exception as exc:
            call.failed(exc)
            raise
        call.succeeded(result)
        return result

    return guarded_call


def _guard_async(
    guard: _Guard, function: Callable[P, Awaitable[Any]]
) -> Callable[P, Awaitable[Any]]:
    # The checker is synchronous (and may do I/O): it runs in a worker thread so
    # the event loop keeps serving other tasks meanwhile.
    @functools.wraps(function)
    async def guarded_call(*args: P.args, **kwargs: P.kwargs) -> Any:
        call = guard.begin(args, kwargs)
        run_args, run_kwargs = await asyncio.to_thread(call.authorize)
        try:
            result = await function(*run_args, **run_kwargs)
        except Exception as exc:
            await asyncio.to_thread(call.failed, exc)
            raise
        await asyncio.to_thread(call.succeeded, result)
        return result

    return guarded_call


@dataclass(frozen=True, slots=True)
class _Guard:
    """What one decorator said; :meth:`begin` turns it into one checked call."""

    tool: str
    resource: ResourceSpec
    checker: Checker | None
    token: TokenSource | None
    wait: timedelta | None
    signature: inspect.Signature
    stamp: str | None = None

    def begin(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Call:
        session = resolve_session(self.checker, self.token)
        bound, arguments = call_arguments(self.signature, args, kwargs)
        resource = self.resource
        if callable(resource):
            resource = resource(*bound.args, **bound.kwargs)
        if resource is not None and not isinstance(resource, str):
            raise TypeError(f"the resource of {self.tool} must be a str or None, not {resource!r}")
        call = ToolCall(tool=self.tool, arguments=arguments, resource=resource)
        return _Call(session, session.current_token(), call, self.wait, bound, self.stamp)


class _Call:
    """One guarded call: its decision, and the outcome it reports."""

    def __init__(
        self,
        session: Session,
        token: str,
        call: ToolCall,
        wait: timedelta | None = None,
        bound: inspect.BoundArguments | None = None,
        stamp: str | None = None,
    ) -> None:
        self.session = session
        self.bound = bound
        self.stamp = stamp
        # The outcome is reported under the token the call was checked with.
        self.token = token
        self.call = call
        self.wait = wait
        self.decision: Decision | None = None

    def authorize(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Check the call (waiting for people if it is held and ``wait`` allows);
        return only if it may run, with the arguments to run it with (obligations
        applied)."""
        checker = self.session.checker
        decision = self.decision = checker.check(self.token, self.call)
        if decision.outcome is Outcome.REQUIRE_APPROVAL and self.wait is not None:
            answer = wait_for_decision(checker, self.token, decision.id, self.wait)
            if answer.status is ApprovalStatus.APPROVED:
                # Approved: the same call is now allowed, under the held decision's id.
                decision = self.decision = checker.check(self.token, self.call)
            elif answer.decided:
                self._refused_by_people(answer)
        if decision.outcome is Outcome.ALLOW:
            return self._honoured(decision)
        tool = self.call.tool
        if decision.outcome is Outcome.REQUIRE_APPROVAL:
            raise ApprovalRequired(
                f"{tool} needs a human's approval: {decision.explain()}", decision_id=decision.id
            )
        self._record(OutcomeStatus.SKIPPED, "not run: the call was denied")
        raise ActionDenied(
            f"{tool} was denied: {decision.explain()}",
            decision_id=decision.id,
            reason_code=decision.code,
            retry_after_s=decision.retry_after_s,
        )

    def _honoured(self, decision: Decision) -> tuple[tuple[Any, ...], dict[str, Any]]:
        bound = self.bound
        if bound is None:
            if decision.obligations:
                self._unmet(decision, ObligationUnmet("the guard kept no arguments to apply it to"))
            return (), {}
        try:
            honour(decision, bound, tool=self.call.tool, stamp=self.stamp)
        except ObligationUnmet as exc:
            self._unmet(decision, exc)
        return bound.args, bound.kwargs

    def _unmet(self, decision: Decision, problem: ObligationUnmet) -> None:
        self._record(OutcomeStatus.SKIPPED, f"not run: {problem}")
        raise ActionDenied(
            f"{self.call.tool} was not run: {problem}",
            decision_id=decision.id,
            reason_code="obligation_unmet",
        )

    def _refused_by_people(self, answer: ApprovalRequest) -> None:
        """People said no (or nobody answered in time): record it skipped, and raise."""
        tool = self.call.tool
        if answer.status is ApprovalStatus.DENIED:
            said = f"denied by {answer.decided_by}: {answer.decision_reason}"
            code = "approval_denied"
        elif answer.status is ApprovalStatus.EXPIRED:
            said = "not answered before the request expired"
            code = "approval_expired"
        else:
            said = f"the approval was already {answer.status.value}"
            code = "approval_not_usable"
        self._record(OutcomeStatus.SKIPPED, f"not run: {said}")
        decision_id = self.decision.id if self.decision else answer.decision_id
        raise ActionDenied(f"{tool} was {said}", decision_id=decision_id, reason_code=code)

    def succeeded(self, result: object) -> None:
        # What the tool returned goes to the gateway too: it is screened for
        # instructions aimed at the agent and kept (as digests) for value provenance.
        self._record(OutcomeStatus.SUCCEEDED, short_repr(result, MAX_SUMMARY), json_safe(result))

    def failed(self, error: Exception) -> None:
        summary = f"{type(error).__name__}: {error}"
        if len(summary) > MAX_SUMMARY:
            summary = summary[: MAX_SUMMARY - 1] + "…"
        self._record(OutcomeStatus.FAILED, summary)

    def _record(self, status: OutcomeStatus, summary: str, result: object = None) -> None:
        decision = self.decision
        # Only a decision the gateway recorded can have an outcome; a local one
        # (the gateway was unreachable) has no audit entry to attach it to.
        if decision is None or decision.audit_seq is None:
            return
        try:
            self.session.checker.record_outcome(
                self.token, decision.id, status, summary, result=result
            )
        except Exception:
            # The call has already run (or been refused); losing its outcome is
            # worth a warning, not a second failure in the caller's code.
            log.warning(
                "could not record outcome %s of decision %s", status, decision.id, exc_info=True
            )
