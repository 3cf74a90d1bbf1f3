"""Client over real HTTP: the same decisions as in-process, and it fails closed."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest

from proctor.errors import ProctorError
from proctor.gateway import Gateway
from proctor.model import ActionClass, CheckRequest, Outcome, OutcomeStatus, Task, ToolCall
from proctor.sdk import Checker, Client
from proctor.wire import AgentIn, HumanIn, TaskIn, ToolIn


def test_client_and_gateway_are_both_checkers(client: Client, gateway: Gateway) -> None:
    assert isinstance(client, Checker)
    assert isinstance(gateway, Checker)


def test_allowed_call_over_http(client: Client, incident: Task, incident_token: str) -> None:
    call = ToolCall("forum.read_thread", {"thread": 4411}, "forum:thread-4411")
    decision = client.check(incident_token, call)
    assert decision.outcome is Outcome.ALLOW
    assert decision.audit_seq is not None
    assert decision.request == CheckRequest(
        "forum-bot", incident.id, "forum.read_thread", {"thread": 4411}, "forum:thread-4411"
    )
    assert decision.chain == ("dana", "forum-bot")
    receipt = client.record_outcome(
        incident_token, decision.id, OutcomeStatus.SUCCEEDED, "read 12 posts"
    )
    assert receipt.violation is False
    assert receipt.audit_seq > decision.audit_seq


def test_held_call_over_http_names_its_approver(client: Client, incident_token: str) -> None:
    decision = client.check(incident_token, ToolCall("forum.post", {"body": "x"}))
    assert decision.outcome is Outcome.REQUIRE_APPROVAL
    assert any(reason.approver == "requester" for reason in decision.reasons)


def test_denied_call_over_http(client: Client, incident_token: str) -> None:
    decision = client.check(incident_token, ToolCall("shell.exec"))
    assert decision.outcome is Outcome.DENY
    assert decision.explain()


def test_client_sees_the_decision_the_gateway_recorded(
    client: Client, gateway: Gateway, incident_token: str
) -> None:
    decision = client.check(incident_token, ToolCall("forum.post"))
    (entry,) = gateway.runtime.audit.tail(1)
    assert entry.body["decision_id"] == decision.id
    assert entry.seq == decision.audit_seq


def test_api_errors_raise_with_the_server_code(client: Client, incident_token: str) -> None:
    with pytest.raises(ProctorError) as caught:
        client.record_outcome(incident_token, "dec_unknown", OutcomeStatus.FAILED)
    assert (caught.value.code, caught.value.http_status) == ("unknown_decision", 404)


def test_a_bad_token_is_a_recorded_deny(gateway_url: str, incident: Task) -> None:
    with Client(gateway_url) as client:
        decision = client.check("not-a-token", ToolCall("forum.read_thread"))
    assert (decision.outcome, decision.code) == (Outcome.DENY, "token_malformed")
    assert decision.audit_seq is not None


def test_an_admin_key_is_not_a_task_token(client: Client, gateway: Gateway, incident: Task) -> None:
    assert gateway.runtime.admin_key is not None
    decision = client.check(gateway.runtime.admin_key, ToolCall("forum.read_thread"))
    assert decision.code == "api_key_not_accepted"


def test_outcomes_need_the_agents_token(client: Client, incident_token: str) -> None:
    decision = client.check(incident_token, ToolCall("forum.read_thread"))
    with pytest.raises(ProctorError) as caught:
        client.record_outcome("", decision.id, OutcomeStatus.SUCCEEDED)
    assert (caught.value.code, caught.value.http_status) == ("missing_token", 401)


def test_non_json_arguments_are_denied_before_sending(client: Client, incident_token: str) -> None:
    decision = client.check(incident_token, ToolCall("forum.read_thread", {"x": float("nan")}))
    assert (decision.outcome, decision.code) == (Outcome.DENY, "invalid_input")
    assert decision.audit_seq is None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_nothing_listening_means_deny_not_an_exception() -> None:
    with Client(f"http://127.0.0.1:{_free_port()}", timeout=1.0) as client:
        decision = client.check("any-token", ToolCall("forum.post"))
    assert (decision.outcome, decision.code) == (Outcome.DENY, "gateway_unreachable")
    assert "could not be reached" in decision.explain()
    assert decision.audit_seq is None


class _NotProctor(BaseHTTPRequestHandler):
    """A server that answers every POST with something that is not Proctor's JSON."""

    status = 200
    body = b"<html>hello</html>"

    def do_POST(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture(params=[(200, b"<html>hello</html>"), (502, b"Bad gateway"), (200, b"{}")])
def impostor_url(request: pytest.FixtureRequest) -> Iterator[str]:
    status, body = request.param
    handler = type("Handler", (_NotProctor,), {"status": status, "body": body})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_answer_that_is_not_a_decision_means_deny(impostor_url: str) -> None:
    with Client(impostor_url) as client:
        decision = client.check("any-token", ToolCall("forum.post"))
    assert (decision.outcome, decision.code) == (Outcome.DENY, "gateway_unreachable")


def test_admin_helpers_set_up_an_agent_end_to_end(client: Client) -> None:
    assert client.put_agent(AgentIn(id="helper-bot", owner="ops")).change == "created"
    client.put_human(HumanIn(id="sam", name="Sam"))
    client.put_tool(ToolIn(name="kb.search", action_class=ActionClass.READ))
    task = client.create_task(
        TaskIn(
            agent_id="helper-bot", requester="sam", purpose="look up", actions=[ActionClass.READ]
        )
    )
    assert task.credential is not None, "the launcher gets the task token"
    decision = client.check(task.credential.token, ToolCall("kb.search", {"q": "vpn"}))
    assert decision.outcome is Outcome.ALLOW


def test_chunked_oversize_body_is_refused_by_the_real_server(
    gateway: Gateway, gateway_url: str
) -> None:
    """Over a real socket, with Transfer-Encoding: chunked and no Content-Length."""
    limit = gateway.runtime.settings.max_body_bytes

    def stream() -> Iterator[bytes]:
        yield b'{"pad": "'
        for _ in range(limit // 4096 + 2):
            yield b"x" * 4096

    response = httpx.post(
        f"{gateway_url}/v1/check",
        content=stream(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"
