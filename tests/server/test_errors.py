"""Every error is {"code", "message"} with the right status, and never a stack trace."""

from __future__ import annotations

import logging
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from proctor.gateway import Gateway
from tests.server.conftest import Api, assert_error

# -- authentication -----------------------------------------------------------------


def test_missing_key_is_401_missing_api_key(anonymous: Api) -> None:
    response = anonymous.get("/v1/agents")
    assert_error(response, 401, "missing_api_key")
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer prk_0000.not-the-secret",
        "Bearer not-a-key",
        "Basic YWRtaW46YWRtaW4=",
        "Bearer",
        "",
    ],
)
def test_wrong_key_is_401_invalid_api_key(anonymous: Api, header: str) -> None:
    response = anonymous.get("/v1/agents", headers={"Authorization": header})
    assert_error(response, 401, "invalid_api_key")


def test_forged_secret_for_a_real_key_id_is_refused(anonymous: Api, admin_key: str) -> None:
    key_id = admin_key.partition(".")[0]
    response = anonymous.get("/v1/agents", headers={"Authorization": f"Bearer {key_id}.forged"})
    assert_error(response, 401, "invalid_api_key")


def test_revoked_key_is_refused(api: Api, gateway: Gateway, admin_key: str) -> None:
    key_id = admin_key.removeprefix("prk_").partition(".")[0]
    gateway.runtime.admin_keys.revoke(key_id)
    assert_error(api.get("/v1/agents"), 401, "revoked_api_key")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/explain"),
        ("GET", "/v1/tasks"),
        ("GET", "/v1/policies"),
        ("PUT", "/v1/policies/p"),
        ("POST", "/v1/apply"),
        ("GET", "/v1/audit"),
        ("GET", "/v1/audit/verify"),
    ],
)
def test_every_v1_route_needs_a_key(anonymous: Api, method: str, path: str) -> None:
    assert_error(anonymous.request(method, path, json={}), 401, "missing_api_key")


def test_outcomes_need_a_task_token(anonymous: Api) -> None:
    response = anonymous.post("/v1/outcomes", json={"decision_id": "d", "status": "failed"})
    assert_error(response, 401, "missing_token")


def test_a_refused_request_changes_nothing(anonymous: Api, api: Api) -> None:
    anonymous.post("/v1/agents", json={"id": "intruder", "owner": "mallory"})
    assert_error(api.get("/v1/agents/intruder"), 404, "not_found")


def test_health_needs_no_key(anonymous: Api) -> None:
    response = anonymous.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


# -- routing and parsing ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["/nowhere", "/v1/nowhere", "/v2/check"])
def test_unknown_route_is_404_not_found(api: Api, path: str) -> None:
    assert_error(api.get(path), 404, "not_found")


def test_wrong_method_is_405_method_not_allowed(api: Api) -> None:
    response = api.get("/v1/check")
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


@pytest.mark.parametrize("body", [b"{not json", b'{"agent_id": ', b"\xff\xfe{}"])
def test_malformed_json_is_400_invalid_json(api: Api, body: bytes) -> None:
    response = api.post("/v1/check", content=body, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "invalid_json")


def test_validation_error_names_the_field(api: Api) -> None:
    response = api.post("/v1/check", json={"resource": "r"})
    assert "tool" in assert_error(response, 422, "invalid_request")["message"]


def test_unknown_fields_are_refused(api: Api) -> None:
    response = api.post("/v1/check", json={"tool": "x", "approved": True})
    assert "approved" in assert_error(response, 422, "invalid_request")["message"]


@pytest.mark.parametrize(
    ("field", "value"), [("tool", "t" * 201), ("tool", ""), ("resource", "r" * 301)]
)
def test_ids_and_names_are_bounded(api: Api, field: str, value: str) -> None:
    body = {"tool": "x", field: value}
    response = api.post("/v1/check", json=body)
    assert field in assert_error(response, 422, "invalid_request")["message"]


def test_body_that_is_not_declared_json_is_explained(api: Api) -> None:
    response = api.post("/v1/check", content=b"{}", headers={"Content-Type": "text/plain"})
    assert "application/json" in assert_error(response, 422, "invalid_request")["message"]


