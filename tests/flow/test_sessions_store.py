"""Task sessions in a real SQLite store: a change builds on the row as stored, whoever
wrote it last; the in-memory copy is reused only when the row is the one it was made
from (its stored fingerprint matches)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from proctor.errors import StoreError
from proctor.flow import _sessions
from proctor.flow._session import Source
from proctor.flow._sessions import Sessions
from proctor.model import Label
from proctor.store import Database, driver_transaction

TASK = "task_sessions_store"


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    opened = Database.open(tmp_path / "store.db")
    opened.migrate()
    yield opened
    opened.dispose()


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The task ids whose stored row was decoded (rather than taken from memory)."""
    seen: list[str] = []
    decode = _sessions._state

    def counting(row: object) -> object:
        seen.append(row["task_id"])  # type: ignore[index]
        return decode(row)

    monkeypatch.setattr(_sessions, "_state", counting)
    return seen


def _source(number: int, label: Label = Label.INTERNAL, *, untrusted: bool = False) -> Source:
    return Source(f"dec_{number}", f"tool.{number}", None, label, untrusted)


def _take(sessions: Sessions, number: int, label: Label = Label.INTERNAL) -> list[str]:
    after = sessions.take_in(TASK, _source(number, label), owner=None, over_clearance=False)
    return [source.decision_id for source in after.sources]


def test_a_change_on_the_row_this_process_wrote_does_not_decode_it(
    database: Database, decodes: list[str]
) -> None:
    sessions = Sessions(database)
    assert _take(sessions, 1) == ["dec_1"]
    assert _take(sessions, 2) == ["dec_1", "dec_2"]
    assert _take(sessions, 3) == ["dec_1", "dec_2", "dec_3"]
    assert decodes == []


def test_a_change_builds_on_another_processes_write(database: Database, decodes: list[str]) -> None:
    first, second = Sessions(database), Sessions(database)
    _take(first, 1)
    assert _take(second, 2) == ["dec_1", "dec_2"]  # second had never seen the row
    # first's copy is now out of date: its fingerprint no longer matches the row.
    assert _take(first, 3, Label.CONFIDENTIAL) == ["dec_1", "dec_2", "dec_3"]
    assert decodes == [TASK, TASK]
    assert _take(second, 4) == ["dec_1", "dec_2", "dec_3", "dec_4"]
    assert second.get(TASK).label is Label.CONFIDENTIAL


def test_a_change_rolled_back_is_not_built_on(database: Database, decodes: list[str]) -> None:
    sessions = Sessions(database)
    _take(sessions, 1)

    def outcome_that_fails() -> None:
        with driver_transaction(database) as connection:
            sessions.take_in(
                TASK,
                _source(2, Label.RESTRICTED),
                owner=None,
                over_clearance=False,
                connection=connection,
            )
            raise StoreError("the rest of the outcome failed")

    with pytest.raises(StoreError):
        outcome_that_fails()
    # In memory the session is the more cautious one until its next change ...
    assert sessions.get(TASK).label is Label.RESTRICTED
    # ... which builds on the row as stored, without the change that was rolled back.
    assert _take(sessions, 3) == ["dec_1", "dec_3"]
    assert decodes == [TASK]
    assert Sessions(database).get(TASK).label is Label.INTERNAL


def test_a_session_read_back_equals_the_one_written(database: Database) -> None:
    sessions = Sessions(database)
    for number in range(25):
        sessions.take_in(
            TASK,
            _source(number, Label.CONFIDENTIAL if number == 7 else Label.PUBLIC, untrusted=True),
            owner="dana" if number == 7 else None,
            over_clearance=number == 7,
        )
    sessions.take_in(
        TASK,
        Source("dec_é", "outil.données", 'dossier/ü "x"', Label.INTERNAL, False, True),
        owner=None,
        over_clearance=False,
    )
    fresh = Sessions(database).get(TASK)  # read through Core
    assert fresh == sessions.get(TASK)
    assert len(fresh.sources) == 20
    assert fresh.injected
    assert fresh.sources[-1].resource == 'dossier/ü "x"'
    # The stored text is the one Core's JSON type writes for the same list.
    with database.connect() as connection:
        (text,) = connection.exec_driver_sql(
            "SELECT sources FROM task_sessions WHERE task_id = ?", (TASK,)
        ).one()
    assert text == json.dumps([_sessions._source_json(source) for source in fresh.sources])
