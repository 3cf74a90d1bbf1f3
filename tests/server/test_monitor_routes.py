"""The monitor over HTTP: alerts, breakers and their reset, rate limits, the live stream."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from proctor.admin import Admin
from proctor.gateway import Gateway
from proctor.model import ToolCall
from proctor.monitor import Alert, AlertKind, Severity, parse_rate_limits
from proctor.people import Role
from proctor.server import create_app
from tests.conftest import analysis_task, ensure_person, register_incident, task_token
from tests.server.conftest import Api, assert_error
from tests.server.live import live_server

#: A breaker that trips on the third permission change within a minute.
SETTINGS = """\
monitor:
  breakers:
    rules:
      - action_burst: {action: modify_permissions, count: 3, within: 1m}
"""
WIDEN = ToolCall(
    "repo.set_permissions",
    {"grantee": "all-employees", "level": "read"},
    "repo:acme/payments-core",
)


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.yaml").write_text(SETTINGS, encoding="utf-8")
    with Gateway.open(home) as opened:
        yield opened


@pytest.fixture
def token(admin: Admin) -> str:
    register_incident(admin)
    return task_token(admin, analysis_task(admin))


@pytest.fixture
def keys(admin: Admin, token: str) -> dict[str, str]:
    """Personal keys: root (admin), aud (auditor), vic (viewer), dana (an approver),
    and platform-team, forum-bot's owner (an approver)."""
    roles = {
        "root": Role.ADMIN,
        "aud": Role.AUDITOR,
        "vic": Role.VIEWER,
        "dana": Role.APPROVER,
        "platform-team": Role.APPROVER,
    }
    found = {}
    for person_id, role in roles.items():
        ensure_person(admin, person_id, role)
        found[person_id] = admin.runtime.people.create_key(person_id)[1]
    return found


def as_(app: FastAPI, key: str) -> Api:
    return Api(app, key)


def trip(gateway: Gateway, token: str, *, tripped: bool = True) -> None:
    """forum-bot changes permissions three times: its breaker trips, an alert is raised."""
    for _ in range(3):
        gateway.check(token, WIDEN)
    assert gateway.runtime.monitor.drain()
    assert gateway.runtime.monitor.breakers.state("forum-bot").tripped is tripped


def stored_alert(agent: str, at: datetime, summary: str = "unusual") -> Alert:
    return Alert(
        id=f"alert_{agent}_{at:%H%M%S}",
        agent=agent,
        kind=AlertKind.ANOMALY,
        severity=Severity.MEDIUM,
        summary=summary,
        evidence={"owner": None},
        created_at=at,
    )


# -- alerts ----------------------------------------------------------------------------


def test_a_trip_is_listed_as_an_alert_and_an_open_breaker(
    app: FastAPI, gateway: Gateway, token: str, keys: dict[str, str]
) -> None:
    trip(gateway, token)
    auditor = as_(app, keys["aud"])
    alerts = auditor.get("/v1/alerts")
    assert alerts.status_code == 200, alerts.text
    [alert] = alerts.json()
    assert (alert["agent"], alert["kind"], alert["severity"]) == ("forum-bot", "breaker", "high")
    assert alert["evidence"]["owner"] == "platform-team"
    assert "action_burst" in alert["summary"]
    assert auditor.get(f"/v1/alerts/{alert['id']}").json() == alert

    [breaker] = auditor.get("/v1/breakers").json()
    assert (breaker["agent"], breaker["status"], breaker["on_trip"]) == (
        "forum-bot",
        "open",
        "hold",
    )
    assert breaker["rule"] == "action_burst(3 modify_permissions within 1m)"
    assert breaker["cool_down_until"] is not None
    assert auditor.get("/v1/breakers/forum-bot").json() == breaker


def test_alerts_filter_by_agent_and_time_and_keep_the_newest(
    app: FastAPI, gateway: Gateway, keys: dict[str, str]
) -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for minute, agent in enumerate(("forum-bot", "mail-bot", "forum-bot", "forum-bot")):
        gateway.runtime.monitor.alerts.add(stored_alert(agent, start + timedelta(minutes=minute)))
    reader = as_(app, keys["dana"])

    def ids(**params: object) -> list[str]:
        answer = reader.get("/v1/alerts", params=params)
        assert answer.status_code == 200, answer.text
        return [alert["id"] for alert in answer.json()]

    assert ids(agent="mail-bot") == ["alert_mail-bot_090100"]
    assert ids(agent="forum-bot", limit=2) == ["alert_forum-bot_090200", "alert_forum-bot_090300"]
    assert ids(since="2026-03-02T09:02:00Z") == ["alert_forum-bot_090200", "alert_forum-bot_090300"]
    assert ids(since="2026-03-02T11:02:00+02:00") == [
        "alert_forum-bot_090200",
        "alert_forum-bot_090300",
    ]
    assert ids(agent="nobody") == []
    assert_error(reader.get("/v1/alerts", params={"limit": 0}), 422, "invalid_request")
    assert_error(reader.get("/v1/alerts", params={"limit": 1001}), 422, "invalid_request")


