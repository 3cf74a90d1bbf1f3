"""Audit log throughput and latency on a temporary SQLite store.

    python bench/audit.py                # a table
    python bench/audit.py --json         # the same figures, machine-readable
    python bench/audit.py --entries 50000 --verify-entries 200000 --repeat 5

Every figure is the median over ``--repeat`` runs, each on a fresh store with the
default durability (WAL, ``synchronous=NORMAL``: an acknowledged entry survives
the process being killed). Targets are printed beside the figures, not asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from proctor.audit import AuditLog, CheckpointSigner, canonical_json
from proctor.audit import _log as audit_log_module
from proctor.audit._core import CoreBackend
from proctor.store import Database

TARGET_APPENDS_PER_S = 10_000
TARGET_P50_US = 40.0
TARGET_VERIFY_PER_S = 100_000

DECISION: dict[str, Any] = {
    "decision_id": "d-0000000000000000",
    "agent": "agent:report-writer",
    "requester": "dana@example.com",
    "task": "task-42",
    "tool": "crm.read_contacts",
    "action": "read",
    "resource": {"id": "crm://contacts/123", "label": "confidential", "owner": "alice"},
    "outcome": "allow",
    "reasons": [
        {"code": "task_grants_action", "message": "the task grants read"},
        {"code": "label_within_clearance", "message": "confidential is within clearance"},
    ],
    "facts": {"rate": 3, "anomaly": 0.12, "taint": "internal", "approved": False},
}


def bodies(count: int) -> list[dict[str, Any]]:
    return [{**DECISION, "decision_id": f"d-{number:016x}"} for number in range(count)]


@contextmanager
def fresh_log(**options: Any) -> Iterator[AuditLog]:
    with tempfile.TemporaryDirectory() as directory:
        database = Database.open(Path(directory) / "audit.db")
        log = AuditLog(database, CheckpointSigner.generate(), **options)
        try:
            yield log
        finally:
            log.close()
            database.dispose()


def single_thread(count: int) -> dict[str, float]:
    """Lone appends: each one commits inline."""
    prepared = bodies(count)
    latencies: list[int] = []
    with fresh_log() as log:
        clock = time.perf_counter_ns
        started = clock()
        for body in prepared:
            before = clock()
            log.append("decision", body)
            latencies.append(clock() - before)
        elapsed = (clock() - started) / 1e9
    latencies.sort()
    return {
        "appends_per_s": count / elapsed,
        "p50_us": latencies[len(latencies) // 2] / 1000,
        "p99_us": latencies[int(len(latencies) * 0.99)] / 1000,
    }


def threaded(count: int, threads: int) -> dict[str, float]:
    """``threads`` appenders at once: group commit shares transactions."""
    per_thread = count // threads
    prepared = [bodies(per_thread) for _ in range(threads)]
    with fresh_log() as log:
        start = threading.Barrier(threads + 1)

        def work(own: list[dict[str, Any]]) -> None:
            start.wait()
            for body in own:
                log.append("decision", body)

        workers = [threading.Thread(target=work, args=(own,)) for own in prepared]
        for worker in workers:
            worker.start()
        start.wait()
        started = time.perf_counter()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - started
        stats = log.stats
    return {
        "appends_per_s": per_thread * threads / elapsed,
        "entries_per_commit": stats.entries / stats.commits,
    }


def through_core(count: int) -> dict[str, float]:
    """The same lone appends through SQLAlchemy Core, for comparison only."""
    original = audit_log_module.open_backend
    audit_log_module.open_backend = CoreBackend
    try:
        return single_thread(count)
    finally:
        audit_log_module.open_backend = original


def verify_rate(count: int, repeat: int) -> dict[str, float]:
    rates = []
    with fresh_log() as log:
        for body in bodies(count):
            log.append("decision", body)
        for _ in range(repeat):
            started = time.perf_counter()
            report = log.verify()
            rates.append(report.entries / (time.perf_counter() - started))
            assert report.ok, report.problem
    return {"entries": count, "entries_per_s": statistics.median(rates)}


def canonical_cost(repeat: int) -> float:
    body = bodies(1)[0]
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(20_000):
            canonical_json(body)
        runs.append((time.perf_counter() - started) / 20_000 * 1e6)
    return statistics.median(runs)


def median_of(runs: int, measure: Callable[[], dict[str, float]]) -> dict[str, float]:
    results = [measure() for _ in range(runs)]
    return {key: statistics.median(result[key] for result in results) for key in results[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20_000, help="appends per run")
    parser.add_argument("--verify-entries", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    options = parser.parse_args()
    n, runs = options.entries, options.repeat

    figures: dict[str, Any] = {
        "body_bytes": len(canonical_json(DECISION)),
        "canonical_json_us": canonical_cost(runs),
        "single_thread": median_of(runs, lambda: single_thread(n)),
        "threads_4": median_of(runs, lambda: threaded(n, 4)),
        "threads_8": median_of(runs, lambda: threaded(n, 8)),
        "sqlalchemy_core_single_thread": median_of(runs, lambda: through_core(max(n // 4, 1))),
        "verify": verify_rate(options.verify_entries, runs),
    }
    if options.json:
        print(json.dumps(figures, indent=2))
        return
    single, verify = figures["single_thread"], figures["verify"]

    def mark(ok: bool) -> str:
        return "meets target" if ok else "BELOW TARGET"

    print(f"audit bench: {n} appends per run, median of {runs}, body {figures['body_bytes']} B")
    print(f"  canonical JSON of the body     {figures['canonical_json_us']:8.1f} µs")
    print(
        f"  1 thread   {single['appends_per_s']:10,.0f} appends/s  "
        f"p50 {single['p50_us']:.1f} µs  p99 {single['p99_us']:.1f} µs  "
        f"({mark(single['appends_per_s'] >= TARGET_APPENDS_PER_S)} "
        f"{TARGET_APPENDS_PER_S:,}/s; p50 {mark(single['p50_us'] <= TARGET_P50_US)} "
        f"{TARGET_P50_US:.0f} µs)"
    )
    for threads in (4, 8):
        result = figures[f"threads_{threads}"]
        print(
            f"  {threads} threads  {result['appends_per_s']:10,.0f} appends/s  "
            f"{result['entries_per_commit']:.1f} entries per commit"
        )
    core = figures["sqlalchemy_core_single_thread"]
    print(
        f"  (via SQLAlchemy Core: {core['appends_per_s']:,.0f} appends/s, "
        f"p50 {core['p50_us']:.1f} µs; not used on SQLite)"
    )
    print(
        f"  verify     {verify['entries_per_s']:10,.0f} entries/s over {verify['entries']:,} "
        f"({mark(verify['entries_per_s'] >= TARGET_VERIFY_PER_S)} {TARGET_VERIFY_PER_S:,}/s)"
    )


if __name__ == "__main__":
    main()
