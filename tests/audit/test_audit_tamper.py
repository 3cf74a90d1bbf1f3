"""Tampering done with plain ``sqlite3`` on the real file is caught by a fresh log's verify.

Each test writes 20 entries (checkpoints at 5, 10, 15 and, on close, 20), tampers,
and asserts the exact first bad sequence number.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from proctor.audit import AuditLog, CheckpointSigner
from proctor.errors import StoreError
from proctor.store import Database
from tests.audit.support import fill, rehash, row, sql, verify

ENTRIES = 20


@pytest.fixture
def filled(store: Path, signer: CheckpointSigner) -> Path:
    fill(store, signer, ENTRIES, checkpoint_every=5, checkpoint_interval_s=3600)
    return store


def test_untouched_log_verifies(filled: Path, signer: CheckpointSigner) -> None:
    report = verify(filled, signer)
    assert report.ok
    assert (report.entries, report.checkpoints) == (ENTRIES, 4)


@pytest.mark.parametrize(
    ("column", "value"),
    [("body", '{"n":999}'), ("kind", "approval"), ("ts", "2020-01-01 00:00:00.000000")],
)
def test_an_edited_entry_is_named(
    filled: Path, signer: CheckpointSigner, column: str, value: str
) -> None:
    sql(filled, f"UPDATE audit_entries SET {column} = ? WHERE seq = 7", (value,))  # noqa: S608

    report = verify(filled, signer)
    assert not report.ok
    assert report.first_bad_seq == 7
    assert report.problem == "entry 7: hash does not match its content (edited?)"


def test_a_deleted_entry_is_named(filled: Path, signer: CheckpointSigner) -> None:
    sql(filled, "DELETE FROM audit_entries WHERE seq = 12")

    report = verify(filled, signer)
    assert (report.ok, report.first_bad_seq) == (False, 12)
    assert report.problem is not None
    assert "entry 12 missing" in report.problem


def test_an_inserted_entry_is_named(filled: Path, signer: CheckpointSigner) -> None:
    """A forged entry slipped in at 9 with a correct hash of its own: the entries
    after it are renumbered, and the first of them (10) no longer fits."""
    _, ts, kind, _, _, hash_8 = row(filled, 8)
    sql(filled, "UPDATE audit_entries SET seq = -seq WHERE seq >= 9")
    sql(filled, "UPDATE audit_entries SET seq = 1 - seq WHERE seq < 0")
    body = '{"forged":true}'
    sql(
        filled,
        "INSERT INTO audit_entries VALUES (9, ?, ?, ?, ?, ?)",
        (ts, kind, body, hash_8, rehash(hash_8, 9, ts, kind, body)),
    )

    report = verify(filled, signer)
    assert (report.ok, report.first_bad_seq) == (False, 10)
    assert report.problem is not None
    assert "entry 10 does not follow entry 9" in report.problem


def test_an_inserted_copy_is_named_where_it_sits(filled: Path, signer: CheckpointSigner) -> None:
    sql(filled, "UPDATE audit_entries SET seq = -seq WHERE seq >= 9")
    sql(filled, "UPDATE audit_entries SET seq = 1 - seq WHERE seq < 0")
    sql(
        filled,
        "INSERT INTO audit_entries SELECT 9, ts, kind, body, prev_hash, hash "
        "FROM audit_entries WHERE seq = 3",
    )

    assert verify(filled, signer).first_bad_seq == 9


def test_reordered_entries_are_named(filled: Path, signer: CheckpointSigner) -> None:
    sql(filled, "UPDATE audit_entries SET seq = -1 WHERE seq = 14")
    sql(filled, "UPDATE audit_entries SET seq = 14 WHERE seq = 15")
    sql(filled, "UPDATE audit_entries SET seq = 15 WHERE seq = -1")

    report = verify(filled, signer)
    assert (report.ok, report.first_bad_seq) == (False, 14)
    assert report.problem is not None
    assert "entry 14 does not follow entry 13" in report.problem


def test_truncation_before_a_checkpoint_is_named(filled: Path, signer: CheckpointSigner) -> None:
    sql(filled, "DELETE FROM audit_entries WHERE seq > 16")

    report = verify(filled, signer)
    assert (report.ok, report.first_bad_seq) == (False, 17)
    assert report.problem is not None
    assert "ends at entry 16" in report.problem
    assert "covers entry 20" in report.problem


def test_a_truncated_log_refuses_appends(filled: Path, signer: CheckpointSigner) -> None:
    """Appending would reuse seq numbers that a signed checkpoint vouches for."""
    sql(filled, "DELETE FROM audit_entries WHERE seq > 16")
    database = Database.open(filled, migrate=False)
    log = AuditLog(database, signer)
    with pytest.raises(StoreError, match="truncated"):
        log.append("decision", {})
    log.close()
    database.dispose()


def test_a_forged_checkpoint_signature_is_named(filled: Path, signer: CheckpointSigner) -> None:
    (signature,) = sql(filled, "SELECT signature FROM audit_checkpoints WHERE seq = 10")[0]
    forged = ("0" if signature[0] != "0" else "1") + signature[1:]
    sql(filled, "UPDATE audit_checkpoints SET signature = ? WHERE seq = 10", (forged,))

    report = verify(filled, signer)
    assert (report.ok, report.first_bad_seq) == (False, 10)
    assert report.problem is not None
    assert "signature does not verify" in report.problem


def test_a_checkpoint_by_an_unknown_key_is_refused(filled: Path) -> None:
    report = verify(filled, CheckpointSigner.generate())
    assert (report.ok, report.first_bad_seq) == (False, 5)
    assert report.problem is not None
    assert "not known" in report.problem


def test_a_rewritten_and_rehashed_chain_is_caught_by_the_next_checkpoint(
    filled: Path, signer: CheckpointSigner
) -> None:
    """An attacker who edits entry 12 and recomputes every later hash keeps the
    chain consistent; the checkpoint at 15 still holds the old hash."""
    sql(filled, "UPDATE audit_entries SET body = '{\"n\":0}' WHERE seq = 12")
    prev_hash = row(filled, 11)[5]
    for seq in range(12, ENTRIES + 1):
        _, ts, kind, body, _, _ = row(filled, seq)
        new_hash = rehash(prev_hash, seq, ts, kind, body)
        sql(
            filled,
            "UPDATE audit_entries SET prev_hash = ?, hash = ? WHERE seq = ?",
            (prev_hash, new_hash, seq),
        )
        prev_hash = new_hash

    report = verify(filled, signer)
    assert (report.ok, report.first_bad_seq) == (False, 11)
    assert report.problem is not None
    assert "checkpoint at entry 15" in report.problem


def test_anchor_catches_truncation_of_entries_and_checkpoints(
    store: Path, signer: CheckpointSigner, tmp_path: Path
) -> None:
    anchor = tmp_path / "anchor.jsonl"
    fill(store, signer, ENTRIES, checkpoint_every=5, anchor_path=anchor)
    sql(store, "DELETE FROM audit_entries WHERE seq > 8")
    sql(store, "DELETE FROM audit_checkpoints WHERE seq > 8")

    assert verify(store, signer).ok, "without the anchor the cut is invisible"
    report = verify(store, signer, anchor_path=anchor)
    assert (report.ok, report.first_bad_seq) == (False, 9)
    assert report.problem is not None
    assert "anchor file" in report.problem


def test_a_tampered_anchor_line_is_reported(
    store: Path, signer: CheckpointSigner, tmp_path: Path
) -> None:
    anchor = tmp_path / "anchor.jsonl"
    fill(store, signer, ENTRIES, checkpoint_every=5, anchor_path=anchor)
    lines = anchor.read_text().splitlines()
    record = json.loads(lines[1])
    record["hash"] = "f" * 64
    anchor.write_text("\n".join([lines[0], json.dumps(record), *lines[2:]]) + "\n")

    report = verify(store, signer, anchor_path=anchor)
    assert (report.ok, report.first_bad_seq) == (False, 10)
    assert report.problem is not None
    assert "anchor file" in report.problem


def test_a_torn_last_anchor_line_is_ignored(
    store: Path, signer: CheckpointSigner, tmp_path: Path
) -> None:
    """A crash mid-write leaves a line without its newline: not evidence of tampering."""
    anchor = tmp_path / "anchor.jsonl"
    fill(store, signer, ENTRIES, checkpoint_every=5, anchor_path=anchor)
    with anchor.open("a") as handle:
        handle.write('{"hash":"ab')

    assert verify(store, signer, anchor_path=anchor).ok


def test_garbage_in_the_anchor_file_is_reported(
    store: Path, signer: CheckpointSigner, tmp_path: Path
) -> None:
    anchor = tmp_path / "anchor.jsonl"
    fill(store, signer, ENTRIES, checkpoint_every=5, anchor_path=anchor)
    with anchor.open("a") as handle:
        handle.write("not json\n")

    report = verify(store, signer, anchor_path=anchor)
    assert not report.ok
    assert report.problem is not None
    assert "anchor file line 5" in report.problem
