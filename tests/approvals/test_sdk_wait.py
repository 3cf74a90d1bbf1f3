"""Agents wait well: ``@guarded(wait=...)`` long-polls, or returns and resumes later."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from proctor.approvals import ApprovalRequest, ApprovalStatus
from proctor.errors import ActionDenied, ApprovalRequired
from proctor.gateway import Gateway
from proctor.model import OutcomeStatus
from proctor.sdk import Client, guarded, session
from proctor.server import create_app
from tests.approvals.conftest import Someone
from tests.server.live import live_server

posted: list[str] = []


@guarded(tool="forum.post", wait=timedelta(seconds=20))
def post_and_wait(thread: str, body: str, proctor_stamp: dict[str, Any] | None = None) -> str:
    posted.append(body)
    return f"posted to {thread}"


@guarded(tool="forum.post")
def post_now(thread: str, body: str, proctor_stamp: dict[str, Any] | None = None) -> str:
    posted.append(body)
    return f"posted to {thread}"


@pytest.fixture(autouse=True)
def nothing_posted() -> None:
    posted.clear()


def answer_soon(gateway: Gateway, person: Someone, approve: bool, delay: float = 0.3) -> None:
    """In another thread: find the pending request and answer it."""

    def answer() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pending = gateway.runtime.approvals.list(status=ApprovalStatus.PENDING)
            if pending:
                time.sleep(delay)
                if approve:
                    gateway.runtime.approvals.approve(pending[0].id, person.person, "go")
                else:
                    gateway.runtime.approvals.deny(pending[0].id, person.person, "not public")
                return
            time.sleep(0.02)

    threading.Thread(target=answer, daemon=True).start()


def outcomes(gateway: Gateway) -> list[dict[str, object]]:
    return [e.body for e in gateway.runtime.audit.iter_entries(after_seq=0, kinds={"outcome"})]


def test_a_waiting_call_runs_once_approved_under_the_held_decision(
    gateway: Gateway, token: str, people: dict[str, Someone]
) -> None:
    answer_soon(gateway, people["dana"], approve=True)
    with session(gateway, token=token):
        assert post_and_wait("4411", "hello") == "posted to 4411"
    assert posted == ["hello"]
    (outcome,) = outcomes(gateway)
    (request,) = gateway.runtime.approvals.list()
    assert outcome["decision_id"] == request.decision_id
    assert outcome["status"] == OutcomeStatus.SUCCEEDED.value
    assert outcome["violation"] is False


def test_a_waiting_call_that_people_deny_raises_and_never_runs(
    gateway: Gateway, token: str, people: dict[str, Someone]
) -> None:
    answer_soon(gateway, people["dana"], approve=False)
    with session(gateway, token=token), pytest.raises(ActionDenied) as raised:
        post_and_wait("4411", "hello")
    assert raised.value.reason_code == "approval_denied"
    assert "not public" in raised.value.message
    assert posted == []
    (outcome,) = outcomes(gateway)
    assert outcome["status"] == OutcomeStatus.SKIPPED.value


def test_a_wait_that_runs_out_leaves_the_call_pending(gateway: Gateway, token: str) -> None:
    @guarded(tool="forum.post", wait=timedelta(seconds=0.3))
    def impatient(thread: str, body: str) -> None:
        posted.append(body)

    with session(gateway, token=token), pytest.raises(ApprovalRequired) as raised:
        impatient("4411", "hello")
    assert raised.value.decision_id.startswith("dec_")
    assert posted == []


@pytest.fixture
def url(gateway: Gateway) -> Iterator[str]:
    with live_server(create_app(gateway)) as running:
        yield running


class CountingClient(Client):
    """Counts the long-polls it sends (a busy loop would send many)."""

    polls = 0

    def wait_for_approval(
        self, token: str, decision_id: str, timeout: timedelta
    ) -> ApprovalRequest:
        CountingClient.polls += 1
        return super().wait_for_approval(token, decision_id, timeout)


def test_an_agent_resumes_later_with_client_wait_over_http(
    url: str, gateway: Gateway, token: str, people: dict[str, Someone]
) -> None:
    with CountingClient(url) as client, session(client, token=token):
        with pytest.raises(ApprovalRequired) as raised:
            post_now("4411", "hello")
        held = raised.value.decision_id
        CountingClient.polls = 0
        pending = client.wait(held, timeout=timedelta(seconds=1.5))
        assert pending.status is ApprovalStatus.PENDING
        assert CountingClient.polls == 1, "one long-poll, not a busy loop"
        answer_soon(gateway, people["dana"], approve=True, delay=0.2)
        answered = client.wait(held, timeout=timedelta(seconds=20))
        assert answered.status is ApprovalStatus.APPROVED
        assert post_now("4411", "hello") == "posted to 4411"
    assert posted == ["hello"]
    (outcome,) = outcomes(gateway)
    assert outcome["decision_id"] == held


def test_guarded_wait_works_over_http_too(
    url: str, gateway: Gateway, token: str, people: dict[str, Someone]
) -> None:
    answer_soon(gateway, people["dana"], approve=True)
    with Client(url) as client, session(client, token=token):
        assert post_and_wait("4411", "over http") == "posted to 4411"
    assert posted == ["over http"]


def test_an_unreachable_gateway_while_waiting_never_runs_the_call(
    gateway: Gateway, token: str
) -> None:
    """The check is held in-process; the wait goes to a gateway that is gone."""

    class Flaky:
        def check(self, token: str, call: object) -> object:
            return gateway.check(token, call)  # type: ignore[arg-type]

        def record_outcome(self, *args: object) -> object:
            return gateway.record_outcome(*args)  # type: ignore[arg-type]

        def wait_for_approval(self, *args: object) -> ApprovalRequest:
            with Client("http://127.0.0.1:9") as dead:
                return dead.wait_for_approval(*args)  # type: ignore[arg-type]

    with session(Flaky(), token=token), pytest.raises(Exception, match="could not be reached"):  # type: ignore[arg-type]
        post_and_wait("4411", "hello")
    assert posted == []
