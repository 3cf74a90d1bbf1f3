"""Notifications: a signed, replay-safe webhook with one-click links that work once."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from fastapi import FastAPI

from proctor.admin import Admin
from proctor.approvals import ApprovalLinks, ApprovalStatus
from proctor.gateway import Gateway
from proctor.home import load_or_create_secret
from proctor.model import Outcome
from proctor.notify import verify_signature
from proctor.server import create_app
from proctor.store import utcnow
from tests.approvals.conftest import POST, Clock, HoldCall, Someone
from tests.approvals.receiver import Receiver, webhook_receiver
from tests.conftest import analysis_task, register_incident, task_token
from tests.server.conftest import Api

PUBLIC_URL = "http://proctor.test"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


@pytest.fixture
def gateway(tmp_path: Path, clock: Clock, receiver: Receiver) -> Iterator[Gateway]:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    settings = {
        "webhook": {
            "url": receiver.url,
            "max_attempts": 4,
            "first_backoff_s": 0.05,
            "max_backoff_s": 0.2,
            "timeout_s": 2,
        },
        "approvals": {"public_url": PUBLIC_URL, "link_ttl_s": 600},
    }
    (home / "settings.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    with Gateway.open(home, clock=clock) as opened:
        yield opened


@pytest.fixture
def app(gateway: Gateway) -> FastAPI:
    return create_app(gateway)


def secret(gateway: Gateway) -> bytes:
    return load_or_create_secret(gateway.runtime.home.webhook_secret_path)


def message(receiver: Receiver, index: int = 0) -> dict[str, Any]:
    return dict(json.loads(receiver.wait_for(index + 1)[index].body))


def links_in(body: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(action, person) → link path, from the message's buttons."""
    found = {}
    for block in body["blocks"]:
        for element in block.get("elements", []):
            if element.get("type") == "button":
                action, _, person = element["text"]["text"].partition(" as ")
                found[(action.lower(), person)] = urlsplit(element["url"]).path
    return found


def test_a_new_request_is_posted_signed_with_the_whole_call(
    gateway: Gateway, receiver: Receiver, people: dict[str, Someone], hold: HoldCall
) -> None:
    _, request = hold()
    (arrived,) = receiver.wait_for(1)
    assert verify_signature(secret(gateway), arrived.headers, arrived.body)
    assert arrived.headers["X-Proctor-Delivery"].startswith("dlv_")
    body = json.loads(arrived.body)
    assert body["text"].startswith("Approval needed: forum.post by dana → forum-bot")
    assert body["proctor"]["event"] == "approval.created"
    assert body["proctor"]["approval"]["id"] == request.id
    assert body["proctor"]["approval"]["arguments"] == dict(POST.arguments)
    kinds = [block["type"] for block in body["blocks"]]
    assert kinds[0] == "header"
    assert "actions" in kinds


def test_a_replayed_or_altered_delivery_does_not_verify(
    gateway: Gateway, receiver: Receiver, hold: HoldCall
) -> None:
    hold()
    (arrived,) = receiver.wait_for(1)
    key = secret(gateway)
    later = time.time() + 600
    assert not verify_signature(key, arrived.headers, arrived.body, now=later), "replayed"
    altered = arrived.body.replace(b"forum.post", b"forum.edit")
    assert not verify_signature(key, arrived.headers, altered)
    assert not verify_signature(b"x" * 32, arrived.headers, arrived.body)
    stripped = {k: v for k, v in arrived.headers.items() if k != "X-Proctor-Timestamp"}
    assert not verify_signature(key, stripped, arrived.body)


def test_failed_deliveries_are_retried_with_backoff_and_every_attempt_recorded(
    gateway: Gateway, receiver: Receiver, hold: HoldCall
) -> None:
    receiver.statuses.extend([500, 503])
    _, request = hold()
    arrivals = receiver.wait_for(3)
    assert arrivals[1].at - arrivals[0].at >= 0.02
    assert arrivals[2].at - arrivals[1].at >= 0.02
    ids = {a.headers["X-Proctor-Delivery"] for a in arrivals}
    assert len(ids) == 1, "one delivery, tried three times"
    attempts = wait_for_attempts(gateway, request.id, 3)
    assert [(a.attempt, a.status_code, a.delivered) for a in attempts] == [
        (1, 500, False),
        (2, 503, False),
        (3, 200, True),
    ]
    assert "/hooks/" in attempts[0].target
    assert "?" not in attempts[0].target
    notified = wait_for_notified(gateway, request.id)
    assert notified["details"]["attempts"] == 3
    assert notified["details"]["delivered"] is True


def test_a_refusing_receiver_is_not_retried(
    gateway: Gateway, receiver: Receiver, hold: HoldCall
) -> None:
    receiver.statuses.append(404)
    _, request = hold()
    notified = wait_for_notified(gateway, request.id)
    assert notified["details"]["delivered"] is False
    assert len(gateway.runtime.deliveries.list(f"approval:{request.id}")) == 1


def test_decisions_are_posted_too(
    gateway: Gateway, receiver: Receiver, people: dict[str, Someone], hold: HoldCall
) -> None:
    _, request = hold()
    receiver.wait_for(1)
    gateway.runtime.approvals.deny(request.id, people["dana"].person, "reply privately")
    body = message(receiver, 1)
    assert body["proctor"]["event"] == "approval.denied"
    assert body["text"].startswith("Denied: forum.post")
    assert not links_in(body), "a decided request carries no links"


# -- one-click links ------------------------------------------------------------------


