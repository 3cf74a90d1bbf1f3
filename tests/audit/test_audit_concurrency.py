"""Many threads, and a process killed mid-stream: nothing acknowledged is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from proctor.audit import AuditEntry, AuditLog, CheckpointSigner
from tests.audit.support import DECISION, verify

THREADS = 8
PER_THREAD = 150


def test_concurrent_appends_form_one_gapless_chain_in_fewer_transactions(
    make_log: Callable[..., AuditLog], store: Path, signer: CheckpointSigner
) -> None:
    log = make_log(checkpoint_every=50)
    start = threading.Barrier(THREADS)
    results: list[list[AuditEntry]] = [[] for _ in range(THREADS)]
    failures: list[BaseException] = []

    def work(index: int) -> None:
        try:
            start.wait()
            for n in range(PER_THREAD):
                results[index].append(log.append("decision", {**DECISION, "t": index, "n": n}))
        except BaseException as exc:  # surfaced by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    total = THREADS * PER_THREAD
    seqs = sorted(entry.seq for entries in results for entry in entries)
    assert seqs == list(range(1, total + 1))
    for entries in results:
        # Each thread's own entries are in the order it appended them.
        assert [entry.body["n"] for entry in entries] == list(range(PER_THREAD))
    assert log.stats.entries == total
    assert log.stats.commits < total, "group commit should batch concurrent appends"
    log.close()
    report = verify(store, signer)
    assert report.ok, report.problem
    assert report.entries == total


_WRITER = """
import sys
from pathlib import Path
from proctor.audit import AuditLog, CheckpointSigner
from proctor.store import Database

store, key = Path(sys.argv[1]), Path(sys.argv[2])
log = AuditLog(Database.open(store, migrate=False), CheckpointSigner.load_or_create(key),
               checkpoint_every=25)
n = 0
while True:
    n += 1
    entry = log.append("decision", {"n": n, "padding": "x" * 400})
    sys.stdout.write(f"{entry.seq}\\n")
    sys.stdout.flush()
"""


def test_every_acknowledged_entry_survives_sigkill(store: Path, tmp_path: Path) -> None:
    key = tmp_path / "audit.key"
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(store), str(key)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert writer.stdout is not None
    acknowledged: list[int] = []
    try:
        for line in writer.stdout:
            acknowledged.append(int(line))
            if len(acknowledged) == 300:
                break
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
        writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL

    signer = CheckpointSigner.load_or_create(key)
    report = verify(store, signer)
    assert report.ok, report.problem
    assert report.entries >= acknowledged[-1]
    assert acknowledged == list(range(1, len(acknowledged) + 1))
