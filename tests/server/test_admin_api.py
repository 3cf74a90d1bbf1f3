"""The control plane over HTTP: inventory, tasks, policies, manifests; all audited."""

from __future__ import annotations

from typing import Any

import pytest

from tests.server.conftest import Api, assert_error

FORBID_DELETE = """
@id("no-deletes")
@reason("deleting is not allowed through agents")
forbid (principal, action == Action::"delete", resource);
"""


def _admin_entries(api: Api) -> list[dict[str, Any]]:
    entries = api.get("/v1/audit", params={"kind": "admin", "limit": 1000}).json()["entries"]
    return [entry["body"] for entry in entries]


def _actor(admin_key: str) -> str:
    return "admin-key:" + admin_key.removeprefix("prk_").partition(".")[0]


# -- inventory ------------------------------------------------------------------------


def test_agent_upsert_reports_what_changed_and_is_audited(api: Api, admin_key: str) -> None:
    agent = {"id": "triage-bot", "owner": "platform-team", "groups": ["assistants"]}
    first = api.post("/v1/agents", json=agent).json()
    again = api.post("/v1/agents", json=agent).json()
    renamed = api.post("/v1/agents", json={**agent, "name": "Triage"}).json()
    assert [first["change"], again["change"], renamed["change"]] == [
        "created",
        "unchanged",
        "updated",
    ]
    assert first["item"]["name"] == "triage-bot"
    assert api.get("/v1/agents/triage-bot").json()["name"] == "Triage"
    assert [a["id"] for a in api.get("/v1/agents").json()] == ["triage-bot"]
    changes = [(e["action"], e["change"], e["actor"]) for e in _admin_entries(api)]
    assert changes == [
        ("agent.put", "created", _actor(admin_key)),
        ("agent.put", "updated", _actor(admin_key)),
    ]


def test_invalid_agent_id_is_refused_with_its_rule(api: Api) -> None:
    response = api.post("/v1/agents", json={"id": "bad id!", "owner": "x"})
    assert "letters, digits" in assert_error(response, 422, "invalid_input")["message"]


def test_unknown_agent_is_404(api: Api) -> None:
    assert_error(api.get("/v1/agents/nobody"), 404, "not_found")


def test_suspending_an_agent_denies_its_next_call(api: Api, agent: Api) -> None:
    response = api.post(
        "/v1/agents/forum-bot/status", json={"status": "suspended", "reason": "incident 4411"}
    )
    assert response.json()["status"] == "suspended"
    decision = agent.post("/v1/check", json={"tool": "forum.read_thread"}).json()
    assert (decision["outcome"], decision["code"]) == ("deny", "agent_suspended")
    last = _admin_entries(api)[-1]
    assert (last["action"], last["details"]["reason"]) == ("agent.status", "incident 4411")


@pytest.mark.parametrize("name", ["forum.post", "mcp/github.create_issue"])
def test_tool_names_with_dots_and_slashes_are_routable(api: Api, name: str) -> None:
    tool = {"name": name, "action_class": "publish", "audience": "organization"}
    assert api.post("/v1/tools", json=tool).json()["change"] == "created"
    fetched = api.get(f"/v1/tools/{name}").json()
    assert (fetched["name"], fetched["action_class"], fetched["label"]) == (
        name,
        "publish",
        "internal",
    )
    assert name in [t["name"] for t in api.get("/v1/tools").json()]


def test_unknown_action_class_is_refused(api: Api) -> None:
    response = api.post("/v1/tools", json={"name": "x", "action_class": "teleport"})
    assert "action_class" in assert_error(response, 422, "invalid_request")["message"]


def test_resource_ids_with_slashes_are_routable(api: Api) -> None:
    resource = {"id": "repo:acme/payments-core", "owner": "alice-lead", "label": "confidential"}
    api.post("/v1/resources", json=resource)
    assert api.get("/v1/resources/repo:acme/payments-core").json() == {
        **resource,
        "description": "",
        "access": None,
    }
    assert len(api.get("/v1/resources").json()) == 1
    assert_error(api.get("/v1/resources/repo:acme/other"), 404, "not_found")


# -- tasks ----------------------------------------------------------------------------


