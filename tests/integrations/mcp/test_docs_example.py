"""The examples in docs/mcp-proxy.md run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def _examples() -> list[str]:
    text = (REPO_ROOT / "docs" / "mcp-proxy.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def _run(example: str, tmp_path: Path) -> str:
    script = tmp_path / "example.py"
    script.write_text(example, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_there_is_an_example_for_each_transport() -> None:
    assert len(_examples()) == 2


def test_the_stdio_example_reads_the_time_through_the_proxy(tmp_path: Path) -> None:
    out = _run(_examples()[0], tmp_path)

    assert "tools: ['convert_time', 'get_current_time']" in out
    assert "allowed: True" in out
    assert "registered: read" in out
    assert "log verifies: True" in out


def test_the_http_example_reads_a_note_and_the_delete_is_held(tmp_path: Path) -> None:
    out = _run(_examples()[1], tmp_path)

    assert out.splitlines() == [
        "tools: ['delete_note', 'read_note']",
        "read: note 7: water the plants",
        "delete: require_approval",
    ]