def test_query_parameters_are_validated(api: Api) -> None:
    response = api.get("/v1/audit", params={"limit": 1001})
    assert "limit" in assert_error(response, 422, "invalid_request")["message"]


# -- body size ------------------------------------------------------------------------


def _limit(gateway: Gateway) -> int:
    return gateway.runtime.settings.max_body_bytes


def test_declared_oversize_body_is_413(api: Api, gateway: Gateway) -> None:
    body = b'{"pad": "' + b"x" * _limit(gateway) + b'"}'
    response = api.post("/v1/check", content=body, headers={"Content-Type": "application/json"})
    assert_error(response, 413, "body_too_large")


def test_streamed_oversize_body_is_413(api: Api, gateway: Gateway) -> None:
    """A chunked body has no Content-Length: the limit is counted on the stream."""
    chunk = b"x" * 4096
    chunks_sent = 0

    async def stream() -> AsyncIterator[bytes]:
        nonlocal chunks_sent
        yield b'{"pad": "'
        while True:
            chunks_sent += 1
            yield chunk

    response = api.post("/v1/check", content=stream(), headers={"Content-Type": "application/json"})
    assert_error(response, 413, "body_too_large")
    # It stopped reading soon after the limit, not at the end of an endless body.
    assert chunks_sent * len(chunk) <= _limit(gateway) + 2 * len(chunk)


def test_body_just_under_the_limit_is_read(agent: Api, gateway: Gateway) -> None:
    padding = _limit(gateway) - 200
    body = b'{"tool": "x", "arguments": {"p": "'
    body += b"x" * (padding - len(body)) + b'"}}'

    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000]

    response = agent.post(
        "/v1/check", content=stream(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["outcome"] == "deny", "tool x is not in the inventory"
    recorded = gateway.runtime.audit.tail(1)[0].body["arguments"]["p"]
    assert len(recorded) == padding - len(b'{"tool": "x", "arguments": {"p": "')


# -- failures inside ------------------------------------------------------------------


def test_unexpected_exception_is_500_without_details(
    app: FastAPI, api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    def explode() -> None:
        raise RuntimeError("secret connection string postgres://u:pw@db")

    app.add_api_route("/v1/explode", explode)
    with caplog.at_level(logging.ERROR, logger="proctor.server"):
        response = api.get("/v1/explode")
    assert_error(response, 500, "internal_error")
    assert "postgres" not in response.text
    assert "RuntimeError" not in response.text
    assert "secret connection string" in caplog.text


@pytest.fixture
def broken_store(gateway: Gateway, tmp_path: Path) -> Iterator[None]:
    """The data directory vanishes under a running gateway (a lost volume)."""
    home = gateway.runtime.home.path
    gateway.runtime.database.dispose()
    shutil.move(home, tmp_path / "moved")
    yield
    gateway.runtime.database.dispose()
    shutil.move(tmp_path / "moved", home)


@pytest.mark.usefixtures("broken_store")
def test_health_reports_an_unreadable_store_as_503(anonymous: Api) -> None:
    assert_error(anonymous.get("/healthz"), 503, "store_unavailable")


def test_admin_routes_with_an_unreadable_store_fail_closed(api: Api, broken_store: None) -> None:
    response = api.get("/v1/agents")
    # The admin key cannot be checked: refused before anything else.
    assert_error(response, 503, "store_error")
    assert "sqlite" not in response.text.lower()


def test_check_with_an_unwritable_audit_log_fails_closed(agent: Api, gateway: Gateway) -> None:
    gateway.runtime.audit.close()
    gateway.runtime.database.dispose()
    with gateway.runtime.database.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE audit_entries")
    response = agent.post("/v1/check", json={"tool": "forum.read_thread"})
    assert response.status_code == 200
    assert (response.json()["outcome"], response.json()["code"]) == ("deny", "audit_unavailable")
    # What the driver said (paths, SQL) is for the log, not for the caller.
    assert "sqlite" not in response.text.lower()
