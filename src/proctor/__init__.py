"""Proctor: a policy-enforcement gateway for AI agents.

The names a caller needs are importable from here; they load on first use, so
``import proctor`` stays cheap and free of import cycles::

    from proctor import Gateway, guarded, session
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from proctor._lazy import lazy_exports

if TYPE_CHECKING:
    from proctor.errors import ActionDenied, ApprovalRequired, ProctorError
    from proctor.gateway import Gateway
    from proctor.model import CheckRequest, Decision, Outcome, OutcomeStatus
    from proctor.sdk import Client, guarded, session

__version__ = "0.1.0"

__all__ = [
    "ActionDenied",
    "ApprovalRequired",
    "CheckRequest",
    "Client",
    "Decision",
    "Gateway",
    "Outcome",
    "OutcomeStatus",
    "ProctorError",
    "guarded",
    "session",
]


if not TYPE_CHECKING:
    __getattr__ = lazy_exports(
        __name__,
        {
            "errors": ("ActionDenied", "ApprovalRequired", "ProctorError"),
            "gateway": ("Gateway",),
            "model": ("CheckRequest", "Decision", "Outcome", "OutcomeStatus"),
            "sdk": ("Client", "guarded", "session"),
        },
    )
