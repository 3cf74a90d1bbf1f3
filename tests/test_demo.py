"""``proctor demo`` plays every incident replay in one data directory and verifies the log.

What each step decides is asserted in ``tests/incidents/``; here: the command as a whole.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console

import proctor.demo._run as demo_run
from proctor.demo import FORUM, SCENARIOS, run_demo
from proctor.model import Outcome


def _run_in_process(data_dir: Path, scenarios: list[str] | None = None) -> tuple[int, str]:
    console = Console(record=True, width=240, color_system=None, force_terminal=False)
    code = run_demo(data_dir, console, scenarios=scenarios)
    return code, console.export_text()


def test_demo_replays_every_incident_and_every_step_decides_as_expected(tmp_path: Path) -> None:
    code, output = _run_in_process(tmp_path / "demo")
    assert code == 0, output
    assert "audit verify: OK" in output
    for outcome in Outcome:
        assert f"→ {outcome.value}" in output
    steps = sum(len(scenario.steps) for scenario in SCENARIOS)
    assert f"decisions: {steps} (" in output
    for number, scenario in enumerate(SCENARIOS, start=1):
        assert f"{number}/{len(SCENARIOS)}  {scenario.title}" in output
        assert f"{scenario.name}: {len(scenario.steps)} decisions" in output
    assert "UNEXPECTED" not in output


def test_scenario_option_plays_only_the_incidents_named(tmp_path: Path) -> None:
    code, output = _run_in_process(tmp_path / "demo", ["code-freeze", "mailbox", "code-freeze"])
    assert code == 0, output
    assert "1/2  The coding agent during a code freeze" in output
    assert "2/2  The mailbox" in output
    assert "forum-bot" not in output
    assert "decisions: 13 (" in output


def test_an_unknown_scenario_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    code, output = _run_in_process(tmp_path / "demo", ["forum", "replit"])
    assert code == 2
    assert "no scenario named replit" in output
    assert "toxic-flow" in output
    assert not (tmp_path / "demo").exists()


def test_a_surprise_makes_the_demo_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo is a test too: a step that decides otherwise than expected exits 1."""
    wrong = replace(FORUM.step("post-publicly"), expected=frozenset({Outcome.ALLOW}))
    steps = tuple(wrong if step.key == wrong.key else step for step in FORUM.steps)
    monkeypatch.setattr(demo_run, "SCENARIOS", (replace(FORUM, steps=steps),))
    code, output = _run_in_process(tmp_path / "demo")
    assert code == 1
    assert "UNEXPECTED post-publicly (forum.post): expected allow, got require_approval" in output
    assert f"forum: {len(FORUM.steps)} decisions" in output
    assert "NOT as expected" in output


def test_public_post_is_held_with_a_reason_naming_what_the_task_granted(tmp_path: Path) -> None:
    """The Sev-1's first step: the analysis task granted read, the agent tried to publish."""
    _, output = _run_in_process(tmp_path / "demo", ["forum"])
    lines = output.splitlines()
    post = next(n for n, line in enumerate(lines) if line.endswith("(forum.post)"))
    assert lines[post + 1].strip().startswith(f"→ {Outcome.REQUIRE_APPROVAL.value}")
    assert "the task granted read, not publish" in lines[post + 2]


def test_the_permission_spree_trips_the_breaker_and_the_owner_is_alerted(tmp_path: Path) -> None:
    """After the incident: the alert is printed where it is raised, and the next calls
    wait for the agent's owner with a reason naming the rule."""
    code, output = _run_in_process(tmp_path / "demo", ["forum"])
    assert code == 0, output
    assert "settings: a circuit breaker trips on 3 permission changes within a minute" in output
    lines = output.splitlines()
    alert = next(n for n, line in enumerate(lines) if "proctor alerts" in line)
    assert (
        "proctor alerts platform-team, the owner of forum-bot: forum-bot: breaker tripped "
        in (lines[alert])
    )
    assert "action_burst(3 modify_permissions within 1m)" in lines[alert]
    evidence = "\n".join(lines[alert + 1 : alert + 5])
    assert evidence.count("repo.set_permissions → ") == 3
    # The alert follows the call that tripped it; the next call is held by the breaker.
    assert "CI pipelines repository" in "\n".join(lines[alert - 8 : alert])
    held = next(n for n, line in enumerate(lines) if "CI runner images" in line)
    assert held > alert
    assert lines[held + 1].strip().startswith(f"→ {Outcome.REQUIRE_APPROVAL.value}")
    assert "forum-bot's circuit breaker is open (tripped by action_burst(" in lines[held + 2]
    assert "waits for platform-team (agent owner)" in output


def test_demo_refuses_a_data_directory_that_already_holds_a_store(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    first, _ = _run_in_process(data_dir, ["forum"])
    assert first == 0
    second, output = _run_in_process(data_dir)
    assert second == 2
    assert "fresh" in output


def test_demo_refuses_settings_that_may_point_at_a_shared_store(tmp_path: Path) -> None:
    """A settings file may name a real PostgreSQL store: the demo must not write there."""
    (tmp_path / "settings.yaml").write_text("durability: power\n", encoding="utf-8")
    code, _ = _run_in_process(tmp_path)
    assert code == 2
    assert not (tmp_path / "store.db").exists()


def test_demo_accepts_an_empty_existing_directory(tmp_path: Path) -> None:
    """``proctor demo --fresh`` hands over a directory it has just created, empty."""
    code, output = _run_in_process(tmp_path, ["mailbox"])
    assert code == 0, output


def _proctor_script() -> str | None:
    """The installed console script: beside this interpreter (an unactivated venv) or on PATH."""
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return shutil.which("proctor", path=search)


def _proctor_demo(
    *arguments: str, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "240", "NO_COLOR": "1", "PYTHONWARNINGS": "error"}
    env.update(env_extra or {})
    executable = _proctor_script()
    assert executable is not None
    return subprocess.run(
        [executable, "demo", *arguments],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )


@pytest.mark.skipif(_proctor_script() is None, reason="the `proctor` console script is missing")
def test_proctor_demo_command_exits_zero_and_verifies_the_log(tmp_path: Path) -> None:
    """The real CLI in a real subprocess, as a user would run it."""
    result = _proctor_demo("--data-dir", str(tmp_path / "demo"))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "audit verify: OK" in result.stdout
    for outcome in Outcome:
        assert f"→ {outcome.value}" in result.stdout
    for scenario in SCENARIOS:
        assert scenario.title in result.stdout
    assert "UNEXPECTED" not in result.stdout


@pytest.mark.skipif(_proctor_script() is None, reason="the `proctor` console script is missing")
def test_proctor_demo_command_refuses_an_unknown_scenario(tmp_path: Path) -> None:
    result = _proctor_demo("--data-dir", str(tmp_path / "demo"), "--scenario", "replit")
    assert result.returncode == 2
    assert "no scenario named replit" in result.stdout
    assert not (tmp_path / "demo").exists()


@pytest.mark.skipif(_proctor_script() is None, reason="the `proctor` console script is missing")
def test_an_unknown_scenario_leaves_no_temporary_directory_behind(tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result = _proctor_demo("--scenario", "replit", env_extra={"TMPDIR": str(scratch)})
    assert result.returncode == 2
    assert list(scratch.iterdir()) == []


def test_demo_module_is_importable_without_side_effects() -> None:
    """Importing the demo must not open a gateway or touch any data directory."""
    result = subprocess.run(
        [sys.executable, "-c", "import proctor.demo"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
