"""Signing webhook bodies so receivers can tell Proctor's requests from anyone else's.

The scheme follows the one chat platforms use for their own webhooks: the signature
is HMAC-SHA256 over ``v1:<timestamp>:<body>`` with a secret both sides hold, sent as
``X-Proctor-Signature: v1=<hex>`` beside ``X-Proctor-Timestamp: <unix seconds>``.
Signing the timestamp with the body is what makes a captured request useless later:
a receiver refuses timestamps outside its tolerance (five minutes by default), and
within it a delivery id (``X-Proctor-Delivery``) lets it drop duplicates.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

SIGNATURE_HEADER = "X-Proctor-Signature"
TIMESTAMP_HEADER = "X-Proctor-Timestamp"
DELIVERY_HEADER = "X-Proctor-Delivery"
#: How far a receiver should accept a timestamp from its own clock, in seconds.
DEFAULT_TOLERANCE_S = 300
_VERSION = "v1"


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """The ``X-Proctor-Signature`` value for ``body`` sent at ``timestamp``."""
    message = f"{_VERSION}:{timestamp}:".encode() + body
    return f"{_VERSION}=" + hmac.new(secret, message, hashlib.sha256).hexdigest()


def signed_headers(
    secret: bytes, body: bytes, delivery_id: str, now: float | None = None
) -> dict[str, str]:
    """The headers that sign ``body`` for one delivery."""
    timestamp = int(time.time() if now is None else now)
    return {
        SIGNATURE_HEADER: signature(secret, timestamp, body),
        TIMESTAMP_HEADER: str(timestamp),
        DELIVERY_HEADER: delivery_id,
    }


def verify_signature(
    secret: bytes,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    now: float | None = None,
) -> bool:
    """Whether ``headers`` sign ``body`` with ``secret`` at a timestamp within tolerance.

    What a receiver runs (``headers`` looked up case-insensitively). It does not
    remember delivery ids: a receiver that must never act twice keeps those itself.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    presented = lowered.get(SIGNATURE_HEADER.lower(), "")
    stamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
    if not stamp.isdigit():
        return False
    timestamp = int(stamp)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(presented, signature(secret, timestamp, body))
