"""What value provenance costs: attributing a call's arguments, recording an output.

    python bench/provenance.py            # sessions of 1,000 and 10,000 recorded entries
    python bench/provenance.py --quick    # smoke run: 1,000 only, fewer calls
    python bench/provenance.py --json     # the figures, machine-readably

A real ``SessionProvenance`` on a fresh SQLite file. Each session is filled with
realistic untrusted outputs (invoices, web pages, JSON search results, about 2 KB each,
with e-mail addresses, IBANs, URLs, phone numbers, amounts and prose) until it holds
the target number of entries (values, pieces, piece starts and text fingerprints:
what the session bound counts). Then:

* attribute: one call with five short arguments: two that match (an e-mail address
  and a spaced IBAN from the recorded outputs) and three that do not (a new e-mail
  address, a short subject with a new ticket number, an amount never seen). Every
  call draws new values. "cold" clears the analysed-value cache before every call
  (nothing about the arguments is known); "warm" keeps it, as a running gateway does
  (the three new values are still new every call). "2 targets": the same calls with
  ``targets=("iban", "cc")``, as the gateway asks for a payment's target arguments.
* record: ``record_output`` of one new 2 KB output, store write included, into
  sessions holding a few thousand entries.

docs/provenance.md explains the figures and records a run.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from proctor.provenance import ProvenanceKey, SessionProvenance, Source, Trust
from proctor.provenance._argument import clear_cache
from proctor.store import Database

SEED = 4411
SIZES = (1_000, 10_000)
TARGET_P50_US = 30.0
#: A payment's target arguments: one recorded IBAN, one new address.
TARGETS = ("iban", "cc")
_WORDS = (
    *("the", "invoice", "payment", "account", "please", "transfer", "before", "due"),
    *("date", "team", "update", "review", "quarterly", "report", "access", "grant"),
    *("repository", "permission", "forum", "answer", "customer", "order", "shipping"),
    *("delivery", "contact", "support", "portal", "schedule", "meeting", "notes"),
)


def iban(rng: random.Random) -> str:
    bban = "".join(rng.choice("0123456789") for _ in range(18))
    check = 98 - int(bban + "131400") % 97
    compact = f"DE{check:02d}{bban}"
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def prose(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize() + "."


class Pool:
    """The values recorded so far, to draw matching arguments from."""

    def __init__(self) -> None:
        self.emails: list[str] = []
        self.ibans: list[str] = []


def output(rng: random.Random, n: int, pool: Pool) -> object:
    """A realistic tool output of about 2 KB."""
    email = f"billing{n}@vendor{rng.randrange(10**6)}.example"
    account = iban(rng)
    pool.emails.append(email)
    pool.ibans.append(account)
    shape = n % 3
    if shape == 0:
        return (
            f"Invoice INV-{n:05d} from Vendor {n} GmbH. {prose(rng, 40)}\n"
            f"Total due: {rng.randrange(100, 99999)}.{rng.randrange(100):02d} EUR. "
            f"Pay to {account}. Questions: {email} or +49 30 {rng.randrange(10**7):07d}. "
            f"Portal: https://pay.vendor{n}.example/invoices/{n}?ref=mail\n"
            + " ".join(prose(rng, 25) for _ in range(8))
        )
    if shape == 1:
        return (
            f"<html><body><h1>Update {n}</h1><p>{prose(rng, 60)}</p>"
            f'<p>Write to <a href="mailto:{email}">us</a>, bank {account}.</p>'
            f'<a href="https://www.site{n}.example/page/{n}/">more</a>'
            f"<p>{prose(rng, 120)}</p></body></html>"
        )
    return {
        "results": [
            {
                "title": prose(rng, 8),
                "url": f"https://docs{n}.example/a/{i}",
                "owner": f"user{n}_{i}",
                "snippet": prose(rng, 30),
            }
            for i in range(5)
        ],
        "contact": email,
        "account": account,
    }


def fill(provenance: SessionProvenance, task: str, entries: int, rng: random.Random) -> Pool:
    pool = Pool()
    provenance.record_instruction(task, "Pay this month's open invoices and report to me.")
    n = 0
    while provenance.summary(task).values < entries:
        n += 1
        provenance.record_output(task, output(rng, n, pool), source(n))
    return pool


def source(n: int) -> Source:
    return Source(f"d-{n}", Trust.UNTRUSTED, "mail.read", f"inbox:{n}", None, datetime.now(UTC))


def call(rng: random.Random, pool: Pool, n: int) -> dict[str, object]:
    return {
        "to": rng.choice(pool.emails),
        "iban": rng.choice(pool.ibans),
        "cc": f"someone{n}@new-domain{n}.example",
        "subject": f"Re: ticket T-{n}",
        "amount": 100_000 + n,
    }


def timed(
    function: Callable[[], object], before: Callable[[], None] | None = None
) -> tuple[float, float]:
    """Wall-clock and this thread's CPU time of one call, in µs."""
    if before is not None:
        before()
    start, cpu = time.perf_counter_ns(), time.thread_time_ns()
    function()
    return (time.perf_counter_ns() - start) / 1000, (time.thread_time_ns() - cpu) / 1000


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def measure(size: int, calls: int, directory: Path) -> dict[str, float]:
    rng = random.Random(SEED + size)
    database = Database.open(directory / f"bench-{size}.db")
    provenance = SessionProvenance(
        database, ProvenanceKey.generate(), max_values=max(size * 2, 20_000)
    )
    task = f"bench-{size}"
    pool = fill(provenance, task, size, rng)
    held = provenance.summary(task).values
    arguments = [call(rng, pool, n) for n in range(calls * 2)]
    for args in arguments[:200]:
        provenance.attribute(task, args)
    gc.disable()
    try:
        cold = [
            timed(lambda a=a: provenance.attribute(task, a), clear_cache) for a in arguments[:calls]
        ]
        warm = [timed(lambda a=a: provenance.attribute(task, a)) for a in arguments[calls:]]
        fresh = [call(rng, pool, n) for n in range(calls * 2, calls * 3)]
        targeted = [
            timed(lambda a=a: provenance.attribute(task, a, targets=TARGETS)) for a in fresh
        ]
    finally:
        gc.enable()
    database.dispose()
    return {
        "entries": held,
        "cold_p50": percentile([wall for wall, _ in cold], 0.5),
        "cold_p99": percentile([wall for wall, _ in cold], 0.99),
        "warm_p50": percentile([wall for wall, _ in warm], 0.5),
        "warm_p99": percentile([wall for wall, _ in warm], 0.99),
        "warm_cpu_p50": percentile([cpu for _, cpu in warm], 0.5),
        "targets_p50": percentile([wall for wall, _ in targeted], 0.5),
        "targets_p99": percentile([wall for wall, _ in targeted], 0.99),
    }


