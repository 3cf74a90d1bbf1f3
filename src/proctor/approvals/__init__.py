"""Human approval gates: held calls become requests the right people decide, bound to
the exact call."""

from typing import TYPE_CHECKING

from proctor._lazy import lazy_exports

if TYPE_CHECKING:
    from proctor.approvals._links import DEFAULT_LINK_TTL, ApprovalLinks, LinkAction, LinkClaims
    from proctor.approvals._model import (
        ApprovalEvent,
        ApprovalListener,
        ApprovalRequest,
        ApprovalScope,
        ApprovalStatus,
        HeldCall,
        Signoff,
        call_hash,
    )
    from proctor.approvals._notify import (
        NOTIFIED_EVENTS,
        ApprovalNotifications,
        LinkSettings,
        approval_message,
        request_record,
    )
    from proctor.approvals._requests import DEFAULT_APPROVAL_TTL, Approvals, CallStanding, Reach
    from proctor.approvals._rules import APPROVING_ROLES, may_answer, may_deny, may_sign

__all__ = [
    "APPROVING_ROLES",
    "DEFAULT_APPROVAL_TTL",
    "DEFAULT_LINK_TTL",
    "NOTIFIED_EVENTS",
    "ApprovalEvent",
    "ApprovalLinks",
    "ApprovalListener",
    "ApprovalNotifications",
    "ApprovalRequest",
    "ApprovalScope",
    "ApprovalStatus",
    "Approvals",
    "CallStanding",
    "HeldCall",
    "LinkAction",
    "LinkClaims",
    "LinkSettings",
    "Reach",
    "Signoff",
    "approval_message",
    "call_hash",
    "may_answer",
    "may_deny",
    "may_sign",
    "request_record",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(
        __name__,
        {
            "_links": ("DEFAULT_LINK_TTL", "ApprovalLinks", "LinkAction", "LinkClaims"),
            "_model": (
                "ApprovalEvent",
                "ApprovalListener",
                "ApprovalRequest",
                "ApprovalScope",
                "ApprovalStatus",
                "HeldCall",
                "Signoff",
                "call_hash",
            ),
            "_notify": (
                "NOTIFIED_EVENTS",
                "ApprovalNotifications",
                "LinkSettings",
                "approval_message",
                "request_record",
            ),
            "_requests": ("DEFAULT_APPROVAL_TTL", "Approvals", "CallStanding", "Reach"),
            "_rules": ("APPROVING_ROLES", "may_answer", "may_deny", "may_sign"),
        },
    )
