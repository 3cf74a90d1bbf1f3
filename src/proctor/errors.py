"""One error hierarchy with stable codes.

Every refusal a caller can see is a ``ProctorError``: the ``code`` is stable (tests
and docs rely on it), the ``message`` is for a person, ``http_status`` is what the
API answers with. ``docs/errors.md`` lists the codes.
"""

from __future__ import annotations


class ProctorError(Exception):
    """Root of every error Proctor reports to a caller."""

    code: str = "error"
    http_status: int = 400

    def __init__(self, message: str, *, code: str | None = None, http_status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class InvalidInput(ProctorError):
    code = "invalid_input"
    http_status = 422


class NotFound(ProctorError):
    code = "not_found"
    http_status = 404


class Conflict(ProctorError):
    code = "conflict"
    http_status = 409


class Unauthorized(ProctorError):
    code = "unauthorized"
    http_status = 401


class Forbidden(ProctorError):
    code = "forbidden"
    http_status = 403


class StoreError(ProctorError):
    code = "store_error"
    http_status = 503


class PolicyError(ProctorError):
    """A policy file or set that cannot be parsed, validated or compiled."""

    code = "policy_invalid"
    http_status = 422


class ActionDenied(ProctorError):
    """Raised by guarded calls when the gateway denies the call."""

    code = "action_denied"
    http_status = 403

    def __init__(
        self,
        message: str,
        *,
        decision_id: str,
        reason_code: str = "policy_denied",
        retry_after_s: int | None = None,
    ):
        super().__init__(message)
        self.decision_id = decision_id
        self.reason_code = reason_code
        #: Rate limited: whole seconds until the call may be made again.
        self.retry_after_s = retry_after_s


class ApprovalRequired(ProctorError):
    """Raised by guarded calls when the call is held for a human's approval."""

    code = "approval_required"
    http_status = 409

    def __init__(self, message: str, *, decision_id: str):
        super().__init__(message)
        self.decision_id = decision_id