def test_task_created_over_http_grants_what_it_says(api: Api) -> None:
    api.put("/v1/people/dana", json={"id": "dana", "name": "Dana"})
    api.post("/v1/agents", json={"id": "forum-bot", "owner": "platform-team"})
    api.post("/v1/tools", json={"name": "forum.read_thread", "action_class": "read"})
    response = api.post(
        "/v1/tasks",
        json={
            "agent_id": "forum-bot",
            "requester": "dana",
            "purpose": "Analyze thread 4411",
            "actions": ["read"],
            "deliverable": {"description": "private reply", "audience": "requester"},
            "ttl_seconds": 600,
        },
    )
    assert response.status_code == 201
    task = response.json()
    token = task.pop("credential")["token"]
    assert task["id"].startswith("task_")
    assert task["actions"] == ["read"]
    assert task["deliverable"]["audience"] == "requester"
    assert api.get(f"/v1/tasks/{task['id']}").json() == {**task, "credential": None}
    assert [t["id"] for t in api.get("/v1/tasks", params={"agent_id": "forum-bot"}).json()] == [
        task["id"]
    ]
    decision = Api(api.app, token).post("/v1/check", json={"tool": "forum.read_thread"}).json()
    assert decision["outcome"] == "allow"


@pytest.mark.parametrize("ttl", [0, 86_401])
def test_task_lifetime_is_bounded(api: Api, ttl: int) -> None:
    body = {"agent_id": "a", "requester": "r", "purpose": "p", "ttl_seconds": ttl}
    response = api.post("/v1/tasks", json=body)
    assert "ttl_seconds" in assert_error(response, 422, "invalid_request")["message"]


def test_task_for_an_unregistered_agent_is_refused(api: Api) -> None:
    body = {"agent_id": "ghost", "requester": "r", "purpose": "p"}
    assert_error(api.post("/v1/tasks", json=body), 404, "not_found")


def test_unknown_task_is_404(api: Api) -> None:
    assert_error(api.get("/v1/tasks/task_missing"), 404, "not_found")


# -- policies -------------------------------------------------------------------------


def test_loaded_policies_include_the_defaults(api: Api) -> None:
    policies = api.get("/v1/policies").json()
    assert "deny-unknown-tool" in [p["id"] for p in policies]
    assert {p["effect"] for p in policies} <= {"permit", "forbid"}
    assert all(p["source"] and p["text"] for p in policies)


def test_put_policy_takes_effect_and_can_be_removed(api: Api, admin_key: str) -> None:
    response = api.put("/v1/policies/ops/no-deletes", json={"text": FORBID_DELETE})
    assert response.json() == {"kind": "policy", "name": "ops/no-deletes", "change": "created"}
    assert "no-deletes" in [p["id"] for p in api.get("/v1/policies").json()]
    repeat = api.put("/v1/policies/ops/no-deletes", json={"text": FORBID_DELETE}).json()
    assert repeat["change"] == "unchanged"
    assert api.delete("/v1/policies/ops/no-deletes").status_code == 204
    assert "no-deletes" not in [p["id"] for p in api.get("/v1/policies").json()]
    actions = [(e["action"], e["target"], e["actor"]) for e in _admin_entries(api)]
    assert actions == [
        ("policy.put", "ops/no-deletes", _actor(admin_key)),
        ("policy.remove", "ops/no-deletes", _actor(admin_key)),
    ]


def test_invalid_policy_is_refused_and_the_old_text_stays(api: Api) -> None:
    api.put("/v1/policies/ops", json={"text": FORBID_DELETE})
    response = api.put("/v1/policies/ops", json={"text": "forbid (principal, action, resource"})
    assert "ops:" in assert_error(response, 422, "policy_invalid")["message"]
    assert "no-deletes" in [p["id"] for p in api.get("/v1/policies").json()]


def test_validate_reports_problems_with_positions_and_stores_nothing(api: Api) -> None:
    bad = "permit (principal, action, resource)\nwhen { context.nonsense == 1 };"
    result = api.post("/v1/policies/validate", json={"name": "draft", "text": bad}).json()
    assert result["ok"] is False
    assert result["problems"][0]["file"] == "draft"
    assert result["problems"][0]["line"] >= 1
    good = api.post("/v1/policies/validate", json={"name": "draft", "text": FORBID_DELETE})
    assert good.json() == {"ok": True, "problems": []}
    assert _admin_entries(api) == []


