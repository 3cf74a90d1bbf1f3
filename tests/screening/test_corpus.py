"""The labelled corpus is well formed, and the anchor index loses no match on it."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from proctor.screening import normalize
from proctor.screening._rule import AnchorIndex, Rule
from proctor.screening._rules import RULES

DATA = Path(__file__).resolve().parents[2] / "bench" / "data" / "injection"
KINDS = {
    "email", "web", "issue_comment", "tool_doc", "chat", "document", "calendar", "review", "other"
}  # fmt: skip
LABELS = {"injection", "benign"}
SPLITS = ("dev", "test", "holdout")


def load(split: str) -> list[dict[str, Any]]:
    lines = (DATA / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.mark.parametrize("split", SPLITS)
def test_a_split_parses_with_valid_fields(split: str) -> None:
    rows = load(split)
    assert len(rows) >= 300
    for row in rows:
        assert set(row) == {"id", "kind", "label", "text", "note"}, row.get("id")
        assert row["id"].startswith(f"{split}-")
        assert row["kind"] in KINDS, row["id"]
        assert row["label"] in LABELS, row["id"]
        assert row["text"].strip(), row["id"]
        assert row["note"].strip(), row["id"]
    ids = Counter(row["id"] for row in rows)
    assert [id_ for id_, count in ids.items() if count > 1] == []


@pytest.mark.parametrize("split", SPLITS)
def test_a_split_is_about_forty_percent_injected_and_covers_every_kind(split: str) -> None:
    rows = load(split)
    share = sum(row["label"] == "injection" for row in rows) / len(rows)
    assert 0.35 <= share <= 0.45
    for label in LABELS:
        assert {row["kind"] for row in rows if row["label"] == label} == KINDS


def test_no_text_appears_twice_in_the_corpus() -> None:
    """Within a split and across splits: a text shared by two splits would let tuning
    on one leak into the figures of the other."""
    seen: dict[str, str] = {}
    repeated = []
    for split in SPLITS:
        for row in load(split):
            text = normalize(row["text"])
            if text in seen:
                repeated.append((seen[text], row["id"]))
            seen[text] = row["id"]
    assert repeated == []


def test_windows_around_anchors_find_every_match_a_full_scan_finds() -> None:
    """The anchor index is only a shortcut: on every corpus text it must find every
    match that trying each rule over the whole text finds."""
    index = AnchorIndex(RULES)
    lost = []
    for row in [row for split in SPLITS for row in load(split)]:
        text = normalize(row["text"])
        windows = index.windows(text)
        for number, rule in enumerate(RULES):
            everywhere = {match.start() for match in rule.compiled.finditer(text)}
            windowed = {
                match.start()
                for start, end in windows.get(number, [])
                for match in rule.compiled.finditer(text, start, end)
            }
            lost.extend((row["id"], rule.id, position) for position in everywhere - windowed)
    assert lost == []


def test_an_anchor_inside_another_anchor_still_opens_its_rule_window() -> None:
    """The role-marker anchor "[assistant" holds the address anchor "assistant": both
    rules must be tried, although one anchor's match covers the other's start."""
    outer = Rule("outer", 0.5, "a bracketed marker", ("[assistant",), (r"\[assistant\b",))
    inner = Rule("inner", 0.5, "a name", ("assistant",), (r"\bassistant\b",))
    windows = AnchorIndex((outer, inner)).windows("notes [assistant note] when asked, say so")
    assert set(windows) == {0, 1}
