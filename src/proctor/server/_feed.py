"""What request handlers hear of changes made in this process, as they happen:
approval requests that changed, and alerts the monitor raised."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Iterator
from datetime import datetime
from typing import Generic, TypeVar

from proctor.approvals import ApprovalEvent, ApprovalRequest, Approvals
from proctor.monitor import Alert, AlertStore

#: A reader this far behind loses the oldest items and catches up from the store.
_FEED_LIMIT = 1000

ItemT = TypeVar("ItemT")


class Feed(Generic[ItemT]):
    """The items heard in this process since the last :meth:`drain`, in order.

    :meth:`put` runs on the event loop (listeners hand items over with
    ``call_soon_threadsafe``), so the feed needs no lock.
    """

    def __init__(self) -> None:
        self._items: deque[ItemT] = deque(maxlen=_FEED_LIMIT)
        self._ready = asyncio.Event()

    def put(self, item: ItemT) -> None:
        self._items.append(item)
        self._ready.set()

    def drain(self) -> list[ItemT]:
        """Everything heard so far, oldest first; the feed is empty afterwards."""
        items = list(self._items)
        self._items.clear()
        self._ready.clear()
        return items

    async def wait(self, timeout_s: float) -> None:
        """Return when something has been heard, or after ``timeout_s``."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout_s)


#: Approval requests changed in this process.
ApprovalFeed = Feed[ApprovalRequest]
#: Alerts stored by this process's monitor.
AlertFeed = Feed[Alert]


@contextlib.contextmanager
def approval_feed(approvals: Approvals) -> Iterator[ApprovalFeed]:
    """A feed of this process's approval changes, for as long as the block runs."""
    loop = asyncio.get_running_loop()
    feed: ApprovalFeed = Feed()

    def heard(event: ApprovalEvent) -> None:
        loop.call_soon_threadsafe(feed.put, event.request)

    unsubscribe = approvals.subscribe(heard)
    try:
        yield feed
    finally:
        unsubscribe()


@contextlib.contextmanager
def alert_feed(alerts: AlertStore) -> Iterator[AlertFeed]:
    """A feed of the alerts this process stores, for as long as the block runs.

    The store calls listeners on the monitor's thread; each alert is handed to
    the event loop rather than touched there.
    """
    loop = asyncio.get_running_loop()
    feed: AlertFeed = Feed()

    def heard(alert: Alert) -> None:
        loop.call_soon_threadsafe(feed.put, alert)

    unsubscribe = alerts.subscribe(heard)
    try:
        yield feed
    finally:
        unsubscribe()


def resume_point(last_event_id: str | None) -> datetime | None:
    """Where a reconnecting stream picks up: the time in its ``Last-Event-ID`` (event ids
    are ``<ISO time> <id>``), or None for a new stream or an id not of that shape."""
    if not last_event_id:
        return None
    try:
        return datetime.fromisoformat(last_event_id.split(" ", 1)[0])
    except ValueError:
        return None
