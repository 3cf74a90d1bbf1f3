"""Shadow agents: an unknown agent is denied and noted, never let through."""

from __future__ import annotations

import json
import subprocess
import sys

from proctor.gateway import Gateway
from proctor.inventory import Caller
from proctor.model import CheckRequest, Outcome, Task


def test_an_unknown_agent_is_denied_and_recorded_with_what_it_tried(
    gateway: Gateway, incident: Task
) -> None:
    caller = Caller(address="10.1.2.3", user_agent="rogue-agent/0.1")
    for _ in range(3):
        decision = gateway.check(
            CheckRequest("rogue", "t-1", "repo.set_permissions"), caller=caller
        )
        assert decision.outcome is Outcome.DENY
        assert decision.code == "unknown_agent"
    [shadow] = gateway.runtime.shadow_agents.list()
    assert (shadow.agent_id, shadow.count, shadow.last_tool) == ("rogue", 3, "repo.set_permissions")
    assert (shadow.last_client, shadow.last_user_agent) == ("10.1.2.3", "rogue-agent/0.1")
    assert shadow.first_seen <= shadow.last_seen


def test_registered_agents_are_never_shadows(gateway: Gateway, incident: Task) -> None:
    gateway.check(CheckRequest("forum-bot", incident.id, "forum.read_thread"))
    assert gateway.runtime.shadow_agents.list() == []


def test_explaining_a_call_records_no_shadow(gateway: Gateway) -> None:
    gateway.explain(CheckRequest("rogue", "t-1", "x"))
    assert gateway.runtime.shadow_agents.list() == []


def test_a_failing_shadow_register_still_denies(gateway: Gateway) -> None:
    with gateway.runtime.database.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE shadow_agents")
    decision = gateway.check(CheckRequest("rogue", "t-1", "x"))
    assert decision.code == "unknown_agent"


def test_cli_lists_shadow_agents(gateway: Gateway) -> None:
    gateway.check(CheckRequest("rogue", "t-1", "mail.send"))
    home = gateway.runtime.home.path
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "proctor",
            "agents",
            "list",
            "--shadow",
            "--json",
            "--data-dir",
            str(home),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    [shadow] = json.loads(result.stdout)
    assert (shadow["agent_id"], shadow["count"], shadow["last_tool"]) == ("rogue", 1, "mail.send")
