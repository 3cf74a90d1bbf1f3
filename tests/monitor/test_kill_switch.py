"""The kill switch: a person's hard stop, effective on the very next check."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from proctor.admin import Admin
from proctor.errors import InvalidInput
from proctor.gateway import Gateway
from proctor.model import Agent, AgentStatus, Outcome, Task, ToolCall
from tests.conftest import task_token

READ = ToolCall("forum.read_thread")


def test_stop_all_denies_the_next_check_and_says_who_and_why(
    gateway: Gateway, admin: Admin, incident_token: str
) -> None:
    assert gateway.check(incident_token, READ).outcome is Outcome.ALLOW
    admin.stop_all_agents(actor="sec-oncall", reason="runaway agent")
    decision = gateway.check(incident_token, READ)
    assert decision.outcome is Outcome.DENY
    assert decision.code == "all_agents_stopped"
    assert "sec-oncall" in decision.explain()
    assert "runaway agent" in decision.explain()


def test_the_switch_beats_everything_even_bad_tokens(gateway: Gateway, admin: Admin) -> None:
    admin.stop_all_agents(actor="sec", reason="drill")
    assert gateway.check("not-a-token", ToolCall("x")).code == "all_agents_stopped"
    assert gateway.check("", ToolCall("x")).code == "all_agents_stopped"


def test_release_restores_checks_but_not_suspended_agents(
    gateway: Gateway, admin: Admin, incident: Task, incident_token: str
) -> None:
    admin.set_agent_status("forum-bot", AgentStatus.SUSPENDED, actor="sec", reason="bad post")
    admin.stop_all_agents(actor="sec", reason="incident")
    admin.resume_all_agents(actor="sec", reason="contained")
    assert gateway.check(incident_token, READ).code == "agent_suspended"


def test_stopping_needs_a_reason(admin: Admin) -> None:
    with pytest.raises(InvalidInput):
        admin.stop_all_agents(actor="sec", reason="  ")
    with pytest.raises(InvalidInput):
        admin.suspend_agents(owner="platform-team", actor="sec", reason="")


def test_engage_and_release_are_audited(gateway: Gateway, admin: Admin) -> None:
    admin.stop_all_agents(actor="sec", reason="drill")
    admin.resume_all_agents(actor="sec", reason="drill over")
    actions = [e.body["action"] for e in gateway.runtime.audit.tail(2)]
    assert actions == ["kill_switch.engage", "kill_switch.release"]
    assert gateway.runtime.audit.verify().ok


def test_the_switch_survives_a_restart(
    gateway: Gateway, admin: Admin, incident: Task, incident_token: str
) -> None:
    admin.stop_all_agents(actor="sec", reason="incident")
    home = gateway.runtime.home.path
    gateway.close()
    with Gateway.open(home) as reopened:
        assert reopened.check(incident_token, READ).code == "all_agents_stopped"


def test_an_owner_stop_suspends_only_that_owners_agents(
    gateway: Gateway, admin: Admin, incident_token: str
) -> None:
    admin.put_agent(Agent(id="other-bot", name="o", owner="someone-else"), actor="t")
    stopped = admin.suspend_agents(owner="platform-team", actor="sec", reason="owner left")
    assert stopped == ["forum-bot"]
    assert gateway.check(incident_token, READ).code == "agent_suspended"
    assert admin.runtime.inventory.get_agent("other-bot").status is AgentStatus.ACTIVE


def test_another_process_sees_the_switch_within_its_poll_interval(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.yaml").write_text("inventory_poll_interval_s: 0.1\n")
    with Gateway.open(home) as gateway:
        admin = Admin(gateway)
        from tests.conftest import analysis_task, register_incident

        register_incident(admin)
        token = task_token(admin, analysis_task(admin))
        assert gateway.check(token, READ).outcome is Outcome.ALLOW
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "proctor",
                "kill",
                "--all",
                "--reason",
                "drill",
                "--data-dir",
                str(home),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert "kill switch engaged" in result.stdout
        time.sleep(0.2)
        assert gateway.check(token, READ).code == "all_agents_stopped"


def test_cli_kill_without_a_target_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "proctor", "kill", "--data-dir", str(tmp_path / "h")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "say what to stop" in result.stderr
