"""POST /v1/check, /v1/outcomes and /v1/explain end to end on a real store."""

from __future__ import annotations

from typing import Any

from proctor.model import Task
from tests.server.conftest import Api, assert_error


def _call(task: Task, tool: str, **extra: Any) -> dict[str, Any]:
    return {"agent_id": "forum-bot", "task_id": task.id, "tool": tool, **extra}


def test_reading_within_the_task_is_allowed_and_recorded(api: Api, incident: Task) -> None:
    response = api.post(
        "/v1/check",
        json=_call(incident, "forum.read_thread", resource="forum:thread-4411"),
    )
    assert response.status_code == 200
    decision = response.json()
    assert decision["outcome"] == "allow"
    assert decision["decision_id"].startswith("dec_")
    assert isinstance(decision["audit_seq"], int)
    assert decision["message"]
    audit = api.get("/v1/audit", params={"kind": "decision"}).json()["entries"]
    recorded = [e["body"] for e in audit if e["seq"] == decision["audit_seq"]]
    assert recorded[0]["decision_id"] == decision["decision_id"]
    assert recorded[0]["resource"] == "forum:thread-4411"


def test_public_post_on_an_analysis_task_is_held_for_the_requester(
    api: Api, incident: Task
) -> None:
    decision = api.post(
        "/v1/check", json=_call(incident, "forum.post", arguments={"body": "widen access"})
    ).json()
    assert decision["outcome"] == "require_approval"
    assert decision["code"] == "approval_required"
    assert any(reason["approver"] == "requester" for reason in decision["reasons"])
    assert "publish" in decision["message"]


def test_tool_not_in_the_inventory_is_denied(api: Api, incident: Task) -> None:
    decision = api.post("/v1/check", json=_call(incident, "shell.exec")).json()
    assert decision["outcome"] == "deny"
    assert decision["risk"] == 100


def test_unknown_agent_is_denied_with_its_code(api: Api, incident: Task) -> None:
    body = {**_call(incident, "forum.read_thread"), "agent_id": "shadow-bot"}
    decision = api.post("/v1/check", json=body).json()
    assert (decision["outcome"], decision["code"]) == ("deny", "unknown_agent")


def test_arguments_must_be_a_json_object(api: Api, incident: Task) -> None:
    response = api.post(
        "/v1/check",
        content=b'{"agent_id": "forum-bot", "task_id": "t", "tool": "x", "arguments": [1]}',
        headers={"Content-Type": "application/json"},
    )
    message = assert_error(response, 422, "invalid_request")["message"]
    assert "arguments" in message


def test_outcome_of_an_allowed_call_is_recorded(api: Api, incident: Task) -> None:
    decision = api.post("/v1/check", json=_call(incident, "forum.read_thread")).json()
    response = api.post(
        "/v1/outcomes",
        json={"decision_id": decision["decision_id"], "status": "succeeded", "summary": "read"},
    )
    assert response.status_code == 200
    receipt = response.json()
    assert receipt["violation"] is False
    assert receipt["audit_seq"] > decision["audit_seq"]


def test_running_a_held_call_anyway_is_recorded_as_a_violation(api: Api, incident: Task) -> None:
    decision = api.post("/v1/check", json=_call(incident, "forum.post")).json()
    receipt = api.post(
        "/v1/outcomes", json={"decision_id": decision["decision_id"], "status": "succeeded"}
    ).json()
    assert receipt["violation"] is True


def test_outcome_for_an_unknown_decision_is_404(api: Api) -> None:
    response = api.post("/v1/outcomes", json={"decision_id": "dec_nope", "status": "failed"})
    assert_error(response, 404, "unknown_decision")


def test_outcome_status_must_be_one_of_three(api: Api) -> None:
    response = api.post("/v1/outcomes", json={"decision_id": "dec_x", "status": "done"})
    assert "status" in assert_error(response, 422, "invalid_request")["message"]


def test_explain_decides_without_recording(api: Api, incident: Task) -> None:
    before = api.get("/v1/audit/verify").json()["entries"]
    response = api.post("/v1/explain", json=_call(incident, "forum.post"))
    assert response.status_code == 200
    body = response.json()
    assert body["decision"]["outcome"] == "require_approval"
    assert body["decision"]["audit_seq"] is None
    assert "forum.post" in body["explanation"]
    assert api.get("/v1/audit/verify").json()["entries"] == before


def test_explain_without_a_task_has_no_policy_explanation(api: Api, incident: Task) -> None:
    body = api.post("/v1/explain", json={**_call(incident, "x"), "task_id": "task_none"}).json()
    assert body["decision"]["code"] == "unknown_task"
    assert body["explanation"] is None


def test_an_unknown_agent_becomes_a_shadow_agent_with_its_peer(api: Api) -> None:
    body = {"agent_id": "rogue", "task_id": "t-1", "tool": "mail.send"}
    decision = api.post("/v1/check", json=body, headers={"User-Agent": "rogue/1.0"}).json()
    assert decision["code"] == "unknown_agent"
    [shadow] = api.get("/v1/shadow-agents").json()
    assert (shadow["agent_id"], shadow["count"], shadow["last_user_agent"]) == (
        "rogue",
        1,
        "rogue/1.0",
    )
    assert shadow["last_client"]
