"""Notifications: signed webhook deliveries, retried with backoff, every attempt recorded.

Approval requests and monitoring alerts both reach people through here.
"""

from proctor.notify._deliveries import Attempt, DeliveryLog, redacted_target
from proctor.notify._signing import (
    DEFAULT_TOLERANCE_S,
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature,
    signed_headers,
    verify_signature,
)
from proctor.notify._webhook import DeliveryResult, Notifier, RetryPolicy, WebhookNotifier

__all__ = [
    "DEFAULT_TOLERANCE_S",
    "DELIVERY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Attempt",
    "DeliveryLog",
    "DeliveryResult",
    "Notifier",
    "RetryPolicy",
    "WebhookNotifier",
    "redacted_target",
    "signature",
    "signed_headers",
    "verify_signature",
]
