"""The examples in docs/frameworks.md run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = re.findall(
    r"```python\n(.*?)```", (REPO_ROOT / "docs/frameworks.md").read_text(), flags=re.S
)


def run(example: str, tmp_path: Path) -> str:
    script = tmp_path / "example.py"
    script.write_text(example)
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def example(marker: str) -> str:
    [found] = [block for block in EXAMPLES if marker in block]
    return found


LANGCHAIN = ["tool: 3 pages about rollback", "tool: Proctor held the call to post"]
AGENTS_SDK = ["tool output: 3 pages about rollback", "denied the call to close_ticket (policy_"]
PYDANTIC_AI = [
    "held: post dec_",
    "posting: a\n\n— Written by AI agent support-bot for dana (task ",
    "); reviewed by dana.",
    '"post":"posted"',
]


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        ("proctor.integrations.langchain", LANGCHAIN),
        ("proctor.integrations.openai_agents", AGENTS_SDK),
        ("proctor.integrations.pydantic_ai", PYDANTIC_AI),
    ],
)
def test_the_framework_example_runs(marker: str, expected: list[str], tmp_path: Path) -> None:
    output = run(example(marker), tmp_path)
    for text in expected:
        assert text in output
