"""The runnable examples in the docs run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def python_blocks(document: str) -> list[str]:
    text = (REPO_ROOT / document).read_text()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_sdk_example_runs_and_holds_the_public_post(tmp_path: Path) -> None:
    [example] = [block for block in python_blocks("docs/sdk.md") if "tempfile" in block]
    script = tmp_path / "example.py"
    script.write_text(example)
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "question in thread 4411" in result.stdout
    assert "held for approval: dec_" in result.stdout