def measure_record(records: int, directory: Path) -> dict[str, float]:
    rng = random.Random(SEED)
    database = Database.open(directory / "bench-record.db")
    provenance = SessionProvenance(database, ProvenanceKey.generate())
    pool = Pool()
    outputs = [output(rng, n, pool) for n in range(records + 20)]
    sizes = [len(json.dumps(item)) if not isinstance(item, str) else len(item) for item in outputs]
    tasks = [f"record-{n % 10}" for n in range(len(outputs))]
    for n in range(20):
        provenance.record_output(tasks[n], outputs[n], source(n))
    kept: list[int] = []
    samples: list[float] = []
    gc.disable()
    try:
        for n in range(20, len(outputs)):
            start = time.perf_counter_ns()
            receipt = provenance.record_output(tasks[n], outputs[n], source(n))
            samples.append((time.perf_counter_ns() - start) / 1000)
            kept.append(receipt.observed)
    finally:
        gc.enable()
    database.dispose()
    return {
        "bytes_mean": sum(sizes) / len(sizes),
        "entries_per_output": sum(kept) / len(kept),
        "p50": percentile(samples, 0.5),
        "p99": percentile(samples, 0.99),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 entries, fewer calls")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    options = parser.parse_args(argv)
    sizes = SIZES[:1] if options.quick else SIZES
    calls = 1_000 if options.quick else 5_000
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as directory:
        rows = {size: measure(size, calls, Path(directory)) for size in sizes}
        record = measure_record(60 if options.quick else 300, Path(directory))
    if options.json:
        print(
            json.dumps(
                {
                    "date": datetime.now(UTC).isoformat(timespec="seconds"),
                    "python": platform.python_version(),
                    "machine": platform.machine(),
                    "cpus": os.cpu_count(),
                    "load": load,
                    "attribute": rows,
                    "record": record,
                },
                indent=2,
            )
        )
        return 0
    cpus, python = os.cpu_count(), platform.python_version()
    print(f"load average before the run: {load:.2f} ({cpus} CPUs), Python {python}")
    print("attribute, one call of 5 short arguments (2 match, 3 new), µs:")
    print("  entries |  cold p50 / p99 |  warm p50 / p99 | warm CPU p50 | 2 targets p50 / p99")
    for row in rows.values():
        print(
            f"{int(row['entries']):>9,} | {row['cold_p50']:>6.1f} / {row['cold_p99']:<6.1f} "
            f"| {row['warm_p50']:>6.1f} / {row['warm_p99']:<6.1f} | {row['warm_cpu_p50']:>12.1f} "
            f"| {row['targets_p50']:>8.1f} / {row['targets_p99']:.1f}"
        )
    print(
        f"record_output, one {record['bytes_mean'] / 1024:.1f} KB output "
        f"({record['entries_per_output']:.0f} entries), store write included: "
        f"p50 {record['p50']:.0f} µs, p99 {record['p99']:.0f} µs"
    )
    met = all(row["warm_p50"] < TARGET_P50_US for row in rows.values())
    print(f"target (attribute p50 < {TARGET_P50_US:.0f} µs, warm): {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
