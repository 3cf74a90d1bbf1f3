"""Put an agent's tools behind Proctor: ``@guarded``, ``session`` and ``Client``.

``Client`` talks to a gateway over HTTP; :class:`proctor.Gateway` is the same
interface in-process. Both satisfy :class:`Checker`.
"""

from typing import TYPE_CHECKING

from proctor._lazy import lazy_exports

if TYPE_CHECKING:
    from proctor.sdk._checker import Checker
    from proctor.sdk._client import Client
    from proctor.sdk._guard import guarded
    from proctor.sdk._session import Session, current_session, session
    from proctor.sdk._wait import wait

__all__ = ["Checker", "Client", "Session", "current_session", "guarded", "session", "wait"]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(
        __name__,
        {
            "_checker": ("Checker",),
            "_client": ("Client",),
            "_guard": ("guarded",),
            "_session": ("Session", "current_session", "session"),
            "_wait": ("wait",),
        },
    )