def test_replacing_a_policy_with_the_same_id_is_not_a_duplicate(api: Api) -> None:
    api.put("/v1/policies/ops", json={"text": FORBID_DELETE})
    changed = FORBID_DELETE.replace("not allowed", "never allowed")
    assert api.put("/v1/policies/ops", json={"text": changed}).json()["change"] == "updated"
    clash = api.put("/v1/policies/other", json={"text": FORBID_DELETE})
    assert "duplicate" in assert_error(clash, 422, "policy_invalid")["message"]


def test_removing_an_unknown_policy_is_404(api: Api) -> None:
    assert_error(api.delete("/v1/policies/nothing"), 404, "not_found")


# -- apply ----------------------------------------------------------------------------

MANIFEST: dict[str, Any] = {
    "name": "proctor.yaml",
    "agents": [{"id": "forum-bot", "name": "Forum assistant", "owner": "platform-team"}],
    "tools": [
        {"name": "forum.read_thread", "action_class": "read"},
        {"name": "repo.set_permissions", "action_class": "modify_permissions"},
    ],
    "resources": [{"id": "repo:acme/payments-core", "owner": "alice-lead"}],
    "matrix": [
        {
            "agents": ["forum-bot"],
            "tools": ["repo.*"],
            "outcome": "approval",
            "approver": "resource_owner",
            "reason": "forum-bot may touch repositories only with the owner's sign-off",
        }
    ],
    "policies_inline": {"ops": FORBID_DELETE},
}


def test_apply_reports_each_change_and_is_idempotent(api: Api) -> None:
    first = api.post("/v1/apply", json=MANIFEST).json()
    assert first["changed"] is True
    assert {(i["kind"], i["name"], i["change"]) for i in first["items"]} == {
        ("agent", "forum-bot", "created"),
        ("tool", "forum.read_thread", "created"),
        ("tool", "repo.set_permissions", "created"),
        ("resource", "repo:acme/payments-core", "created"),
        ("policy", "ops", "created"),
        ("policy", "matrix:proctor.yaml", "created"),
    }
    second = api.post("/v1/apply", json=MANIFEST).json()
    assert second["changed"] is False
    assert {i["change"] for i in second["items"]} == {"unchanged"}


def test_apply_refuses_policy_files(api: Api) -> None:
    response = api.post("/v1/apply", json={"policies": [{"file": "/etc/passwd"}]})
    assert "policies_inline" in assert_error(response, 422, "invalid_request")["message"]


def test_apply_with_an_invalid_policy_changes_nothing(api: Api) -> None:
    manifest = {**MANIFEST, "policies_inline": {"ops": "permit (principal"}}
    assert_error(api.post("/v1/apply", json=manifest), 422, "policy_invalid")
    assert api.get("/v1/agents").json() == []
    assert _admin_entries(api) == []


# -- audit and schema -----------------------------------------------------------------


def test_audit_pages_in_order_and_verifies(api: Api, agent: Api) -> None:
    for tool in ("forum.read_thread", "forum.post", "shell.exec"):
        agent.post("/v1/check", json={"tool": tool})
    first = api.get("/v1/audit", params={"limit": 2}).json()
    rest = api.get("/v1/audit", params={"after_seq": first["next_after_seq"]}).json()
    seqs = [e["seq"] for e in first["entries"] + rest["entries"]]
    assert seqs == list(range(1, len(seqs) + 1))
    assert first["entries"][1]["prev_hash"] == first["entries"][0]["hash"]
    decisions = api.get("/v1/audit", params={"kind": "decision"}).json()["entries"]
    assert [e["body"]["tool"] for e in decisions] == [
        "forum.read_thread",
        "forum.post",
        "shell.exec",
    ]
    report = api.get("/v1/audit/verify").json()
    assert report == {
        "ok": True,
        "entries": len(seqs),
        "checkpoints": report["checkpoints"],
        "first_bad_seq": None,
        "problem": None,
    }


def test_openapi_schema_is_served_and_documents_the_key(anonymous: Api) -> None:
    schema = anonymous.get("/openapi.json").json()
    assert "/v1/check" in schema["paths"]
    assert "/v1/tools/{name}" in schema["paths"]
    assert schema["components"]["securitySchemes"]["AdminKey"]["scheme"] == "bearer"
    assert "ErrorOut" in schema["components"]["schemas"]


def test_policy_names_in_the_path_are_bounded(api: Api) -> None:
    response = api.put("/v1/policies/" + "p" * 201, json={"text": FORBID_DELETE})
    assert "name" in assert_error(response, 422, "invalid_request")["message"]
