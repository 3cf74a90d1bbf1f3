"""Proctor: a policy-enforcement gateway for AI agents.

The names a caller needs are importable from here; they load on first use, so
``import proctor`` stays cheap and free of import cycles::

    from proctor import Gateway, guarded, session
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from proctor.errors import ActionDenied, ApprovalRequired, ProctorError
    from proctor.gateway import Gateway
    from proctor.model import CheckRequest, Decision, Outcome, OutcomeStatus
    from proctor.sdk import Client, guarded, session

__version__ = "0.1.0"

_EXPORTS = {
    "ActionDenied": "proctor.errors",
    "ApprovalRequired": "proctor.errors",
    "ProctorError": "proctor.errors",
    "Gateway": "proctor.gateway",
    "CheckRequest": "proctor.model",
    "Decision": "proctor.model",
    "Outcome": "proctor.model",
    "OutcomeStatus": "proctor.model",
    "Client": "proctor.sdk",
    "guarded": "proctor.sdk",
    "session": "proctor.sdk",
}

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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'proctor' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
