"""Helpers for the audit tests: open logs on real SQLite files and tamper with them."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import rfc8785

from proctor.audit import AuditLog, CheckpointSigner, VerifyReport
from proctor.store import Database

#: A decision body of the size and shape the gateway records (~500 bytes).
DECISION = {
    "decision_id": "d-0123456789abcdef",
    "agent": "agent:report-writer",
    "task": "task-42",
    "tool": "crm.read_contacts",
    "action": "read",
    "resource": {"id": "crm://contacts/123", "label": "confidential", "owner": "alice@example.com"},
    "outcome": "allow",
    "reasons": [
        {"code": "task_grants_action", "message": "task grants read"},
        {"code": "label_ok", "message": "session label within clearance"},
    ],
    "facts": {"rate": 3, "anomaly": 0.12, "taint": "internal", "approved": False},
}


def copy_store(template: Path, target: Path) -> Path:
    """A fresh store at ``target``: a copy of an already migrated empty one."""
    shutil.copyfile(template, target)
    return target


def fill(path: Path, signer: CheckpointSigner, count: int, **options: Any) -> None:
    """Append ``count`` decisions (numbered bodies) and close, which signs the head."""
    database = Database.open(path, migrate=False)
    with AuditLog(database, signer, **options) as log:
        for number in range(1, count + 1):
            log.append("decision", {**DECISION, "n": number})
    database.dispose()


def verify(path: Path, signer: CheckpointSigner, **options: Any) -> VerifyReport:
    """What a freshly opened :class:`AuditLog` on ``path`` reports."""
    database = Database.open(path, migrate=False)
    log = AuditLog(database, signer, **options)
    try:
        return log.verify()
    finally:
        log.close()
        database.dispose()


def sql(path: Path, statement: str, params: Sequence[Any] = ()) -> list[Any]:
    """Run one statement on the file with the plain ``sqlite3`` module, as an attacker would."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        return connection.execute(statement, params).fetchall()
    finally:
        connection.close()


def row(path: Path, seq: int) -> tuple[Any, ...]:
    """The stored (seq, ts, kind, body, prev_hash, hash) of entry ``seq``."""
    found = sql(
        path, "SELECT seq, ts, kind, body, prev_hash, hash FROM audit_entries WHERE seq = ?", (seq,)
    )
    assert found, f"no entry {seq}"
    return tuple(found[0])


def rehash(prev_hash: str, seq: int, ts: str, kind: str, body: str) -> str:
    """The documented entry hash, computed independently of the package."""
    stored_ts = ts.replace(" ", "T") + "Z"
    payload = {"seq": seq, "ts": stored_ts, "kind": kind, "body": json.loads(body)}
    return hashlib.sha256(prev_hash.encode() + rfc8785.dumps(payload)).hexdigest()
