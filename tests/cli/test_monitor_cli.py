"""``proctor alerts``, ``proctor breaker`` and ``proctor limits`` as a person runs them:
real subprocesses on a data directory where forum-bot's breaker tripped."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from proctor.admin import Admin
from proctor.gateway import Gateway
from proctor.model import ToolCall
from tests.conftest import REPO_ROOT, analysis_task, register_incident, task_token

SETTINGS = """\
monitor:
  breakers:
    rules:
      - action_burst: {action: modify_permissions, count: 3, within: 1m}
"""
LIMITS = """\
rate_limits:
  - "forum.post: 5/hour per agent"
  - {tool: "repo.*", limit: 20, period: 10min, per: requester, burst: 4}
"""
WIDEN = ToolCall(
    "repo.set_permissions",
    {"grantee": "all-employees", "level": "read"},
    "repo:acme/payments-core",
)


def proctor(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "proctor", *args, "--data-dir", str(home)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """forum-bot changed permissions three times: its breaker is open, one alert raised."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.yaml").write_text(SETTINGS, encoding="utf-8")
    with Gateway.open(home) as gateway:
        admin = Admin(gateway)
        register_incident(admin)
        token = task_token(admin, analysis_task(admin))
        for _ in range(3):
            gateway.check(token, WIDEN)
        assert gateway.runtime.monitor.drain()
    return home


def test_alerts_list_and_show_the_trip(home: Path) -> None:
    [alert] = json.loads(ok(proctor(home, "alerts", "--json")))
    assert (alert["agent"], alert["kind"], alert["severity"]) == ("forum-bot", "breaker", "high")
    assert alert["evidence"]["owner"] == "platform-team"
    assert alert["id"] in ok(proctor(home, "alerts"))
    assert json.loads(ok(proctor(home, "alerts", "--agent", "forum-bot", "--json"))) == [alert]
    assert json.loads(ok(proctor(home, "alerts", "--agent", "mail-bot", "--json"))) == []
    assert "no alerts for mail-bot" in ok(proctor(home, "alerts", "--agent", "mail-bot"))

    shown = ok(proctor(home, "alerts", "show", alert["id"]))
    assert "owner    platform-team" in shown
    assert "repo.set_permissions" in shown
    assert json.loads(ok(proctor(home, "alerts", "show", alert["id"], "--json"))) == alert


def test_an_unknown_alert_is_an_error(home: Path) -> None:
    missing = proctor(home, "alerts", "show", "alert_nope")
    assert missing.returncode == 1
    assert "unknown_alert" in missing.stderr


def test_a_reset_closes_the_breaker_and_is_audited(home: Path) -> None:
    [breaker] = json.loads(ok(proctor(home, "breaker", "list", "--json")))
    assert (breaker["agent"], breaker["status"], breaker["on_trip"]) == (
        "forum-bot",
        "open",
        "hold",
    )
    assert "forum-bot" in ok(proctor(home, "breaker", "list"))

    said = ok(proctor(home, "breaker", "reset", "forum-bot", "--reason", "checked with dana"))
    assert "breaker of forum-bot closed" in said
    assert "checked with dana" in said
    assert json.loads(ok(proctor(home, "breaker", "list", "--json"))) == []
    assert "no tripped breakers" in ok(proctor(home, "breaker", "list"))
    shown = json.loads(ok(proctor(home, "breaker", "show", "forum-bot", "--json")))
    assert shown["status"] == "closed"

    entries = [json.loads(line) for line in ok(proctor(home, "audit", "export")).splitlines()]
    breaker_events = [e["body"] for e in entries if e["kind"] == "breaker"]
    assert [body["event"] for body in breaker_events] == ["trip", "reset"]
    assert (breaker_events[1]["by"], breaker_events[1]["reason"]) == ("cli", "checked with dana")


def test_a_reset_without_a_reason_or_of_a_closed_breaker_fails(home: Path) -> None:
    for reason in ([], ["--reason", "  "]):
        refused = proctor(home, "breaker", "reset", "forum-bot", *reason)
        assert refused.returncode == 1
        assert "reason_required" in refused.stderr
    assert json.loads(ok(proctor(home, "breaker", "list", "--json")))[0]["status"] == "open"

    ok(proctor(home, "breaker", "reset", "forum-bot", "--reason", "done"))
    again = proctor(home, "breaker", "reset", "forum-bot", "--reason", "once more")
    assert again.returncode == 1
    assert "breaker_not_tripped" in again.stderr


def test_limits_show_what_proctor_yaml_declared(home: Path, tmp_path: Path) -> None:
    assert "no rate limits declared" in ok(proctor(home, "limits"))
    manifest = tmp_path / "limits.yaml"
    manifest.write_text(LIMITS, encoding="utf-8")
    ok(proctor(home, "apply", "-f", str(manifest)))
    listed = json.loads(ok(proctor(home, "limits", "--json")))
    assert [rule["text"] for rule in listed] == [
        "forum.post: 5/hour per agent",
        "repo.*: 20/10min per requester burst 4",
    ]
    assert (listed[1]["period_s"], listed[1]["per"], listed[1]["burst"]) == (600, "requester", 4)
    table = ok(proctor(home, "limits"))
    assert "forum.post: 5/hour per agent" in table
    assert "5 per hour per agent" in table
