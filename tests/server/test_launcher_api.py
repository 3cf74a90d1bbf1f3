"""The launcher path: a person (or trusted launcher) creates a task and gets its token."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from proctor.admin import Admin
from proctor.errors import Unauthorized
from proctor.gateway import Gateway
from proctor.model import AgentStatus
from proctor.people import Role
from tests.conftest import ensure_person, register_incident
from tests.server.conftest import Api, assert_error

TASK = {
    "agent_id": "forum-bot",
    "purpose": "Analyze the question in thread 4411 and reply privately to me",
    "actions": ["read"],
    "deliverable": {"description": "private reply", "audience": "requester"},
    "ttl_seconds": 1800,
}


@pytest.fixture(autouse=True)
def inventory(admin: Admin) -> None:
    register_incident(admin)


@pytest.fixture
def person(app: FastAPI, gateway: Gateway) -> Any:
    """``person(id, *roles)``: an Api sending a fresh key of that person."""

    def make(person_id: str, *roles: Role) -> Api:
        ensure_person(Admin(gateway), person_id, *roles)
        return Api(app, gateway.runtime.people.create_key(person_id)[1])

    return make


def actions_by(gateway: Gateway, actor: str) -> list[str]:
    return [
        entry.body["action"]
        for entry in gateway.runtime.audit.iter_entries()
        if entry.kind == "admin" and entry.body["actor"] == actor
    ]


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_a_person_launches_a_task_for_themselves(person: Any, gateway: Gateway) -> None:
    dana = person("dana")  # no role at all: anyone may launch their own tasks
    response = dana.post("/v1/tasks", json=TASK)
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    task = response.json()
    assert (task["requester"], task["created_by"]) == ("dana", "person:dana")
    credential = task["credential"]
    assert (credential["agent_id"], credential["task_id"]) == ("forum-bot", task["id"])
    assert credential["chain"] == ["dana", "forum-bot"]
    verified = gateway.runtime.tokens.verify(credential["token"])
    assert verified.agent_id == "forum-bot"
    assert verified.task_id == task["id"]
    assert verified.requester == "dana"
    assert verified.jti == credential["jti"]
    assert verified.may_deliver
    assert verified.expires_at <= when(task["expires_at"])
    assert [str(action) for action in verified.capabilities.actions] == ["read"]
    assert actions_by(gateway, "person:dana") == ["task.create", "token.issue"]


def test_naming_oneself_as_requester_is_fine(person: Any) -> None:
    response = person("dana", Role.VIEWER).post("/v1/tasks", json={**TASK, "requester": "dana"})
    assert response.json()["requester"] == "dana"


@pytest.mark.parametrize("roles", [(), (Role.VIEWER,), (Role.APPROVER, Role.AUDITOR)])
def test_without_launcher_a_person_cannot_launch_for_someone_else(
    person: Any, gateway: Gateway, roles: tuple[Role, ...]
) -> None:
    mallory = person("mallory", *roles)
    response = mallory.post("/v1/tasks", json={**TASK, "requester": "dana"})
    message = assert_error(response, 403, "requester_not_self")["message"]
    assert "launcher" in message
    assert gateway.runtime.tasks.list() == []
    assert actions_by(gateway, "person:mallory") == []


@pytest.mark.parametrize("role", [Role.LAUNCHER, Role.ADMIN])
def test_a_launcher_or_admin_launches_on_behalf_of_a_requester(
    person: Any, gateway: Gateway, role: Role
) -> None:
    launcher = person("ci-launcher", role)
    task = launcher.post("/v1/tasks", json={**TASK, "requester": "dana"}).json()
    assert (task["requester"], task["created_by"]) == ("dana", "person:ci-launcher")
    verified = gateway.runtime.tokens.verify(task["credential"]["token"])
    assert (verified.requester, verified.agent_id) == ("dana", "forum-bot")
    assert actions_by(gateway, "person:ci-launcher") == ["task.create", "token.issue"]


def test_an_admin_key_must_name_the_requester(api: Api, gateway: Gateway) -> None:
    assert_error(api.post("/v1/tasks", json=TASK), 400, "requester_required")
    assert gateway.runtime.tasks.list() == []
    task = api.post("/v1/tasks", json={**TASK, "requester": "dana"}).json()
    assert task["requester"] == "dana"
    assert task["created_by"].startswith("admin-key:")
    assert gateway.runtime.tokens.verify(task["credential"]["token"]).requester == "dana"


def test_a_bad_requester_id_is_refused(person: Any) -> None:
    response = person("lena", Role.LAUNCHER).post("/v1/tasks", json={**TASK, "requester": "a b"})
    assert_error(response, 422, "invalid_input")


def test_no_task_for_an_agent_that_cannot_act(admin: Admin, person: Any) -> None:
    dana = person("dana")
    assert_error(dana.post("/v1/tasks", json={**TASK, "agent_id": "ghost"}), 404, "not_found")
    admin.set_agent_status("forum-bot", AgentStatus.SUSPENDED, actor="t", reason="test")
    assert_error(dana.post("/v1/tasks", json=TASK), 422, "invalid_input")


def test_a_disabled_person_cannot_launch(person: Any, gateway: Gateway) -> None:
    dana = person("dana", Role.LAUNCHER)
    gateway.runtime.people.disable("dana")
    assert_error(dana.post("/v1/tasks", json=TASK), 401, "person_disabled")
    assert gateway.runtime.tasks.list() == []


def test_an_agent_cannot_launch_tasks_with_its_token(
    app: FastAPI, person: Any, gateway: Gateway
) -> None:
    token = person("dana").post("/v1/tasks", json=TASK).json()["credential"]["token"]
    agent = Api(app, token)
    assert_error(agent.post("/v1/tasks", json=TASK), 401, "agent_token_not_accepted")
    assert len(gateway.runtime.tasks.list()) == 1


def test_tampered_task_token_does_not_verify(person: Any, gateway: Gateway) -> None:
    token = person("dana").post("/v1/tasks", json=TASK).json()["credential"]["token"]
    header, payload, signature = token.split(".")
    for forged in (f"{header}.{payload}x.{signature}", f"{header}.{payload}.{signature[::-1]}"):
        with pytest.raises(Unauthorized):
            gateway.runtime.tokens.verify(forged)


# -- a fresh token for an existing task ----------------------------------------------


def test_the_requester_gets_a_fresh_token(person: Any, gateway: Gateway) -> None:
    dana = person("dana")
    task = dana.post("/v1/tasks", json=TASK).json()
    response = dana.post(f"/v1/tasks/{task['id']}/token", json={"ttl_seconds": 60})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    fresh = response.json()
    assert fresh["jti"] != task["credential"]["jti"]
    verified = gateway.runtime.tokens.verify(fresh["token"])
    assert (verified.task_id, verified.requester) == (task["id"], "dana")
    assert verified.expires_at - verified.issued_at == timedelta(seconds=60)
    assert dana.post(f"/v1/tasks/{task['id']}/token").status_code == 200
    assert actions_by(gateway, "person:dana").count("token.issue") == 3


def test_a_fresh_token_never_outlives_its_task(person: Any, gateway: Gateway) -> None:
    dana = person("dana")
    task = dana.post("/v1/tasks", json={**TASK, "ttl_seconds": 120}).json()
    fresh = dana.post(f"/v1/tasks/{task['id']}/token", json={"ttl_seconds": 86_400}).json()
    assert when(fresh["expires_at"]) <= when(task["expires_at"])


@pytest.mark.parametrize("ttl", [0, -5, 86_401])
def test_a_fresh_tokens_lifetime_is_bounded(person: Any, ttl: int) -> None:
    dana = person("dana")
    task = dana.post("/v1/tasks", json=TASK).json()
    response = dana.post(f"/v1/tasks/{task['id']}/token", json={"ttl_seconds": ttl})
    assert_error(response, 422, "invalid_request")


@pytest.mark.parametrize("roles", [(), (Role.VIEWER,), (Role.APPROVER, Role.AUDITOR)])
def test_others_cannot_get_a_token_for_someone_elses_task(
    person: Any, gateway: Gateway, roles: tuple[Role, ...]
) -> None:
    task = person("dana").post("/v1/tasks", json=TASK).json()
    mallory = person("mallory", *roles)
    response = mallory.post(f"/v1/tasks/{task['id']}/token")
    assert_error(response, 403, "not_task_requester")
    assert actions_by(gateway, "person:mallory") == []


@pytest.mark.parametrize("role", [Role.LAUNCHER, Role.ADMIN])
def test_a_launcher_or_admin_gets_a_token_for_any_task(
    person: Any, api: Api, gateway: Gateway, role: Role
) -> None:
    task = person("dana").post("/v1/tasks", json=TASK).json()
    for caller in (person("lena", role), api):
        fresh = caller.post(f"/v1/tasks/{task['id']}/token").json()
        assert gateway.runtime.tokens.verify(fresh["token"]).requester == "dana"


def test_no_token_for_a_task_that_cannot_have_one(admin: Admin, person: Any, app: FastAPI) -> None:
    dana = person("dana")
    assert_error(dana.post("/v1/tasks/task_missing/token"), 404, "not_found")
    task = dana.post("/v1/tasks", json=TASK).json()
    admin.set_agent_status("forum-bot", AgentStatus.SUSPENDED, actor="t", reason="test")
    assert_error(dana.post(f"/v1/tasks/{task['id']}/token"), 422, "agent_not_active")
    agent = Api(app, task["credential"]["token"])
    assert_error(agent.post(f"/v1/tasks/{task['id']}/token"), 401, "agent_token_not_accepted")


# -- reading tasks --------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_any_role_reads_tasks(person: Any, role: Role) -> None:
    task = person("dana").post("/v1/tasks", json=TASK).json()
    reader = person("rita", role)
    assert [t["id"] for t in reader.get("/v1/tasks").json()] == [task["id"]]
    read = reader.get(f"/v1/tasks/{task['id']}").json()
    assert read["credential"] is None
    assert read["id"] == task["id"]


def test_a_person_without_any_role_reads_no_tasks(person: Any) -> None:
    dana = person("dana")
    task = dana.post("/v1/tasks", json=TASK).json()
    assert "viewer" in assert_error(dana.get("/v1/tasks"), 403, "role_required")["message"]
    assert_error(dana.get(f"/v1/tasks/{task['id']}"), 403, "role_required")