def test_each_person_who_may_answer_gets_their_own_links(
    receiver: Receiver, people: dict[str, Someone], hold: HoldCall
) -> None:
    hold()
    links = links_in(message(receiver))
    assert set(links) == {("approve", "dana"), ("deny", "dana")}


def test_opening_a_link_decides_nothing_and_submitting_it_decides_once(
    app: FastAPI,
    gateway: Gateway,
    token: str,
    receiver: Receiver,
    people: dict[str, Someone],
    hold: HoldCall,
) -> None:
    held, request = hold()
    approve = links_in(message(receiver))[("approve", "dana")]
    browser = Api(app, None)
    page = browser.get(approve)
    assert page.status_code == 200
    assert "forum.post" in page.text
    assert "<form" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert browser.get(approve).status_code == 200, "opening twice spends nothing"
    assert gateway.runtime.approvals.get(request.id).status is ApprovalStatus.PENDING
    done = browser.post(approve, data={"reason": "ok from chat"})
    assert done.status_code == 200, done.text
    approved = gateway.runtime.approvals.get(request.id)
    assert (approved.status, approved.decided_by) == (ApprovalStatus.APPROVED, "dana")
    assert approved.decision_reason == "ok from chat"
    again = browser.post(approve, data={"reason": "again"})
    assert again.status_code == 401
    assert "already been used" in again.text
    assert gateway.check(token, POST).id == held.id


def test_a_link_needs_a_reason(
    app: FastAPI, receiver: Receiver, people: dict[str, Someone], hold: HoldCall
) -> None:
    hold()
    approve = links_in(message(receiver))[("approve", "dana")]
    refused = Api(app, None).post(approve, data={"reason": " "})
    assert refused.status_code == 422
    assert Api(app, None).post(approve, data={"reason": "now with one"}).status_code == 200


def test_a_forged_or_altered_link_is_refused(
    app: FastAPI, gateway: Gateway, receiver: Receiver, people: dict[str, Someone], hold: HoldCall
) -> None:
    _, request = hold()
    approve = links_in(message(receiver))[("approve", "dana")]
    header, payload, signature = approve.rsplit("/", 1)[1].split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    browser = Api(app, None)
    forged = f"/v1/approval-links/{header}.{payload}.{flipped}"
    altered = browser.post(forged, data={"reason": "x"})
    assert altered.status_code == 401
    assert "not valid" in altered.text
    foreign = ApprovalLinks(gateway.runtime.database, b"k" * 32).issue(
        request.id, "dana", "approve"
    )
    assert browser.post(f"/v1/approval-links/{foreign}", data={"reason": "x"}).status_code == 401
    assert browser.get("/v1/approval-links/not-a-token").status_code == 401
    assert gateway.runtime.approvals.get(request.id).status is ApprovalStatus.PENDING


def test_an_expired_link_is_refused(
    app: FastAPI, gateway: Gateway, people: dict[str, Someone], hold: HoldCall
) -> None:
    _, request = hold()
    stale = gateway.runtime.approval_links.issue(
        request.id, "dana", "approve", not_after=utcnow() - timedelta(minutes=1)
    )
    answer = Api(app, None).post(f"/v1/approval-links/{stale}", data={"reason": "late"})
    assert answer.status_code == 401
    assert "expired" in answer.text


def test_a_link_gives_no_more_than_its_person_may_do(
    app: FastAPI, gateway: Gateway, people: dict[str, Someone], hold: HoldCall
) -> None:
    """A genuine link for someone who may not answer is refused at submission."""
    _, request = hold()
    link = gateway.runtime.approval_links.issue(request.id, "vic", "approve")
    answer = Api(app, None).post(f"/v1/approval-links/{link}", data={"reason": "I am a viewer"})
    assert answer.status_code == 403
    assert gateway.runtime.approvals.get(request.id).status is ApprovalStatus.PENDING


def test_a_deny_link_denies(
    app: FastAPI,
    gateway: Gateway,
    token: str,
    receiver: Receiver,
    people: dict[str, Someone],
    hold: HoldCall,
) -> None:
    _, request = hold()
    deny = links_in(message(receiver))[("deny", "dana")]
    assert Api(app, None).post(deny, data={"reason": "not public"}).status_code == 200
    assert gateway.runtime.approvals.get(request.id).status is ApprovalStatus.DENIED
    assert gateway.check(token, POST).outcome is Outcome.DENY


def test_without_a_public_url_there_are_no_links(
    tmp_path: Path, clock: Clock, receiver: Receiver, admin: Admin
) -> None:
    admin.gateway.close()
    home = tmp_path / "home"
    settings = yaml.safe_load((home / "settings.yaml").read_text(encoding="utf-8"))
    del settings["approvals"]
    (home / "settings.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    with Gateway.open(home, clock=clock) as gateway:
        admin2 = Admin(gateway)
        register_incident(admin2)
        gateway.check(task_token(admin2, analysis_task(admin2)), POST)
        assert not links_in(message(receiver))


def wait_for_attempts(gateway: Gateway, approval_id: str, count: int) -> list[Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        attempts = gateway.runtime.deliveries.list(f"approval:{approval_id}")
        if len(attempts) >= count:
            return attempts
        time.sleep(0.02)
    raise AssertionError(f"expected {count} attempts")


def wait_for_notified(gateway: Gateway, approval_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for entry in gateway.runtime.audit.iter_entries(after_seq=0, kinds={"approval"}):
            body = entry.body
            if body["action"] == "approval.notified" and body["approval_id"] == approval_id:
                return dict(body)
        time.sleep(0.02)
    raise AssertionError("no approval.notified entry")
