"""One queue per SQLite file for this process's writers.

SQLite lets one connection write at a time. A second writer that finds the lock
taken is put to sleep by SQLite's busy handler, for 1 ms, then 2, 5, 10 ms and more,
however soon the lock is released: a check whose audit append meets a background
write (a breaker trip, the baselines being saved) waits a millisecond or several
for a write that took a tenth of that. Writers in one process therefore queue on a
lock of their own first, which wakes the next writer the moment the last one
commits; SQLite's busy handler is left to arbitrate between processes only.

The lock is re-entrant, so a thread already writing is never stopped by its own
gate (SQLite itself refuses a second concurrent write transaction, as before).
PostgreSQL locks rows, not the database, and takes no gate.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from sqlalchemy.engine import Engine

from proctor.errors import StoreError

#: As long as SQLite's own busy timeout (``PRAGMA busy_timeout``) lets a writer wait.
GATE_TIMEOUT_S = 30.0

_gates: dict[str, WriteGate] = {}
_gates_lock = threading.Lock()


class WriteGate:
    """The queue of this process's writers to one SQLite database."""

    def __init__(self, timeout_s: float = GATE_TIMEOUT_S) -> None:
        self._lock = threading.RLock()
        self._timeout_s = timeout_s

    @contextmanager
    def held(self) -> Iterator[None]:
        """Wait for this process's other writers (at most the timeout), then write."""
        if not self._lock.acquire(timeout=self._timeout_s):
            raise StoreError(
                f"another writer in this process held the store for over "
                f"{self._timeout_s:.0f} s; nothing was written"
            )
        try:
            yield
        finally:
            self._lock.release()


def gate_for(engine: Engine) -> WriteGate | None:
    """The gate every writer to ``engine``'s SQLite file shares in this process (engines
    on one file share one gate); None for other databases."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if database and database != ":memory:":
        key = str(Path(database).resolve())
    else:
        key = f"engine:{id(engine)}"  # an in-memory database is its engine's own
    with _gates_lock:
        gate = _gates.get(key)
        if gate is None:
            gate = _gates[key] = WriteGate()
        return gate


def writing(gate: WriteGate | None) -> AbstractContextManager[None]:
    """``gate.held()``, or nothing to wait for when there is no gate."""
    return nullcontext() if gate is None else gate.held()
