"""What `proctor hook claude-code` imports: Claude Code starts it before and after every
tool call, so over HTTP it must not load the gateway, the store or the policy engine.

Each test runs the ``proctor`` entry point in a real process and reads, from inside
that process, which modules it imported.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integrations.claude_code.conftest import Coding, pre

#: What the hook's HTTP path must never import (a name, or a package and all under it):
#: the gateway and what it decides with (policy engine, Cedar, monitor, store engine),
#: the server, the MCP proxy, the admin API shapes, and the full CLI app.
HEAVY = (
    "cedarpy",
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "mcp",
    "proctor.admin",
    "proctor.runtime",
    "proctor.policy",
    "proctor.monitor",
    "proctor.store._database",
    "proctor.server",
    "proctor.wire",
    "proctor.integrations.mcp",
    "proctor.cli._app",
)
#: Of the gateway, the hook uses only its limit on names (through the lazy package).
GATEWAY_LIMITS = {"proctor.gateway", "proctor.gateway._calls"}

#: Runs the console script's entry point, then reports sys.modules on the last stderr line.
PROBE = """\
import json, sys
from proctor.cli import main
sys.argv = ["proctor", *sys.argv[1:]]
try:
    main()
finally:
    sys.stderr.write("\\nimported: " + json.dumps(sorted(sys.modules)) + "\\n")
"""


def probe(
    args: list[str], env: dict[str, str], stdin: bytes = b""
) -> tuple[subprocess.CompletedProcess[bytes], set[str]]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PROCTOR_")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        input=stdin,
        capture_output=True,
        env={**clean, **env},
        timeout=60,
        check=False,
    )
    last = done.stderr.decode().rstrip("\n").rsplit("\n", 1)[-1]
    assert last.startswith("imported: "), done.stderr.decode()
    return done, set(json.loads(last.removeprefix("imported: ")))


def heavy(modules: set[str]) -> list[str]:
    found = {m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)}
    gateway = {m for m in modules if m == "proctor.gateway" or m.startswith("proctor.gateway.")}
    return sorted(found | (gateway - GATEWAY_LIMITS))


def unreachable_url() -> str:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def answer(done: subprocess.CompletedProcess[bytes]) -> tuple[str, str]:
    specific = json.loads(done.stdout)["hookSpecificOutput"]
    return specific["permissionDecision"], specific["permissionDecisionReason"]


def test_over_http_the_hook_imports_neither_gateway_nor_store_nor_policy_engine() -> None:
    env = {"PROCTOR_URL": unreachable_url(), "PROCTOR_TOKEN": "a-token"}
    done, modules = probe(["hook", "claude-code"], env, pre("Bash", {"command": "ls"}))
    # It took the HTTP path: the client tried the gateway and failed closed.
    assert done.returncode == 2, done.stderr.decode()
    decision, reason = answer(done)
    assert decision == "deny"
    assert "gateway_unreachable" in reason
    assert heavy(modules) == []
    assert {"httpx", "proctor.sdk._client"} <= modules


def test_with_no_gateway_configured_the_hook_denies_before_loading_a_client() -> None:
    done, modules = probe(
        ["hook", "claude-code"], {"PROCTOR_TOKEN": "a-token"}, pre("Read", {"file_path": "/r"})
    )
    assert done.returncode == 2
    assert answer(done)[0] == "deny"
    assert answer(done)[1].startswith("Proctor: no gateway is configured: set PROCTOR_URL")
    assert heavy(modules) == []
    assert "httpx" not in modules
    assert "proctor._wire_calls" not in modules


def test_with_a_data_directory_the_hook_decides_with_the_gateway(
    coding: Coding, tmp_path: Path
) -> None:
    """The in-process way loads the gateway, and only that way does."""
    env = {
        "PROCTOR_HOME": str(coding.gateway.runtime.home.path),
        "PROCTOR_TOKEN": coding.token,
        "PROCTOR_HOOK_STATE_DIR": str(tmp_path / "hook-state"),
    }
    done, modules = probe(["hook", "claude-code"], env, pre("Read", {"file_path": "/r/a.py"}))
    assert done.returncode == 0, done.stderr.decode()
    assert answer(done)[0] == "allow"
    assert "proctor.gateway._gateway" in modules


#: The light entry point must answer exactly as the full app does.
SAME_AS_FULL_APP = [
    ["hook", "claude-code", "--help"],
    ["hook", "claude-code", "init", "--help"],
    ["hook", "claude-code", "inventory", "--help"],
    ["hook", "claude-code", "init", "--command", "proctor hook claude-code --on-hold deny"],
    ["hook", "claude-code", "inventory", "--agent", "cc-1", "--owner", "dana"],
    ["hook", "claude-code", "--wait", "soon"],
    ["hook", "claude-code", "--no-such-option"],
    ["hook", "claude-code", "no-such-command"],
]


@pytest.mark.parametrize("args", SAME_AS_FULL_APP, ids=" ".join)
def test_the_hook_entry_point_answers_as_the_full_app(args: list[str]) -> None:
    env = {**os.environ, "COLUMNS": "100", "TERM": "dumb"}
    env = {k: v for k, v in env.items() if not k.startswith("PROCTOR_")}

    def run(entry: str) -> subprocess.CompletedProcess[str]:
        code = f"import sys; sys.argv[0] = 'proctor'; from {entry} import main; main()"
        return subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )

    light, full = run("proctor.cli"), run("proctor.cli._app")
    assert (light.returncode, light.stdout, light.stderr) == (
        full.returncode,
        full.stdout,
        full.stderr,
    )
    assert light.stdout or light.stderr
