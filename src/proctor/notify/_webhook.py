"""Webhook delivery: signed JSON POSTs, retried with backoff, every attempt recorded.

Sending never blocks the caller: messages go on a queue that one background
thread works through. A failed attempt (no connection, a timeout, a 5xx, 408 or
429) is retried after an exponentially growing, jittered pause; any other 4xx
means the receiver refuses the message, so it is not retried. A message still in
the queue when the process stops is lost; every attempt made is in the log.
"""

from __future__ import annotations

import heapq
import json
import logging
import random
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from proctor.notify._deliveries import Attempt, DeliveryLog, redacted_target
from proctor.notify._signing import signed_headers
from proctor.store import utcnow

log = logging.getLogger("proctor.notify")

_RETRY_STATUSES = frozenset({408, 425, 429})
_MAX_ERROR = 500


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """How one message ended: delivered, or given up on after ``attempts`` tries."""

    delivery_id: str
    subject: str
    event: str
    delivered: bool
    attempts: int
    status_code: int | None
    error: str | None


class Notifier(Protocol):
    """Where notifications go. ``send`` must return at once and never raise."""

    def send(self, subject: str, event: str, body: Mapping[str, Any]) -> str:
        """Queue ``body`` about ``subject``; returns the delivery id."""
        ...

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop after delivering what is due within ``timeout_s``."""
        ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry."""

    max_attempts: int = 5
    first_backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    timeout_s: float = 5.0

    def pause(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        backoff = min(self.max_backoff_s, self.first_backoff_s * 2 ** (attempt - 1))
        # Full jitter over the upper half spreads retries of many messages apart.
        jittered: float = backoff * (0.5 + random.random() / 2)  # noqa: S311 - timing only
        if retry_after is not None:
            jittered = max(jittered, min(retry_after, self.max_backoff_s))
        return jittered


@dataclass(order=True)
class _Pending:
    due: float
    sequence: int
    delivery_id: str = field(compare=False)
    subject: str = field(compare=False)
    event: str = field(compare=False)
    body: bytes = field(compare=False)
    attempt: int = field(compare=False, default=1)


class WebhookNotifier:
    """Delivers JSON messages to one URL, signed with ``secret`` (see ``_signing``)."""

    def __init__(
        self,
        url: str,
        secret: bytes,
        deliveries: DeliveryLog,
        *,
        retry: RetryPolicy | None = None,
        on_result: Callable[[DeliveryResult], None] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("a webhook URL must be http:// or https://")
        self.url = url
        self._secret = secret
        self._deliveries = deliveries
        self._retry = retry or RetryPolicy()
        self._on_result = on_result
        self._target = redacted_target(url)
        self._client = httpx.Client(timeout=self._retry.timeout_s, transport=transport)
        self._queue: list[_Pending] = []
        self._sequence = 0
        self._wake = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="proctor-webhook", daemon=True)
        self._thread.start()

    def send(self, subject: str, event: str, body: Mapping[str, Any]) -> str:
        delivery_id = "dlv_" + secrets.token_hex(10)
        payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        with self._wake:
            if self._closing:
                log.warning("notifier closed; dropping %s %s", event, subject)
                return delivery_id
            self._push(_Pending(time.monotonic(), 0, delivery_id, subject, event, payload))
        return delivery_id

    def close(self, timeout_s: float = 5.0) -> None:
        with self._wake:
            self._closing = True
            self._wake.notify_all()
        self._thread.join(timeout_s)
        self._client.close()

    def _push(self, pending: _Pending) -> None:
        self._sequence += 1
        pending.sequence = self._sequence
        heapq.heappush(self._queue, pending)
        self._wake.notify_all()

    def _next(self) -> _Pending | None:
        """The next message that is due, waiting for it; None once closing and idle."""
        with self._wake:
            while True:
                now = time.monotonic()
                if self._queue and self._queue[0].due <= now:
                    return heapq.heappop(self._queue)
                if self._closing:
                    # Retries still waiting for their turn are given up, and logged.
                    for pending in self._queue:
                        log.warning("notifier closed before retrying %s", pending.delivery_id)
                    self._queue.clear()
                    return None
                wait = self._queue[0].due - now if self._queue else None
                self._wake.wait(wait)

    def _run(self) -> None:
        while (pending := self._next()) is not None:
            try:
                self._attempt(pending)
            except Exception:
                # The worker must outlive any one message.
                log.exception("webhook delivery %s failed unexpectedly", pending.delivery_id)

    def _attempt(self, pending: _Pending) -> None:
        status, error, retry_after = self._post(pending)
        delivered = status is not None and 200 <= status < 300
        self._deliveries.record(
            Attempt(
                delivery_id=pending.delivery_id,
                subject=pending.subject,
                event=pending.event,
                target=self._target,
                attempt=pending.attempt,
                attempted_at=utcnow(),
                status_code=status,
                error=error,
                delivered=delivered,
            )
        )
        retryable = status is None or status >= 500 or status in _RETRY_STATUSES
        if not delivered and retryable and pending.attempt < self._retry.max_attempts:
            pause = self._retry.pause(pending.attempt, retry_after)
            pending.attempt += 1
            pending.due = time.monotonic() + pause
            with self._wake:
                self._push(pending)
            return
        if not delivered:
            log.warning(
                "gave up delivering %s %s after %d attempt(s): %s",
                pending.event,
                pending.subject,
                pending.attempt,
                error or status,
            )
        self._finished(pending, delivered, status, error)

    def _post(self, pending: _Pending) -> tuple[int | None, str | None, float | None]:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "proctor-webhook/1",
            **signed_headers(self._secret, pending.body, pending.delivery_id),
        }
        try:
            response = self._client.post(self.url, content=pending.body, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:_MAX_ERROR], None
        error = (
            None if response.is_success else response.text[:_MAX_ERROR] or response.reason_phrase
        )
        return response.status_code, error, _retry_after(response)

    def _finished(
        self, pending: _Pending, delivered: bool, status: int | None, error: str | None
    ) -> None:
        if self._on_result is None:
            return
        result = DeliveryResult(
            pending.delivery_id,
            pending.subject,
            pending.event,
            delivered,
            pending.attempt,
            status,
            error,
        )
        try:
            self._on_result(result)
        except Exception:
            log.exception("delivery result handler failed for %s", pending.delivery_id)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None
