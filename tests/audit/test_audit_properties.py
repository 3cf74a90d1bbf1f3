"""Properties of the chain and of canonical JSON, over generated inputs."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proctor.audit import AuditLog, CheckpointSigner, canonical_json
from proctor.store import Database
from tests.audit.support import copy_store, fill, row, sql, verify

_SAFE = 2**53 - 1

scalars = st.none() | st.booleans() | st.integers(-_SAFE, _SAFE) | st.text(max_size=20)
json_values = st.recursive(
    scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
bodies = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=10,
).map(lambda value: {"value": value})

TAMPERS = ["body", "kind", "ts", "hash", "delete", "swap", "insert-copy", "truncate"]

_settings = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@given(json_values)
@settings(max_examples=300, deadline=None)
def test_canonical_json_agrees_with_the_reference(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value).decode()


@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers(-_SAFE, _SAFE))
def test_canonical_numbers_agree_with_the_reference(number: float) -> None:
    assert canonical_json({"n": number}) == rfc8785.dumps({"n": number}).decode()


def test_canonical_keys_sort_by_utf16_code_units() -> None:
    """U+1F600 is a surrogate pair (D83D…), which sorts before U+FF21 in UTF-16."""
    value = {"\uff21": 1, "\U0001f600": 2}
    assert canonical_json(value) == rfc8785.dumps(value).decode()
    assert canonical_json(value).index("\U0001f600") < canonical_json(value).index("\uff21")


def _store(directory: str, template: Path) -> Path:
    return copy_store(template, Path(directory) / "audit.db")


@given(st.lists(bodies, min_size=1, max_size=15))
@_settings
def test_any_appended_bodies_verify(
    template_store: Path, signer: CheckpointSigner, appended: list[dict[str, Any]]
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = _store(directory, template_store)
        database = Database.open(path, migrate=False)
        with AuditLog(database, signer, checkpoint_every=4) as log:
            entries = [log.append("decision", body) for body in appended]
            assert [entry.body for entry in log.iter_entries()] == [
                rfc8785_round_trip(body) for body in appended
            ]
        database.dispose()
        report = verify(path, signer)
        assert report.ok, report.problem
        assert report.entries == len(entries)


def rfc8785_round_trip(body: dict[str, Any]) -> Any:
    return json.loads(rfc8785.dumps(body))


@given(
    count=st.integers(min_value=2, max_value=12),
    tamper=st.sampled_from(TAMPERS),
    data=st.data(),
)
@_settings
def test_any_single_tamper_is_caught_at_or_before_its_position(
    template_store: Path, signer: CheckpointSigner, count: int, tamper: str, data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = _store(directory, template_store)
        fill(path, signer, count, checkpoint_every=5)
        last = count - 1 if tamper == "swap" else count
        position = data.draw(st.integers(min_value=1, max_value=last), label="position")
        _tamper(path, tamper, position, count)

        report = verify(path, signer)
        assert not report.ok
        assert report.first_bad_seq is not None
        assert report.first_bad_seq <= position, report.problem


def _tamper(path: Path, tamper: str, position: int, count: int) -> None:
    if tamper in {"body", "kind", "ts", "hash"}:
        value = {
            "body": '{"n":-1}',
            "kind": "edited",
            "ts": "1999-12-31 23:59:59.999999",
            "hash": "e" * 64,
        }[tamper]
        sql(path, f"UPDATE audit_entries SET {tamper} = ? WHERE seq = ?", (value, position))  # noqa: S608
    elif tamper == "delete":
        sql(path, "DELETE FROM audit_entries WHERE seq = ?", (position,))
    elif tamper == "truncate":
        sql(path, "DELETE FROM audit_entries WHERE seq >= ?", (position,))
    elif tamper == "swap":
        sql(path, "UPDATE audit_entries SET seq = -1 WHERE seq = ?", (position,))
        sql(path, "UPDATE audit_entries SET seq = ? WHERE seq = ?", (position, position + 1))
        sql(path, "UPDATE audit_entries SET seq = ? WHERE seq = -1", (position + 1,))
    else:
        source = row(path, 1 + (position % count))
        sql(path, "UPDATE audit_entries SET seq = -seq WHERE seq >= ?", (position,))
        sql(path, "UPDATE audit_entries SET seq = 1 - seq WHERE seq < 0")
        sql(path, "INSERT INTO audit_entries VALUES (?, ?, ?, ?, ?, ?)", (position, *source[1:]))