def test_an_unknown_alert_is_404(app: FastAPI, keys: dict[str, str]) -> None:
    assert_error(as_(app, keys["aud"]).get("/v1/alerts/alert_nope"), 404, "unknown_alert")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/alerts",
        "/v1/alerts/stream",
        "/v1/breakers",
        "/v1/breakers/forum-bot",
        "/v1/rate-limits",
    ],
)
def test_reading_needs_a_person_or_key_with_a_reading_role(
    app: FastAPI, token: str, keys: dict[str, str], path: str
) -> None:
    assert_error(Api(app, None).get(path), 401, "missing_api_key")
    assert_error(Api(app, token).get(path), 401, "agent_token_not_accepted")
    assert_error(as_(app, keys["vic"]).get(path), 403, "role_required")


# -- breakers --------------------------------------------------------------------------


def test_an_admin_resets_a_tripped_breaker_and_the_log_says_who_and_why(
    app: FastAPI, api: Api, gateway: Gateway, token: str, keys: dict[str, str]
) -> None:
    trip(gateway, token)
    answer = as_(app, keys["root"]).post(
        "/v1/breakers/forum-bot/reset", json={"reason": "checked the burst with dana"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["agent"], body["by"]) == ("forum-bot", "person:root")
    assert body["reason"] == "checked the burst with dana"
    assert body["breaker"]["status"] == "closed"
    assert as_(app, keys["aud"]).get("/v1/breakers").json() == []
    assert not gateway.runtime.monitor.breakers.state("forum-bot").tripped

    assert gateway.runtime.monitor.drain()
    entries = api.get("/v1/audit", params={"kind": "breaker"}).json()["entries"]
    assert [entry["body"]["event"] for entry in entries] == ["trip", "reset"]
    reset = entries[-1]["body"]
    assert (reset["by"], reset["reason"], reset["automatic"]) == (
        "person:root",
        "checked the burst with dana",
        False,
    )


def test_the_owner_may_reset_their_agents_breaker_and_nobody_else_but_an_admin(
    app: FastAPI, gateway: Gateway, token: str, keys: dict[str, str]
) -> None:
    trip(gateway, token)
    path, body = "/v1/breakers/forum-bot/reset", {"reason": "a planned migration"}
    assert_error(as_(app, keys["vic"]).post(path, json=body), 403, "role_required")
    assert_error(as_(app, keys["aud"]).post(path, json=body), 403, "role_required")
    assert_error(as_(app, keys["dana"]).post(path, json=body), 403, "not_agent_owner")
    assert gateway.runtime.monitor.breakers.state("forum-bot").tripped
    answer = as_(app, keys["platform-team"]).post(path, json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["by"] == "person:platform-team"


def test_an_admin_key_resets_too(api: Api, gateway: Gateway, token: str) -> None:
    trip(gateway, token)
    answer = api.post("/v1/breakers/forum-bot/reset", json={"reason": "on-call"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["by"].startswith("admin-key:")


def test_resetting_a_closed_breaker_is_a_conflict(api: Api, token: str) -> None:
    answer = api.post("/v1/breakers/forum-bot/reset", json={"reason": "just in case"})
    assert_error(answer, 409, "breaker_not_tripped")


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_a_reset_needs_a_reason(
    api: Api, gateway: Gateway, token: str, body: dict[str, str]
) -> None:
    trip(gateway, token)
    assert_error(api.post("/v1/breakers/forum-bot/reset", json=body), 422, "reason_required")
    assert gateway.runtime.monitor.breakers.state("forum-bot").tripped


def test_a_closed_breaker_shows_and_an_unknown_agent_is_404(api: Api, token: str) -> None:
    closed = api.get("/v1/breakers/forum-bot").json()
    assert (closed["status"], closed["rule"], closed["opened_at"]) == ("closed", None, None)
    assert_error(api.get("/v1/breakers/nobody"), 404, "not_found")


def test_a_breaker_past_its_cool_down_is_listed_half_open(tmp_path: Path) -> None:
    home = tmp_path / "quick"
    home.mkdir()
    (home / "settings.yaml").write_text(SETTINGS + "    cool_down: 0s\n", encoding="utf-8")
    with Gateway.open(home) as gateway:
        admin = Admin(gateway)
        register_incident(admin)
        trip(gateway, task_token(admin, analysis_task(admin)), tripped=False)
        api = Api(create_app(gateway), gateway.runtime.admin_key)
        [breaker] = api.get("/v1/breakers").json()
        assert (breaker["status"], breaker["cool_down_until"]) == ("half_open", None)
        assert api.get("/v1/breakers/forum-bot").json() == breaker


# -- rate limits -----------------------------------------------------------------------


def test_declared_rate_limits_are_listed(api: Api, gateway: Gateway) -> None:
    assert api.get("/v1/rate-limits").json() == []
    rules = parse_rate_limits(
        ["forum.post: 5/hour per agent", "repo.*: 20/10min per requester burst 4"]
    )
    gateway.runtime.monitor.declare_rate_limits(rules, actor="test")
    listed = api.get("/v1/rate-limits").json()
    assert [rule["text"] for rule in listed] == [
        "forum.post: 5/hour per agent",
        "repo.*: 20/10min per requester burst 4",
    ]
    assert listed[1] == {
        "id": "repo.*: 20/10min per requester burst 4",
        "text": "repo.*: 20/10min per requester burst 4",
        "description": "20 per 10 minutes per requester",
        "tool": "repo.*",
        "limit": 20,
        "period_s": 600,
        "per": "requester",
        "burst": 4,
    }


# -- the live stream -------------------------------------------------------------------


@pytest.fixture
def gateway_url(app: FastAPI) -> Iterator[str]:
    with live_server(app) as url:
        yield url


def read_alerts(url: str, key: str, seen: list[dict[str, object]], opened: threading.Event) -> None:
    """Read the stream until the first ``alert`` event; ``opened`` is set once it listens."""
    headers = {"Authorization": f"Bearer {key}"}
    with (
        httpx.Client(timeout=10) as client,
        client.stream("GET", f"{url}/v1/alerts/stream", headers=headers) as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        event: dict[str, object] = {}
        for line in response.iter_lines():
            if line.startswith(":"):
                opened.set()  # ": listening": subscribed (later comments are keep-alives)
            elif line.startswith("event: "):
                event["event"] = line.removeprefix("event: ")
            elif line.startswith("id: "):
                event["id"] = line.removeprefix("id: ")
            elif line.startswith("data: "):
                event["data"] = json.loads(line.removeprefix("data: "))
            elif line == "" and event:
                seen.append(event)
                return


def stream_one(url: str, key: str) -> tuple[threading.Thread, list[dict[str, object]]]:
    seen: list[dict[str, object]] = []
    opened = threading.Event()
    reader = threading.Thread(target=read_alerts, args=(url, key, seen, opened))
    reader.start()
    assert opened.wait(10)
    return reader, seen


def test_the_stream_delivers_an_alert_raised_after_it_opened(
    gateway_url: str, gateway: Gateway, token: str, keys: dict[str, str]
) -> None:
    gateway.runtime.monitor.alerts.add(
        stored_alert("forum-bot", datetime.now(UTC) - timedelta(hours=1))
    )
    reader, seen = stream_one(gateway_url, keys["aud"])
    trip(gateway, token)
    reader.join(timeout=10)
    [event] = seen
    assert event["event"] == "alert"
    data = event["data"]
    assert isinstance(data, dict)
    [stored] = [a for a in gateway.runtime.monitor.alerts.list() if a.kind is AlertKind.BREAKER]
    assert (data["id"], data["agent"], data["kind"]) == (stored.id, "forum-bot", "breaker")
    assert data["evidence"]["owner"] == "platform-team"
    assert str(event["id"]).endswith(stored.id)


def test_the_stream_sees_alerts_another_process_raised(
    gateway_url: str, tmp_path: Path, keys: dict[str, str]
) -> None:
    """A second gateway on the same store raises an alert; the first one's stream shows it."""
    reader, seen = stream_one(gateway_url, keys["aud"])
    raised = stored_alert("mail-bot", datetime.now(UTC))
    with Gateway.open(tmp_path / "home") as other:
        other.runtime.monitor.alerts.add(raised)
    reader.join(timeout=10)
    [event] = seen
    assert event["event"] == "alert"
    data = event["data"]
    assert isinstance(data, dict)
    assert (data["id"], data["agent"], data["summary"]) == (raised.id, "mail-bot", "unusual")
