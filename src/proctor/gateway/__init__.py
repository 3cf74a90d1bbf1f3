"""The gateway: composes the concept modules into ``check`` and ``record_outcome``."""

from typing import TYPE_CHECKING

from proctor._lazy import lazy_exports

if TYPE_CHECKING:
    from proctor.gateway._calls import (
        MAX_ARGUMENT_DEPTH,
        MAX_ARGUMENT_ITEMS,
        MAX_EXACT_INTEGER,
        MAX_NAME_LENGTH,
    )
    from proctor.gateway._gateway import MAX_APPROVAL_WAIT, Gateway
    from proctor.gateway._outcomes import OutcomeReceipt
    from proctor.gateway._pending import OutcomeNotRecorded, PendingOutcome
    from proctor.gateway._visibility import MAX_VISIBILITY_NAMES, Visibility

__all__ = [
    "MAX_APPROVAL_WAIT",
    "MAX_ARGUMENT_DEPTH",
    "MAX_ARGUMENT_ITEMS",
    "MAX_EXACT_INTEGER",
    "MAX_NAME_LENGTH",
    "MAX_VISIBILITY_NAMES",
    "Gateway",
    "OutcomeNotRecorded",
    "OutcomeReceipt",
    "PendingOutcome",
    "Visibility",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(
        __name__,
        {
            "_calls": (
                "MAX_ARGUMENT_DEPTH",
                "MAX_ARGUMENT_ITEMS",
                "MAX_EXACT_INTEGER",
                "MAX_NAME_LENGTH",
            ),
            "_gateway": ("MAX_APPROVAL_WAIT", "Gateway"),
            "_outcomes": ("OutcomeReceipt",),
            "_pending": ("OutcomeNotRecorded", "PendingOutcome"),
            "_visibility": ("MAX_VISIBILITY_NAMES", "Visibility"),
        },
    )
