"""``proctor people`` and the task-token commands, as a user runs them: real subprocesses."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from proctor.errors import Unauthorized
from proctor.gateway import Gateway
from tests.cli.test_cli import run

KEY = re.compile(r"ppk_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}")
JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("people-cli") / "home"
    run("apply", "-f", "proctor.yaml", home=path, check=True)
    return path


def audit_entries(home: Path) -> list[dict[str, Any]]:
    exported = run("audit", "export", "--format", "jsonl", home=home, check=True).stdout
    return [json.loads(line) for line in exported.splitlines()]


def test_a_person_is_added_listed_and_shown(home: Path) -> None:
    added = run(
        "people", "add", "dale", "--name", "Dale Cooper",
        "--role", "approver", "--role", "launcher", home=home, check=True,
    )  # fmt: skip
    assert "added dale (approver, launcher)" in added.stdout
    listed = json.loads(run("people", "list", "--json", home=home, check=True).stdout)
    assert ("dale", ["approver", "launcher"]) in [(p["id"], p["roles"]) for p in listed]
    assert "Dale Cooper" in run("people", "list", home=home, check=True).stdout
    shown = json.loads(run("people", "show", "dale", home=home, check=True).stdout)
    assert shown["name"] == "Dale Cooper"
    assert shown["keys"] == []


def test_mistakes_are_clear_errors_that_change_nothing(home: Path) -> None:
    run("people", "add", "erin", "--name", "Erin", home=home, check=True)
    again = run("people", "add", "erin", "--name", "Erin 2", "--role", "admin", home=home)
    assert again.returncode == 1
    assert "already exists" in again.stderr
    unknown_role = run("people", "add", "fred", "--name", "Fred", "--role", "root", home=home)
    assert unknown_role.returncode == 2
    bad_id = run("people", "add", "fred smith", "--name", "Fred", home=home)
    assert bad_id.returncode == 1
    assert "person id" in bad_id.stderr
    missing = run("people", "show", "nobody", home=home)
    assert (missing.returncode, "no person 'nobody'" in missing.stderr) == (1, True)
    for result in (again, unknown_role, bad_id, missing):
        assert "Traceback" not in result.stderr
    listed = json.loads(run("people", "list", "--json", home=home, check=True).stdout)
    assert {p["id"]: p["roles"] for p in listed}.get("erin") == []
    assert "fred" not in {p["id"] for p in listed}


def test_a_key_is_printed_once_and_works(home: Path) -> None:
    run("people", "add", "gina", "--name", "Gina", "--role", "viewer", home=home, check=True)
    created = run("people", "key", "create", "gina", "--name", "laptop", home=home, check=True)
    key = created.stdout.strip()
    assert KEY.fullmatch(key), created.stdout
    assert "cannot be shown again" in created.stderr
    with Gateway.open(home) as gateway:
        person, used = gateway.runtime.people.authenticate(key)
    assert (person.id, used.name) == ("gina", "laptop")
    shown = run("people", "show", "gina", home=home, check=True).stdout
    assert key.partition(".")[2] not in shown
    entries = audit_entries(home)
    assert all(key.partition(".")[2] not in json.dumps(entry) for entry in entries)
    creations = [e["body"] for e in entries if e["body"].get("action") == "person.key.create"]
    assert creations[-1]["actor"] == "cli"
    assert creations[-1]["details"] == {"key_id": used.id, "name": "laptop"}


def test_a_key_is_revoked_and_a_person_disabled(home: Path) -> None:
    run("people", "add", "hank", "--name", "Hank", "--role", "admin", home=home, check=True)
    first = json.loads(
        run("people", "key", "create", "hank", "--json", home=home, check=True).stdout
    )
    second = run("people", "key", "create", "hank", home=home, check=True).stdout.strip()
    revoked = run("people", "key", "revoke", "hank", first["id"], home=home, check=True)
    assert f"revoked key {first['id']}" in revoked.stdout
    again = run("people", "key", "revoke", "hank", first["id"], home=home)
    assert (again.returncode, "has no active key" in again.stderr) == (1, True)
    keys = json.loads(run("people", "key", "list", "hank", "--json", home=home, check=True).stdout)
    assert [k["revoked"] for k in keys] == [True, False]
    run("people", "disable", "hank", home=home, check=True)
    with Gateway.open(home) as gateway:
        for presented, code in ((first["key"], "revoked_api_key"), (second, "person_disabled")):
            with pytest.raises(Unauthorized) as caught:
                gateway.runtime.people.authenticate(presented)
            assert caught.value.code == code
    refused = run("people", "key", "create", "hank", home=home)
    assert (refused.returncode, "is disabled" in refused.stderr) == (1, True)
    actions = [e["body"].get("action") for e in audit_entries(home)]
    assert {"person.key.revoke", "person.disable"} <= set(actions)


def test_roles_are_replaced(home: Path) -> None:
    run("people", "add", "ivan", "--name", "Ivan", "--role", "viewer", home=home, check=True)
    result = run(
        "people", "roles", "ivan", "--role", "auditor", "--role", "approver", "--json",
        home=home, check=True,
    )  # fmt: skip
    assert json.loads(result.stdout)["roles"] == ["approver", "auditor"]
    cleared = run("people", "roles", "ivan", home=home, check=True)
    assert "ivan: no roles" in cleared.stdout


# -- task tokens ----------------------------------------------------------------------


TASK_ARGS = (
    "tasks", "create", "--agent", "forum-bot", "--requester", "dana",
    "--purpose", "Analyze thread 4411", "--action", "read",
    "--deliverable", "private reply", "--audience", "requester",
)  # fmt: skip


def test_tasks_create_prints_the_task_token(home: Path) -> None:
    created = run(*TASK_ARGS, home=home, check=True)
    token = created.stdout.strip().splitlines()[-1]
    assert JWT.fullmatch(token), created.stdout
    assert "hand it to the agent" in created.stderr
    task_id = re.search(r"task_[0-9a-f]+", created.stdout)
    assert task_id is not None
    with Gateway.open(home) as gateway:
        credential = gateway.runtime.tokens.verify(token)
    assert (credential.agent_id, credential.task_id, credential.requester) == (
        "forum-bot",
        task_id.group(0),
        "dana",
    )


def test_tasks_create_json_includes_the_credential(home: Path) -> None:
    task = json.loads(run(*TASK_ARGS, "--json", home=home, check=True).stdout)
    credential = task["credential"]
    assert (credential["task_id"], credential["agent_id"]) == (task["id"], "forum-bot")
    assert credential["chain"] == ["dana", "forum-bot"]
    with Gateway.open(home) as gateway:
        assert gateway.runtime.tokens.verify(credential["token"]).jti == credential["jti"]


def test_tasks_token_issues_a_fresh_token(home: Path) -> None:
    task = json.loads(run(*TASK_ARGS, "--json", home=home, check=True).stdout)
    plain = run("tasks", "token", task["id"], home=home, check=True).stdout.strip()
    assert JWT.fullmatch(plain)
    fresh = json.loads(
        run(
            "tasks", "token", task["id"], "--ttl-seconds", "60", "--json", home=home, check=True
        ).stdout
    )
    assert len({task["credential"]["jti"], fresh["jti"]}) == 2
    with Gateway.open(home) as gateway:
        credential = gateway.runtime.tokens.verify(fresh["token"])
        assert gateway.runtime.tokens.verify(plain).task_id == task["id"]
    assert credential.expires_at - credential.issued_at == timedelta(seconds=60)
    assert datetime.fromisoformat(fresh["expires_at"]) == credential.expires_at
    issued = [e["body"] for e in audit_entries(home) if e["body"].get("target") == task["id"]]
    assert [b["action"] for b in issued] == [
        "task.create",
        "token.issue",
        "token.issue",
        "token.issue",
    ]


def test_tasks_token_for_an_unknown_task_is_an_error(home: Path) -> None:
    result = run("tasks", "token", "task_missing", home=home)
    assert result.returncode == 1
    assert "task_missing" in result.stderr
    assert result.stdout == ""
