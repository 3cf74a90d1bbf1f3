"""POST /v1/kill and /v1/revive: only an admin stops and resumes agents."""

from __future__ import annotations

from tests.server.conftest import Api, assert_error


def _read(agent: Api) -> dict[str, object]:
    return dict(agent.post("/v1/check", json={"tool": "forum.read_thread"}).json())


def test_kill_all_then_revive(api: Api, agent: Api) -> None:
    stopped = api.post("/v1/kill", json={"scope": "all", "reason": "runaway loop"})
    assert stopped.status_code == 200
    assert stopped.json()["engaged"] is True
    assert _read(agent)["code"] == "all_agents_stopped"
    resumed = api.post("/v1/revive", json={"reason": "contained"})
    assert resumed.json()["engaged"] is False
    assert _read(agent)["outcome"] == "allow"


def test_kill_by_owner_suspends_that_owners_agents(api: Api, agent: Api) -> None:
    response = api.post(
        "/v1/kill", json={"scope": "owner", "owner": "platform-team", "reason": "owner left"}
    )
    assert response.json()["suspended"] == ["forum-bot"]
    assert _read(agent)["code"] == "agent_suspended"


def test_kill_needs_an_admin_key(anonymous: Api) -> None:
    response = anonymous.post("/v1/kill", json={"scope": "all", "reason": "x"})
    assert_error(response, 401, "missing_api_key")


def test_kill_needs_a_reason_and_a_known_scope(api: Api) -> None:
    assert_error(api.post("/v1/kill", json={"scope": "all", "reason": ""}), 422, "invalid_input")
    assert_error(
        api.post("/v1/kill", json={"scope": "everything", "reason": "x"}), 422, "invalid_request"
    )
    assert_error(api.post("/v1/kill", json={"scope": "owner", "reason": "x"}), 422, "invalid_input")
