"""``proctor approvals`` as a person runs it: real subprocesses on a real data directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from proctor.admin import Admin
from proctor.approvals import ApprovalStatus
from proctor.gateway import Gateway
from proctor.model import Outcome
from proctor.people import Role
from tests.approvals.conftest import POST, WIDEN
from tests.conftest import REPO_ROOT, analysis_task, ensure_person, register_incident, task_token

Setup = tuple[Path, str, dict[str, str], str]


def proctor(home: Path, *args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PROCTOR_API_KEY"}
    if key is not None:
        env["PROCTOR_API_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "proctor", *args, "--data-dir", str(home)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
        env=env,
    )


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    """A data directory with a held post and a held widening; returns home, token,
    people's keys and the held post's request id."""
    home = tmp_path / "home"
    with Gateway.open(home) as gateway:
        admin = Admin(gateway)
        register_incident(admin)
        token = task_token(admin, analysis_task(admin))
        keys = {}
        for person_id, roles in (("dana", [Role.APPROVER]), ("vic", [Role.VIEWER])):
            ensure_person(admin, person_id, *roles)
            keys[person_id] = gateway.runtime.people.create_key(person_id)[1]
        held = gateway.check(token, POST)
        gateway.check(token, WIDEN)
        assert held.approval_id is not None
        return home, token, keys, held.approval_id


def test_list_and_show_tell_what_waits_and_for_whom(
    setup: Setup,
) -> None:
    home, _, _, approval_id = setup
    listed = proctor(home, "approvals", "list", "--status", "pending")
    assert listed.returncode == 0, listed.stderr
    assert approval_id in listed.stdout
    records = json.loads(proctor(home, "approvals", "list", "--json").stdout)
    assert {r["tool"] for r in records} == {"forum.post", "repo.set_permissions"}
    shown = proctor(home, "approvals", "show", approval_id)
    assert "dana → forum-bot" in shown.stdout
    assert "the task granted read, not publish" in shown.stdout
    assert "requester (dana): waiting" in shown.stdout
    assert '"body": "Widen the repo permissions"' in shown.stdout


def test_a_person_approves_with_their_key_and_the_call_goes_through(
    setup: Setup,
) -> None:
    home, token, keys, approval_id = setup
    approved = proctor(
        home, "approvals", "approve", approval_id, "--reason", "ok", key=keys["dana"]
    )
    assert approved.returncode == 0, approved.stderr
    assert f"approved {approval_id}" in approved.stdout
    with Gateway.open(home) as gateway:
        assert gateway.check(token, POST).outcome is Outcome.ALLOW
        record = gateway.runtime.approvals.get(approval_id)
        assert (record.status, record.decided_by) == (ApprovalStatus.USED, "dana")


def test_a_deny_is_recorded_with_its_reason(setup: Setup) -> None:
    home, _, keys, approval_id = setup
    denied = proctor(
        home, "approvals", "deny", approval_id, "--reason", "reply privately", key=keys["dana"]
    )
    assert denied.returncode == 0, denied.stderr
    again = proctor(home, "approvals", "approve", approval_id, "--reason", "oops", key=keys["dana"])
    assert again.returncode == 1
    assert "already denied" in again.stderr
    shown = json.loads(proctor(home, "approvals", "show", approval_id, "--json").stdout)
    assert (shown["status"], shown["decision_reason"]) == ("denied", "reply privately")


def test_without_a_personal_key_nothing_is_decided(
    setup: Setup,
) -> None:
    home, _, keys, approval_id = setup
    nokey = proctor(home, "approvals", "approve", approval_id, "--reason", "ok")
    assert nokey.returncode == 1
    assert "personal API key" in nokey.stderr
    admin_key = (home / "admin.key").read_text().strip()
    as_admin = proctor(home, "approvals", "approve", approval_id, "--reason", "ok", key=admin_key)
    assert as_admin.returncode == 1
    assert "not a personal key" in as_admin.stderr
    viewer = proctor(home, "approvals", "approve", approval_id, "--reason", "ok", key=keys["vic"])
    assert viewer.returncode == 1
    assert "may not answer" in viewer.stderr
    forged = proctor(
        home,
        "approvals",
        "approve",
        approval_id,
        "--reason",
        "ok",
        key="ppk_" + "0" * 16 + "." + "A" * 43,
    )
    assert forged.returncode == 1
    shown = json.loads(proctor(home, "approvals", "show", approval_id, "--json").stdout)
    assert shown["status"] == "pending"
