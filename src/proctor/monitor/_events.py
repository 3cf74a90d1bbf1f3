"""Breaker events and a tiny publish/subscribe that never blocks the publisher."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

_log = logging.getLogger("proctor.monitor")


class BreakerStatus(StrEnum):
    """``closed``: calls flow. ``open``: tripped, calls are held or denied.
    ``half_open``: the cool-down is over; the next calls are probes."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class TripAction(StrEnum):
    """What the gateway does with a tripped agent's calls."""

    HOLD = "hold"
    DENY = "deny"


@dataclass(frozen=True, slots=True)
class BreakerState:
    """An agent's breaker as the gateway reads it before Cedar."""

    agent: str
    status: BreakerStatus
    on_trip: TripAction
    rule: str = ""
    opened_at: datetime | None = None
    #: When an open breaker turns half-open by itself (None: closed).
    cool_down_until: datetime | None = None

    @property
    def tripped(self) -> bool:
        """True while open: the gateway holds or denies the call (``on_trip``)."""
        return self.status is BreakerStatus.OPEN


@dataclass(frozen=True, slots=True)
class Trip:
    """A rule tripped an agent's breaker (or a half-open probe went bad)."""

    agent: str
    rule: str
    on_trip: TripAction
    at: datetime
    #: The threshold and the calls or outcomes that crossed it; JSON-able.
    evidence: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class HalfOpen:
    """An open breaker's cool-down ended; the agent's next calls are probes."""

    agent: str
    rule: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Reset:
    """A breaker closed: by a person (with a reason) or after good probe calls."""

    agent: str
    by: str
    reason: str
    at: datetime
    automatic: bool = False


BreakerEvent = Trip | HalfOpen | Reset
Listener = Callable[[BreakerEvent], None]


class Listeners:
    """Subscribers to breaker events, called in order on a background thread.

    :meth:`publish` only enqueues, so a slow or failing listener never delays a
    call; a listener that raises is logged and the others still run.
    """

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._queue: queue.Queue[BreakerEvent | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def subscribe(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="proctor-breaker-events", daemon=True
                )
                self._thread.start()

    def publish(self, event: BreakerEvent) -> None:
        if self._thread is not None:
            self._queue.put(event)

    def drain(self, timeout_s: float = 5.0) -> bool:
        """Wait until every published event was handed to the listeners."""
        deadline = time.monotonic() + timeout_s
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.001)
        return not self._queue.unfinished_tasks

    def close(self) -> None:
        """Deliver what is queued, then stop the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=5.0)

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            try:
                if event is None:
                    return
                with self._lock:
                    listeners = list(self._listeners)
                for listener in listeners:
                    try:
                        listener(event)
                    except Exception:
                        _log.exception("a breaker event listener failed on %r", event)
            finally:
                self._queue.task_done()
