"""Outcomes accepted but not yet recorded, and the rule that keeps that safe.

An enforcement point in this process (the MCP proxy) may hand the agent a tool's
result before its outcome is recorded, and record it right after. What the outcome
records (the session's labels and taint, the injection flag, the provenance of the
returned values) is what the task's next check is judged on, so that check first
settles every pending outcome of its task, in order: it records one nobody has
started, and waits (bounded) for one being recorded elsewhere. It fails closed: a
pending outcome not recorded within the bound denies the check
(``outcome_pending``); one whose recording failed denies every later check of its
task in this process (``outcome_not_recorded``), since the task's session no longer
says what its agent has seen.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from proctor.errors import ProctorError

log = logging.getLogger("proctor.gateway")

#: How long a check waits for an outcome of its task that another thread is recording.
DEFAULT_OUTCOME_WAIT_S = 5.0


class OutcomeNotRecorded(ProctorError):
    """A check cannot be judged: an earlier outcome of its task is not recorded."""

    code = "outcome_not_recorded"
    http_status = 503


@dataclass(eq=False)
class PendingOutcome:
    """One outcome to record: run it once (:meth:`settle`), whoever needs it first."""

    decision_id: str
    task_id: str
    work: Callable[[], object]
    #: Why recording failed (empty while it has not, or has not run yet).
    error: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _done: bool = False

    @property
    def done(self) -> bool:
        """Recorded, or failed for good."""
        return self._done

    @property
    def recording(self) -> bool:
        """Being recorded right now (by whichever thread settles it)."""
        return self._lock.locked() and not self._done

    def settle(self, timeout: float | None = None) -> bool:
        """Record it now unless that was done; False when another thread is recording
        it and did not finish within ``timeout`` seconds (None: wait as long as it
        takes)."""
        if self._done:
            return True
        if not self._lock.acquire(timeout=-1 if timeout is None else max(0.0, timeout)):
            return False
        try:
            if not self._done:
                self._run()
        finally:
            self._lock.release()
        return True

    def _run(self) -> None:
        try:
            self.work()
        except ProctorError as exc:
            self.error = f"{exc.message} [{exc.code}]"
        except Exception as exc:
            log.exception("recording the outcome of %s failed", self.decision_id)
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self._done = True
        if self.error:
            log.error("the outcome of %s was not recorded: %s", self.decision_id, self.error)


class PendingOutcomes:
    """The pending outcomes of every task of one gateway (thread-safe)."""

    def __init__(self, wait_s: float = DEFAULT_OUTCOME_WAIT_S) -> None:
        self.wait_s = wait_s
        self._lock = threading.Lock()
        self._pending: dict[str, list[PendingOutcome]] = {}
        #: Per task, the first outcome that could not be recorded.
        self._failed: dict[str, PendingOutcome] = {}

    def add(self, decision_id: str, task_id: str, work: Callable[[], object]) -> PendingOutcome:
        """Register an outcome to record; the task's next check records it first."""
        pending = PendingOutcome(decision_id, task_id, work)
        with self._lock:
            self._pending.setdefault(task_id, []).append(pending)
        return pending

    def settle(self, pending: PendingOutcome) -> None:
        """Record ``pending`` now (the enforcement point answered its agent already)."""
        pending.settle()
        self._forget(pending)

    def before_check(self, task_id: str) -> None:
        """Settle the task's pending outcomes, in order; raise when one is not recorded
        (the check is then denied)."""
        if task_id not in self._pending and task_id not in self._failed:
            # Every check asks; nearly always nothing is pending (dict reads are atomic).
            return
        with self._lock:
            queue = list(self._pending.get(task_id, ()))
        deadline = time.monotonic() + self.wait_s
        for pending in queue:
            if not pending.settle(deadline - time.monotonic()):
                raise OutcomeNotRecorded(
                    f"the outcome of an earlier call of this task (decision "
                    f"{pending.decision_id}) is still being recorded after "
                    f"{self.wait_s:g} s, and this call cannot be judged without it: "
                    "try the call again in a moment",
                    code="outcome_pending",
                )
            self._forget(pending)
        failed = self._failed.get(task_id)
        if failed is not None:
            raise OutcomeNotRecorded(
                f"the outcome of an earlier call of this task (decision "
                f"{failed.decision_id}) could not be recorded ({failed.error}), so what "
                "the agent has read is unknown and Proctor denies the task's calls in "
                "this process; fix the cause (Proctor's log says it) and restart the "
                "process (the MCP proxy, say)",
            )

    def settle_all(self) -> None:
        """Record every pending outcome (the gateway is closing)."""
        with self._lock:
            queues = list(self._pending.values())
        for queue in queues:
            for pending in list(queue):
                self.settle(pending)

    def _forget(self, pending: PendingOutcome) -> None:
        with self._lock:
            queue = self._pending.get(pending.task_id)
            if queue is not None and pending in queue:
                queue.remove(pending)
                if not queue:
                    del self._pending[pending.task_id]
            if pending.error:
                self._failed.setdefault(pending.task_id, pending)
