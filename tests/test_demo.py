"""The incident replay is a specification: each step must decide as the product promises."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from proctor.demo import STEPS, run_demo
from proctor.model import Outcome


def _run_in_process(data_dir: Path) -> tuple[int, str]:
    console = Console(record=True, width=240, color_system=None, force_terminal=False)
    code = run_demo(data_dir, console)
    return code, console.export_text()


def test_demo_replays_the_incident_and_every_step_decides_as_expected(tmp_path: Path) -> None:
    code, output = _run_in_process(tmp_path / "demo")
    assert code == 0, output
    assert "audit verify: OK" in output
    assert Outcome.ALLOW.value in output
    assert Outcome.REQUIRE_APPROVAL.value in output
    assert f"decisions: {len(STEPS)}" in output
    assert "UNEXPECTED" not in output


def test_public_post_is_held_with_a_reason_naming_what_the_task_granted(tmp_path: Path) -> None:
    """The Sev-1's first step: the analysis task granted read, the agent tried to publish."""
    _, output = _run_in_process(tmp_path / "demo")
    lines = output.splitlines()
    post = next(n for n, line in enumerate(lines) if "(forum.post)" in line)
    assert lines[post + 1].strip().startswith(f"→ {Outcome.REQUIRE_APPROVAL.value}")
    assert "the task granted read, not publish" in lines[post + 2]


def test_demo_refuses_a_data_directory_that_already_holds_a_store(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    first, _ = _run_in_process(data_dir)
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
    code, output = _run_in_process(tmp_path)
    assert code == 0, output


def _proctor_script() -> str | None:
    """The installed console script: beside this interpreter (an unactivated venv) or on PATH."""
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return shutil.which("proctor", path=search)


@pytest.mark.skipif(_proctor_script() is None, reason="the `proctor` console script is missing")
def test_proctor_demo_command_exits_zero_and_verifies_the_log(tmp_path: Path) -> None:
    """The real CLI in a real subprocess, as a user would run it."""
    env = {**os.environ, "COLUMNS": "240", "NO_COLOR": "1", "PYTHONWARNINGS": "error"}
    executable = _proctor_script()
    assert executable is not None
    result = subprocess.run(
        [executable, "demo", "--data-dir", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "audit verify: OK" in result.stdout
    assert Outcome.ALLOW.value in result.stdout
    assert Outcome.REQUIRE_APPROVAL.value in result.stdout
    assert "UNEXPECTED" not in result.stdout


def test_demo_module_is_importable_without_side_effects() -> None:
    """Importing the demo must not open a gateway or touch any data directory."""
    result = subprocess.run(
        [sys.executable, "-c", "import proctor.demo"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
