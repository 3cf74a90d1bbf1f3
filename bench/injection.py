"""Quality and speed of the prompt-injection detector on the labelled corpus.

    python bench/injection.py                      # every split, the default threshold
    python bench/injection.py --split holdout      # one split
    python bench/injection.py --split development  # dev and test together
    python bench/injection.py --threshold 0.5      # another operating point
    python bench/injection.py --json               # the same figures, machine-readable

The corpus is ``bench/data/injection/{dev,test,holdout}.jsonl``: texts written for
this project and labelled ``injection`` or ``benign``. ``holdout`` was written and
committed before the rules it measures were changed, and never tuned on: it is the
figure to quote. ``dev`` and ``test`` are development data (the rules were tuned on
them). Target: recall >= 0.9 at precision >= 0.95.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proctor.screening import DEFAULT_THRESHOLD, Detector, HeuristicDetector

DATA = Path(__file__).resolve().parent / "data" / "injection"
SPLITS = ("dev", "test", "holdout")
DEVELOPMENT = ("dev", "test")
TARGET_RECALL = 0.9
TARGET_PRECISION = 0.95
SWEEP = (0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9)


@dataclass(frozen=True)
class Example:
    id: str
    kind: str
    label: str
    text: str
    note: str


def load(split: str) -> list[Example]:
    if split == "development":
        return [example for part in DEVELOPMENT for example in load(part)]
    with (DATA / f"{split}.jsonl").open(encoding="utf-8") as lines:
        return [Example(**json.loads(line)) for line in lines if line.strip()]


def metrics(examples: list[Example], scores: list[float], threshold: float) -> dict[str, Any]:
    tp = fp = fn = tn = 0
    misses: list[Example] = []
    false_alarms: list[Example] = []
    per_kind: dict[str, Counter[str]] = {}
    for example, score in zip(examples, scores, strict=True):
        flagged = score >= threshold
        kind = per_kind.setdefault(example.kind, Counter())
        if example.label == "injection":
            kind["positives"] += 1
            if flagged:
                tp += 1
                kind["caught"] += 1
            else:
                fn += 1
                misses.append(example)
        else:
            kind["negatives"] += 1
            if flagged:
                fp += 1
                kind["false_alarms"] += 1
                false_alarms.append(example)
            else:
                tn += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "threshold": threshold,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "target_met": recall >= TARGET_RECALL and precision >= TARGET_PRECISION,
        "per_kind": {
            kind: {
                "recall": round(c["caught"] / c["positives"], 3) if c["positives"] else None,
                "false_positive_rate": (
                    round(c["false_alarms"] / c["negatives"], 3) if c["negatives"] else None
                ),
                "injected": c["positives"],
                "benign": c["negatives"],
            }
            for kind, c in sorted(per_kind.items())
        },
        "misses": [{"id": e.id, "note": e.note} for e in misses],
        "false_alarms": [{"id": e.id, "note": e.note} for e in false_alarms],
    }


def evaluate(detector: Detector, split: str, threshold: float) -> dict[str, Any]:
    examples = load(split)
    scores = [detector.screen(example.text).score for example in examples]
    result = metrics(examples, scores, threshold)
    result["split"] = split
    result["texts"] = len(examples)
    result["sweep"] = [
        {k: v for k, v in metrics(examples, scores, t).items() if k in _SWEEP_KEYS} for t in SWEEP
    ]
    return result


_SWEEP_KEYS = ("threshold", "precision", "recall", "f1", "fp", "fn", "target_met")


def throughput(detector: Detector) -> dict[str, float]:
    texts = [example.text for example in load("development")]
    timings = []
    for text in texts * 3:
        started = time.perf_counter_ns()
        detector.screen(text)
        timings.append((time.perf_counter_ns() - started) / 1000)
    page = "\n\n".join(texts)
    large = {}
    for size in (100_000, 1_000_000):
        body = (page * (size // len(page) + 1))[:size]
        runs = []
        for _ in range(5):
            started = time.perf_counter_ns()
            detector.screen(body)
            runs.append((time.perf_counter_ns() - started) / 1000)
        large[size] = statistics.median(runs)
    return {
        "median_us_per_text": round(statistics.median(timings), 1),
        "p99_us_per_text": round(sorted(timings)[int(len(timings) * 0.99) - 1], 1),
        "median_ms_100kb": round(large[100_000] / 1000, 2),
        "median_ms_1mb": round(large[1_000_000] / 1000, 2),
    }


def report(result: dict[str, Any]) -> None:
    print(f"== {result['split']} ({result['texts']} texts), threshold {result['threshold']}")
    print(
        f"precision {result['precision']:.3f}  recall {result['recall']:.3f}  "
        f"F1 {result['f1']:.3f}   TP {result['tp']}  FP {result['fp']}  "
        f"FN {result['fn']}  TN {result['tn']}"
    )
    met = "met" if result["target_met"] else "NOT met"
    print(f"target (recall >= {TARGET_RECALL} at precision >= {TARGET_PRECISION}): {met}")
    print(f"{'kind':<15}{'injected':>9}{'recall':>8}{'benign':>8}{'FP rate':>9}")
    for kind, row in result["per_kind"].items():
        recall = "-" if row["recall"] is None else f"{row['recall']:.2f}"
        fpr = "-" if row["false_positive_rate"] is None else f"{row['false_positive_rate']:.2f}"
        print(f"{kind:<15}{row['injected']:>9}{recall:>8}{row['benign']:>8}{fpr:>9}")
    for title, key in (("missed injections", "misses"), ("false alarms", "false_alarms")):
        print(f"{title} ({len(result[key])}):")
        for item in result[key]:
            print(f"  {item['id']}: {item['note']}")
    print("threshold sweep:")
    print(f"  {'threshold':>9}{'precision':>10}{'recall':>8}{'F1':>7}{'FP':>5}{'FN':>5}")
    for row in result["sweep"]:
        mark = "  <- target met" if row["target_met"] else ""
        print(
            f"  {row['threshold']:>9.2f}{row['precision']:>10.3f}{row['recall']:>8.3f}"
            f"{row['f1']:>7.3f}{row['fp']:>5}{row['fn']:>5}{mark}"
        )
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--split",
        choices=(*SPLITS, "development", "all"),
        default="all",
        help="one split, dev and test together (development), or each split (all)",
    )
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--no-speed", action="store_true", help="skip the throughput runs")
    args = parser.parse_args(argv)
    detector = HeuristicDetector(threshold=args.threshold)
    splits = SPLITS if args.split == "all" else (args.split,)
    results = [evaluate(detector, split, args.threshold) for split in splits]
    speed = None if args.no_speed else throughput(detector)
    if args.json:
        print(json.dumps({"detector": detector.name, "splits": results, "speed": speed}, indent=2))
        return 0
    for result in results:
        report(result)
    if speed is not None:
        print("speed (this machine, one thread):")
        print(
            f"  median {speed['median_us_per_text']} µs per corpus text "
            f"(p99 {speed['p99_us_per_text']} µs); 100 KB text {speed['median_ms_100kb']} ms; "
            f"1 MB text {speed['median_ms_1mb']} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
