"""``proctor discover``: a table for people, JSON for scripts, an exit code for CI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from proctor.cli._app import app
from tests.discover.support import stdio, write

SECRET = "sk-live-CLISECRET"


def _app() -> typer.Typer:
    """The real root command, so that every invocation is sized as ``proctor``'s are."""
    return app


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(_app(), ["discover", *args], env={"COLUMNS": "240"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    write(
        path / ".cursor" / "mcp.json",
        {
            "mcpServers": {
                "wrapped": stdio("proctor", "mcp-proxy", "--", "npx", "server-a"),
                "shadow": {**stdio("npx", "-y", "server-b"), "env": {"API_KEY": SECRET}},
                "[bold]markup[/bold]": {
                    "url": "https://mcp.example.com/mcp",
                    "headers": {"Authorization": f"Bearer {SECRET}"},
                },
            }
        },
    )
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    return path


def test_table_lists_every_server_and_the_summary(home: Path, project: Path) -> None:
    code, out, _ = _invoke("--home", str(home), "--project", str(project))
    assert code == 1
    assert "wrapped" in out
    assert "shadow" in out
    assert "npx -y server-b" in out
    assert "[bold]markup[/bold]" in out, "server names are shown as written, not as markup"
    assert "https://mcp.example.com/mcp" in out
    assert "3 servers, 2 not behind Proctor" in out
    assert SECRET not in out


def test_each_invocation_is_sized_by_its_own_environment(home: Path, project: Path) -> None:
    # A process that imported the CLI while COLUMNS was 50 (as another command run in
    # the same process may have had it), then runs discover with COLUMNS at 240.
    script = (
        "import os, sys; os.environ['COLUMNS'] = '50'\n"
        "from typer.testing import CliRunner\n"
        "from proctor.cli._app import app\n"
        "result = CliRunner().invoke(app, sys.argv[1:], env={'COLUMNS': '240'})\n"
        "print(result.stdout)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "discover", "--home", str(home), "--project", str(project)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "npx -y server-b" in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) > 50


def test_json_output_for_scripts(home: Path, project: Path) -> None:
    code, out, _ = _invoke("--home", str(home), "--project", str(project), "--json")
    assert code == 1
    document = json.loads(out)
    assert document["summary"] == {"servers": 3, "not_behind_proctor": 2, "problems": 0}
    assert [(s["name"], s["behind_proctor"]) for s in document["servers"]] == [
        ("wrapped", True),
        ("shadow", False),
        ("[bold]markup[/bold]", False),
    ]
    assert document["servers"][1]["env_keys"] == ["API_KEY"]
    assert SECRET not in out


def test_exit_zero_when_every_server_is_behind_proctor(tmp_path: Path) -> None:
    write(
        tmp_path / ".claude.json",
        {"mcpServers": {"w": stdio("python", "-m", "proctor", "mcp-proxy", "--", "x")}},
    )
    code, out, _ = _invoke("--home", str(tmp_path), "--project", str(tmp_path))
    assert code == 0
    assert "1 servers, 0 not behind Proctor" in out


def test_exit_zero_when_nothing_is_configured(tmp_path: Path) -> None:
    code, out, _ = _invoke("--home", str(tmp_path), "--project", str(tmp_path))
    assert code == 0
    assert "0 servers, 0 not behind Proctor" in out


def test_a_malformed_file_fails_the_run(tmp_path: Path) -> None:
    """Proctor fails closed: a file it could not parse may declare a shadow server."""
    write(tmp_path / ".cursor" / "mcp.json", '{"mcpServers": {,}}')
    code, out, err = _invoke("--home", str(tmp_path), "--project", str(tmp_path))
    assert code == 1
    assert f"{tmp_path / '.cursor' / 'mcp.json'}:1:17" in err.replace("\n", "")
    assert "0 servers, 0 not behind Proctor, 1 configuration problems" in out


def test_json_output_reports_problems(tmp_path: Path) -> None:
    (tmp_path / ".claude.json").mkdir()
    code, out, _ = _invoke("--home", str(tmp_path), "--project", str(tmp_path), "--json")
    assert code == 1
    [problem] = json.loads(out)["problems"]
    assert problem["path"] == str(tmp_path / ".claude.json")
    assert problem["line"] is None


def test_data_dir_is_accepted(home: Path, project: Path, tmp_path: Path) -> None:
    code, _, _ = _invoke(
        "--home", str(home), "--project", str(project), "--data-dir", str(tmp_path / "d")
    )
    assert code == 1
    assert not (tmp_path / "d").exists(), "discovery opens no store"


def test_as_a_real_process_reading_the_current_directory(home: Path, project: Path) -> None:
    """Without --project, the working directory is the project."""
    write(project / ".vscode" / "mcp.json", '{"servers": {"ws": {"command": "node"},},}')
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-c",
            "import typer; from proctor.cli.discover import discover; typer.run(discover)",
            "--home",
            str(home),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=project,
        env={**os.environ, "COLUMNS": "240"},
    )
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    assert [s["name"] for s in document["servers"]][-1] == "ws"
    assert document["servers"][-1]["project"] == str(project)
    assert SECRET not in result.stdout + result.stderr
