"""POST /v1/check, /v1/outcomes and /v1/explain end to end on a real store."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from proctor.gateway import Gateway
from proctor.model import Task
from tests.core.test_shadow_agents import forged
from tests.server.conftest import Api, assert_error


def _call(tool: str, **extra: Any) -> dict[str, Any]:
    return {"tool": tool, **extra}


def _explain(task: Task, tool: str, **extra: Any) -> dict[str, Any]:
    return {"agent_id": "forum-bot", "task_id": task.id, "tool": tool, **extra}


def test_reading_within_the_task_is_allowed_and_recorded(api: Api, agent: Api) -> None:
    response = agent.post(
        "/v1/check", json=_call("forum.read_thread", resource="forum:thread-4411")
    )
    assert response.status_code == 200
    decision = response.json()
    assert decision["outcome"] == "allow"
    assert decision["decision_id"].startswith("dec_")
    assert isinstance(decision["audit_seq"], int)
    assert decision["message"]
    assert decision["chain"] == ["dana", "forum-bot"]
    assert decision["agent_id"] == "forum-bot"
    audit = api.get("/v1/audit", params={"kind": "decision"}).json()["entries"]
    recorded = [e["body"] for e in audit if e["seq"] == decision["audit_seq"]]
    assert recorded[0]["decision_id"] == decision["decision_id"]
    assert recorded[0]["resource"] == "forum:thread-4411"
    assert recorded[0]["chain"] == ["dana", "forum-bot"]


def test_public_post_on_an_analysis_task_is_held_for_the_requester(agent: Api) -> None:
    decision = agent.post(
        "/v1/check", json=_call("forum.post", arguments={"body": "widen access"})
    ).json()
    assert decision["outcome"] == "require_approval"
    assert decision["code"] == "approval_required"
    assert any(reason["approver"] == "requester" for reason in decision["reasons"])
    assert "publish" in decision["message"]


def test_tool_not_in_the_inventory_is_denied(agent: Api) -> None:
    decision = agent.post("/v1/check", json=_call("shell.exec")).json()
    assert decision["outcome"] == "deny"
    assert decision["risk"] == 100


def test_a_check_without_a_token_is_a_recorded_deny(anonymous: Api, incident: Task) -> None:
    decision = anonymous.post("/v1/check", json=_call("forum.read_thread")).json()
    assert (decision["outcome"], decision["code"]) == ("deny", "missing_token")
    assert isinstance(decision["audit_seq"], int)


def test_the_body_cannot_claim_an_agent_or_task(agent: Api, incident: Task) -> None:
    """Who calls is the token's to say; a body naming an agent is refused, not trusted."""
    body = {**_call("forum.read_thread"), "agent_id": "other-bot", "task_id": incident.id}
    assert (
        "agent_id"
        in assert_error(agent.post("/v1/check", json=body), 422, "invalid_request")["message"]
    )


def test_an_admin_key_is_not_a_task_token(api: Api, incident: Task) -> None:
    decision = api.post("/v1/check", json=_call("forum.read_thread")).json()
    assert (decision["outcome"], decision["code"]) == ("deny", "api_key_not_accepted")


def test_arguments_must_be_a_json_object(agent: Api) -> None:
    response = agent.post(
        "/v1/check",
        content=b'{"tool": "x", "arguments": [1]}',
        headers={"Content-Type": "application/json"},
    )
    message = assert_error(response, 422, "invalid_request")["message"]
    assert "arguments" in message


def test_outcome_of_an_allowed_call_is_recorded(agent: Api) -> None:
    decision = agent.post("/v1/check", json=_call("forum.read_thread")).json()
    response = agent.post(
        "/v1/outcomes",
        json={"decision_id": decision["decision_id"], "status": "succeeded", "summary": "read"},
    )
    assert response.status_code == 200
    receipt = response.json()
    assert receipt["violation"] is False
    assert receipt["audit_seq"] > decision["audit_seq"]


def test_running_a_held_call_anyway_is_recorded_as_a_violation(agent: Api) -> None:
    decision = agent.post("/v1/check", json=_call("forum.post")).json()
    receipt = agent.post(
        "/v1/outcomes", json={"decision_id": decision["decision_id"], "status": "succeeded"}
    ).json()
    assert receipt["violation"] is True


def test_outcomes_need_a_task_token(anonymous: Api, api: Api, agent: Api) -> None:
    decision = agent.post("/v1/check", json=_call("forum.read_thread")).json()
    body = {"decision_id": decision["decision_id"], "status": "succeeded"}
    assert_error(anonymous.post("/v1/outcomes", json=body), 401, "missing_token")
    assert_error(api.post("/v1/outcomes", json=body), 401, "token_malformed")


def test_outcome_for_an_unknown_decision_is_404(agent: Api) -> None:
    response = agent.post("/v1/outcomes", json={"decision_id": "dec_nope", "status": "failed"})
    assert_error(response, 404, "unknown_decision")


def test_outcome_status_must_be_one_of_three(agent: Api) -> None:
    response = agent.post("/v1/outcomes", json={"decision_id": "dec_x", "status": "done"})
    assert "status" in assert_error(response, 422, "invalid_request")["message"]


def test_explain_decides_without_recording(api: Api, incident: Task) -> None:
    before = api.get("/v1/audit/verify").json()["entries"]
    response = api.post("/v1/explain", json=_explain(incident, "forum.post"))
    assert response.status_code == 200
    body = response.json()
    assert body["decision"]["outcome"] == "require_approval"
    assert body["decision"]["audit_seq"] is None
    assert "forum.post" in body["explanation"]
    assert api.get("/v1/audit/verify").json()["entries"] == before


def test_explain_needs_an_admin_key(agent: Api, incident: Task) -> None:
    response = agent.post("/v1/explain", json=_explain(incident, "forum.post"))
    assert response.status_code == 401


def test_explain_without_a_task_has_no_policy_explanation(api: Api, incident: Task) -> None:
    body = api.post("/v1/explain", json={**_explain(incident, "x"), "task_id": "task_none"}).json()
    assert body["decision"]["code"] == "unknown_task"
    assert body["explanation"] is None


def test_a_forged_token_becomes_a_shadow_agent_with_its_peer(
    app: FastAPI, api: Api, gateway: Gateway
) -> None:
    rogue = Api(app, forged(gateway, "rogue"))
    decision = rogue.post(
        "/v1/check", json=_call("mail.send"), headers={"User-Agent": "rogue/1.0"}
    ).json()
    assert decision["code"] == "token_unknown_key"
    [shadow] = api.get("/v1/shadow-agents").json()
    assert (shadow["agent_id"], shadow["count"], shadow["last_user_agent"]) == (
        "rogue",
        1,
        "rogue/1.0",
    )
    assert shadow["last_problem"] == "token_unknown_key"
    assert shadow["last_client"]
