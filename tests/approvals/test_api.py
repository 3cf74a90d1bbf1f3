"""Approvals over HTTP: who may read and answer, the agent's long-poll, the live stream."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from proctor.admin import Admin
from proctor.gateway import Gateway
from proctor.model import Capabilities
from proctor.server import create_app
from tests.approvals.conftest import POST, HoldCall, Someone
from tests.conftest import ensure_person, task_token
from tests.server.conftest import Api, assert_error
from tests.server.live import live_server


@pytest.fixture
def app(gateway: Gateway) -> FastAPI:
    return create_app(gateway)


def as_person(app: FastAPI, someone: Someone) -> Api:
    return Api(app, someone.key)


def test_listing_and_showing_need_a_reading_role(
    app: FastAPI, people: dict[str, Someone], hold: HoldCall
) -> None:
    _, request = hold()
    assert_error(as_person(app, people["vic"]).get("/v1/approvals"), 403, "role_required")
    for who in ("aud", "dana", "root"):
        listed = as_person(app, people[who]).get("/v1/approvals", params={"status": "pending"})
        assert listed.status_code == 200, listed.text
        assert [r["id"] for r in listed.json()] == [request.id]
    shown = as_person(app, people["aud"]).get(f"/v1/approvals/{request.id}").json()
    assert shown["arguments"] == dict(POST.arguments)
    assert shown["waiting_for"] == ["requester"]
    assert shown["chain"] == ["dana", "forum-bot"]


def test_a_person_approves_with_their_own_key(
    app: FastAPI, gateway: Gateway, token: str, people: dict[str, Someone], hold: HoldCall
) -> None:
    held, request = hold()
    answer = as_person(app, people["dana"]).post(
        f"/v1/approvals/{request.id}/approve", json={"reason": "fine"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["status"], body["decided_by"]) == ("approved", "dana")
    assert gateway.check(token, POST).id == held.id


def test_an_admin_key_is_nobody_and_cannot_approve(
    app: FastAPI, gateway: Gateway, people: dict[str, Someone], hold: HoldCall
) -> None:
    _, request = hold()
    response = Api(app, gateway.runtime.admin_key).post(
        f"/v1/approvals/{request.id}/approve", json={"reason": "admin says"}
    )
    assert_error(response, 403, "person_required")


def test_an_agent_token_cannot_approve(app: FastAPI, token: str, hold: HoldCall) -> None:
    _, request = hold()
    agent = Api(app, token)
    response = agent.post(f"/v1/approvals/{request.id}/approve", json={"reason": "me"})
    assert_error(response, 401, "agent_token_not_accepted")
    assert_error(agent.get("/v1/approvals"), 401, "agent_token_not_accepted")


def test_a_viewer_cannot_approve_over_http(
    app: FastAPI, people: dict[str, Someone], hold: HoldCall
) -> None:
    _, request = hold()
    response = as_person(app, people["vic"]).post(
        f"/v1/approvals/{request.id}/approve", json={"reason": "looks good"}
    )
    assert_error(response, 403, "role_required")


def test_answering_twice_is_a_conflict(
    app: FastAPI, people: dict[str, Someone], hold: HoldCall
) -> None:
    _, request = hold()
    dana = as_person(app, people["dana"])
    assert dana.post(f"/v1/approvals/{request.id}/deny", json={"reason": "no"}).status_code == 200
    again = dana.post(f"/v1/approvals/{request.id}/approve", json={"reason": "yes now"})
    assert_error(again, 409, "approval_already_decided")


def test_a_decision_without_a_reason_or_with_a_typo_is_refused(
    app: FastAPI, people: dict[str, Someone], hold: HoldCall
) -> None:
    _, request = hold()
    dana = as_person(app, people["dana"])
    assert_error(dana.post(f"/v1/approvals/{request.id}/approve", json={}), 422, "invalid_request")
    typo = dana.post(f"/v1/approvals/{request.id}/approve", json={"reason": "ok", "scoop": "call"})
    assert_error(typo, 422, "invalid_request")
    assert_error(
        as_person(app, people["dana"]).get("/v1/approvals/apr_nope"), 404, "unknown_approval"
    )


def test_deliveries_of_a_request_are_listed(
    app: FastAPI, people: dict[str, Someone], hold: HoldCall
) -> None:
    _, request = hold()
    response = as_person(app, people["aud"]).get(f"/v1/approvals/{request.id}/deliveries")
    assert response.status_code == 200
    assert response.json() == [], "no webhook is configured here"


# -- the agent waits ------------------------------------------------------------------


def test_the_agent_long_polls_and_hears_the_answer_at_once(
    app: FastAPI, gateway: Gateway, token: str, people: dict[str, Someone], hold: HoldCall
) -> None:
    held, request = hold()

    def approve_soon() -> None:
        time.sleep(0.3)
        gateway.runtime.approvals.approve(request.id, people["dana"].person, "go ahead")

    approver = threading.Thread(target=approve_soon)
    approver.start()
    started = time.monotonic()
    answer = Api(app, token).post(f"/v1/decisions/{held.id}/wait", params={"timeout_s": 20})
    waited = time.monotonic() - started
    approver.join()
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "approved"
    assert waited < 5, "woken by the decision, not by the timeout"


def test_a_wait_that_times_out_says_pending(app: FastAPI, token: str, hold: HoldCall) -> None:
    held, _ = hold()
    answer = Api(app, token).post(f"/v1/decisions/{held.id}/wait", params={"timeout_s": 0.2})
    assert answer.json()["status"] == "pending"


def test_only_the_agent_the_decision_was_for_may_wait(
    app: FastAPI, admin: Admin, token: str, hold: HoldCall
) -> None:
    held, _ = hold()
    ensure_person(admin, "erin")
    other_task = admin.create_task(
        agent_id="forum-bot",
        requester="erin",
        purpose="something else",
        capabilities=Capabilities(actions=frozenset()),
        actor="erin",
    )
    other = Api(app, task_token(admin, other_task))
    assert_error(other.post(f"/v1/decisions/{held.id}/wait"), 403, "decision_not_yours")
    assert_error(Api(app, None).post(f"/v1/decisions/{held.id}/wait"), 401, "missing_token")
    too_long = Api(app, token).post(f"/v1/decisions/{held.id}/wait", params={"timeout_s": 600})
    assert_error(too_long, 422, "invalid_request")


# -- the live stream ------------------------------------------------------------------


@pytest.fixture
def gateway_url(app: FastAPI) -> Iterator[str]:
    with live_server(app) as url:
        yield url


def read_events(
    url: str,
    key: str,
    count: int,
    seen: list[dict[str, object]],
    listening: threading.Event | None = None,
) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    with (
        httpx.Client(timeout=10) as client,
        client.stream("GET", f"{url}/v1/approvals/stream", headers=headers) as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        event: dict[str, object] = {}
        for line in response.iter_lines():
            if line.startswith(":") and listening is not None:
                listening.set()
            elif line.startswith("event: "):
                event["event"] = line.removeprefix("event: ")
            elif line.startswith("data: "):
                event["data"] = json.loads(line.removeprefix("data: "))
            elif line == "" and event:
                seen.append(event)
                event = {}
                if len(seen) >= count:
                    return


def wait_until(condition: Callable[[], bool], timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_the_stream_shows_each_change_live(
    gateway_url: str, gateway: Gateway, people: dict[str, Someone], hold: HoldCall
) -> None:
    seen: list[dict[str, object]] = []
    listening = threading.Event()
    reader = threading.Thread(
        target=read_events, args=(gateway_url, people["aud"].key, 2, seen, listening)
    )
    reader.start()
    # No sleeping and hoping: the stream says when it listens, and each change is
    # made once the one before it has arrived (a slow reader would see them merged).
    assert listening.wait(timeout=10)
    _, request = hold()
    wait_until(lambda: len(seen) >= 1)
    gateway.runtime.approvals.deny(request.id, people["dana"].person, "reply privately")
    reader.join(timeout=10)
    assert [e["event"] for e in seen] == ["approval.created", "approval.denied"]
    denied = seen[1]["data"]
    assert isinstance(denied, dict)
    assert (denied["id"], denied["decided_by"]) == (request.id, "dana")


def test_the_stream_sees_changes_made_by_another_process(
    gateway_url: str, tmp_path: Path, people: dict[str, Someone], hold: HoldCall
) -> None:
    """A second gateway on the same store decides; the first one's stream shows it."""
    _, request = hold()
    seen: list[dict[str, object]] = []
    listening = threading.Event()
    reader = threading.Thread(
        target=read_events, args=(gateway_url, people["aud"].key, 1, seen, listening)
    )
    reader.start()
    assert listening.wait(timeout=10)
    with Gateway.open(tmp_path / "home") as other:
        other.runtime.approvals.approve(request.id, other.runtime.people.get("dana"), "ok")
    reader.join(timeout=10)
    assert [e["event"] for e in seen] == ["approval.approved"]


def test_the_stream_needs_a_reading_role(
    app: FastAPI, people: dict[str, Someone], token: str
) -> None:
    assert_error(as_person(app, people["vic"]).get("/v1/approvals/stream"), 403, "role_required")
    assert_error(Api(app, token).get("/v1/approvals/stream"), 401, "agent_token_not_accepted")


def test_held_calls_keep_their_approval_id_over_http(
    app: FastAPI, token: str, hold: HoldCall
) -> None:
    decision = Api(app, token).post("/v1/check", json={"tool": POST.tool, "arguments": {}}).json()
    assert decision["outcome"] == "require_approval"
    assert decision["approval_id"].startswith("apr_")
