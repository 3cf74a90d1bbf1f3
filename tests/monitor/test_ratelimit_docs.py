"""What docs/rate-limits.md shows and promises holds."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from proctor.monitor import CallKey, LocalRateLimiter, parse_rate_limit, parse_rate_limits

DOC = (Path(__file__).resolve().parents[2] / "docs" / "rate-limits.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, flags=re.S)


def test_every_yaml_example_declares_valid_limits() -> None:
    examples = [yaml.safe_load(block)["rate_limits"] for block in blocks("yaml")]
    assert len(examples) == 2
    assert [len(parse_rate_limits(example)) for example in examples] == [5, 2]


def test_the_python_example_runs() -> None:
    [example] = blocks("python")
    exec(compile(example, "docs/rate-limits.md", "exec"), {})  # noqa: S102 - our own doc


@pytest.mark.parametrize(("burst", "most"), [(5, 9), (1, 5)])
def test_any_one_period_holds_at_most_burst_plus_limit_minus_one(burst: int, most: int) -> None:
    """A caller trying every second for three hours never gets more into any one hour."""
    now = [0.0]
    limits = LocalRateLimiter(
        [parse_rate_limit(f"forum.post: 5/hour per agent burst {burst}")], clock=lambda: now[0]
    )
    key = CallKey("forum-bot", "t1", "dana", "forum.post")
    granted = []
    for second in range(3 * 3600):
        now[0] = float(second)
        if limits.hit(key).allowed:
            granted.append(second)
    hour = int(timedelta(hours=1).total_seconds())
    busiest = max(sum(1 for t in granted if start <= t < start + hour) for start in granted)
    assert busiest == most
