"""Webhook signatures: what a receiver checks, and what it must refuse."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from proctor.notify import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    redacted_target,
    signed_headers,
    verify_signature,
)

SECRET = b"s" * 32


@given(body=st.binary(max_size=2000), delivery=st.text(min_size=1, max_size=40))
def test_a_signed_body_verifies(body: bytes, delivery: str) -> None:
    headers = signed_headers(SECRET, body, delivery)
    assert verify_signature(SECRET, headers, body)


@given(body=st.binary(min_size=1, max_size=500), position=st.integers(min_value=0))
def test_any_changed_byte_fails(body: bytes, position: int) -> None:
    headers = signed_headers(SECRET, body, "dlv_1")
    index = position % len(body)
    altered = body[:index] + bytes([body[index] ^ 0x01]) + body[index + 1 :]
    assert not verify_signature(SECRET, headers, altered)


def test_a_stale_or_future_timestamp_fails() -> None:
    body = b'{"text": "hi"}'
    now = time.time()
    old = signed_headers(SECRET, body, "dlv_1", now=now - 301)
    assert not verify_signature(SECRET, old, body, now=now)
    future = signed_headers(SECRET, body, "dlv_1", now=now + 301)
    assert not verify_signature(SECRET, future, body, now=now)
    assert verify_signature(SECRET, old, body, now=now, tolerance_s=600)


def test_a_timestamp_moved_to_now_breaks_the_signature() -> None:
    """Replaying with a fresh timestamp needs the secret: the timestamp is signed."""
    body = b"{}"
    headers = signed_headers(SECRET, body, "dlv_1", now=time.time() - 3600)
    headers[TIMESTAMP_HEADER] = str(int(time.time()))
    assert not verify_signature(SECRET, headers, body)


def test_headers_are_read_case_insensitively_and_junk_is_refused() -> None:
    body = b"{}"
    headers = {k.lower(): v for k, v in signed_headers(SECRET, body, "d").items()}
    assert verify_signature(SECRET, headers, body)
    assert not verify_signature(SECRET, {**headers, TIMESTAMP_HEADER.lower(): "soon"}, body)
    assert not verify_signature(SECRET, {**headers, SIGNATURE_HEADER.lower(): "v1=00"}, body)
    assert not verify_signature(SECRET, {}, body)


def test_the_delivery_log_never_keeps_a_webhook_secret() -> None:
    hook = "https://hooks.slack.example/services/T000/B000/XXXXSECRET?token=abc"
    assert redacted_target(hook) == "https://hooks.slack.example/services/…"
    assert (
        redacted_target("https://user:pw@example.com:8443/hook") == "https://example.com:8443/hook"
    )
