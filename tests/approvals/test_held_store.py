"""A held call's request is stored with the held decision, in one transaction.

Adversarial: the request must be findable by an approver (another connection, another
process) as soon as the agent hears "pending"; a store that refuses the request must
not turn the call into anything but a deny, nor leave a decision naming a request that
does not exist.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from proctor.gateway import Gateway
from proctor.model import Outcome, ToolCall
from tests.approvals.conftest import POST, HoldCall
from tests.conftest import REPO_ROOT


def _post(n: int) -> ToolCall:
    return ToolCall("forum.post", {"thread": "4411", "body": f"post number {n}"})


def _store(gateway: Gateway) -> Path:
    return gateway.runtime.home.path / "store.db"


def _request_status(connection: sqlite3.Connection, approval_id: str) -> str | None:
    row = connection.execute(
        "SELECT status FROM approval_requests WHERE id = ?", (approval_id,)
    ).fetchone()
    return None if row is None else str(row[0])


def test_the_request_is_recorded_right_before_its_decision(
    gateway: Gateway, hold: HoldCall
) -> None:
    decision, request = hold()
    created, recorded = gateway.runtime.audit.tail(2)
    assert (created.kind, created.body["action"]) == ("approval", "approval.created")
    assert created.body["approval_id"] == request.id == decision.approval_id
    assert (recorded.kind, recorded.body["decision_id"]) == ("decision", decision.id)
    assert recorded.body["approval_id"] == request.id
    assert recorded.seq == created.seq + 1 == decision.audit_seq
    assert gateway.runtime.audit.verify().ok


def test_another_process_finds_the_request_as_soon_as_the_agent_hears_pending(
    gateway: Gateway, token: str
) -> None:
    decision = gateway.check(token, POST)
    assert decision.outcome is Outcome.REQUIRE_APPROVAL
    assert decision.approval_id
    # The gateway stays open: the CLI reads the store while this process holds it.
    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "proctor",
            "approvals",
            "show",
            decision.approval_id,
            "--data-dir",
            str(gateway.runtime.home.path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
    )
    assert shown.returncode == 0, shown.stderr
    assert decision.id in shown.stdout


def test_a_store_that_refuses_the_request_denies_and_records_no_half(
    gateway: Gateway, token: str
) -> None:
    outside = sqlite3.connect(_store(gateway))
    outside.execute(
        "CREATE TRIGGER refuse_requests BEFORE INSERT ON approval_requests "
        "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
    )
    outside.commit()
    head = gateway.runtime.audit.head()

    decision = gateway.check(token, POST)

    assert decision.outcome is Outcome.DENY
    assert decision.code == "approval_unavailable"
    assert decision.approval_id is None, "the agent is not told of a request that does not exist"
    (recorded,) = gateway.runtime.audit.iter_entries(after_seq=head[0])
    assert recorded.kind == "decision", "no approval.created entry: only the deny"
    assert recorded.body["outcome"] == "deny"
    assert recorded.body["code"] == "approval_unavailable"
    assert recorded.body["approval_id"] is None
    assert outside.execute("SELECT count(*) FROM approval_requests").fetchone() == (0,)
    assert gateway.runtime.approvals.for_decision(decision.id) is None

    outside.execute("DROP TRIGGER refuse_requests")
    outside.commit()
    again = gateway.check(token, POST)
    assert again.outcome is Outcome.REQUIRE_APPROVAL
    assert again.approval_id
    assert _request_status(outside, again.approval_id) == "pending"
    assert gateway.runtime.audit.verify().ok


def test_concurrent_held_calls_each_find_their_request_stored(gateway: Gateway, token: str) -> None:
    """Held calls from several threads (group commit puts them in shared transactions):
    each request is visible to another connection the moment its call returns, and
    the log holds exactly one request, one ``approval.created`` and one decision each."""
    failures: list[str] = []
    told: list[tuple[str, str]] = []
    lock = threading.Lock()

    def agent(worker: int) -> None:
        reader = sqlite3.connect(_store(gateway))
        for n in range(8):
            decision = gateway.check(token, _post(worker * 100 + n))
            if decision.outcome is not Outcome.REQUIRE_APPROVAL or not decision.approval_id:
                failures.append(f"{decision.outcome}: {decision.explain()}")
                continue
            if _request_status(reader, decision.approval_id) != "pending":
                failures.append(f"{decision.approval_id} not found right after the check")
            with lock:
                told.append((decision.id, decision.approval_id))

    threads = [threading.Thread(target=agent, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not failures, failures
    assert len(told) == 48
    audit = gateway.runtime.audit
    created = {
        e.body["approval_id"]: e.body["decision_id"]
        for e in audit.iter_entries(kinds={"approval"})
        if e.body["action"] == "approval.created"
    }
    decided = {
        e.body["decision_id"]: e.body["approval_id"] for e in audit.iter_entries(kinds={"decision"})
    }
    assert created == {approval_id: decision_id for decision_id, approval_id in told}
    assert {d: decided[d] for d, _ in told} == dict(told)
    stored = {r.id: r.decision_id for r in gateway.runtime.approvals.list(limit=1000)}
    assert stored == created
    assert audit.verify().ok
