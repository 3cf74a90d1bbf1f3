"""What request handlers hear of approval changes made in this process, as they happen."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Iterator

from proctor.approvals import ApprovalEvent, ApprovalRequest, Approvals

#: A reader this far behind loses the oldest changes and catches up from the store.
_FEED_LIMIT = 1000


class ApprovalFeed:
    """The requests changed in this process since the last :meth:`drain`, in order."""

    def __init__(self) -> None:
        self._items: deque[ApprovalRequest] = deque(maxlen=_FEED_LIMIT)
        self._ready = asyncio.Event()

    def put(self, request: ApprovalRequest) -> None:
        self._items.append(request)
        self._ready.set()

    def drain(self) -> list[ApprovalRequest]:
        """Everything heard so far, oldest first; the feed is empty afterwards."""
        items = list(self._items)
        self._items.clear()
        self._ready.clear()
        return items

    async def wait(self, timeout_s: float) -> None:
        """Return when something has been heard, or after ``timeout_s``."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout_s)


@contextlib.contextmanager
def approval_feed(approvals: Approvals) -> Iterator[ApprovalFeed]:
    """A feed of this process's approval changes, for as long as the block runs."""
    loop = asyncio.get_running_loop()
    feed = ApprovalFeed()

    def heard(event: ApprovalEvent) -> None:
        loop.call_soon_threadsafe(feed.put, event.request)

    unsubscribe = approvals.subscribe(heard)
    try:
        yield feed
    finally:
        unsubscribe()
