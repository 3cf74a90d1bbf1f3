"""The walkthrough in docs/claude-code.md runs as written in a shell."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_the_walkthrough_allows_denies_asks_and_stamps(tmp_path: Path) -> None:
    text = (REPO_ROOT / "docs/claude-code.md").read_text()
    walkthrough = re.findall(r"```bash\n(.*?)```", text, flags=re.S)[-1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCTOR_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["TMPDIR"] = str(tmp_path)
    done = subprocess.run(
        ["bash", "-c", walkthrough],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answers = [
        json.loads(line.split("  (exit")[0])["hookSpecificOutput"]
        for line in done.stdout.splitlines()
        if line.startswith('{"hookSpecificOutput"')
    ]
    decisions = [answer["permissionDecision"] for answer in answers]
    assert decisions == ["allow", "deny", "ask", "allow"]
    assert "(exit 2)" in done.stdout
    assert "apr_" in done.stdout
    stamped = answers[-1]["updatedInput"]
    assert stamped["thread"] == "releases"
    assert stamped["body"].startswith(
        "Fixed the failing test.\n\n— Written by AI agent claude-code for dana (task "
    )
