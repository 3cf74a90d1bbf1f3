"""The example in docs/mcp-proxy.md runs as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_the_mcp_proxy_example_runs_and_reads_the_time_through_the_proxy(
    tmp_path: Path,
) -> None:
    text = (REPO_ROOT / "docs" / "mcp-proxy.md").read_text(encoding="utf-8")
    [example] = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    script = tmp_path / "example.py"
    script.write_text(example, encoding="utf-8")

    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )

    assert result.returncode == 0, result.stderr
    assert "tools: ['convert_time', 'get_current_time']" in result.stdout
    assert "allowed: True" in result.stdout
    assert "registered: read" in result.stdout
    assert "log verifies: True" in result.stdout
