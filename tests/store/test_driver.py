"""DriverStatement and driver_transaction: what the SQLite driver writes, Core reads
unchanged; a failed transaction leaves nothing behind."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from proctor.errors import StoreError
from proctor.store import (
    Database,
    DriverStatement,
    bump_version,
    driver_transaction,
    read_version,
    uses_driver,
)

_meta = sa.MetaData()
things = sa.Table(
    "things",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("flag", sa.Boolean, nullable=False),
    sa.Column("note", sa.Text, nullable=True),
)
COLUMNS = ("kind", "payload", "at", "flag", "note")
ROW = {
    "kind": "a",
    "payload": {"list": [1, "two", None, {"x": True}], "é": "ü"},
    "at": datetime(2026, 11, 27, 2, 3, 4, 567890, tzinfo=UTC),
    "flag": True,
    "note": None,
}


@pytest.fixture
def database(tmp_path: Path) -> Database:
    opened = Database.open(tmp_path / "s.db")
    _meta.create_all(opened.engine)
    return opened


def _core_rows(database: Database) -> list[dict[str, object]]:
    with database.connect() as connection:
        query = sa.select(things).order_by(things.c.id)
        return [dict(row) for row in connection.execute(query).mappings()]


def test_a_row_the_driver_inserts_is_the_row_core_inserts(database: Database) -> None:
    assert uses_driver(database)
    insert = DriverStatement(database.engine.dialect, sa.insert(things), column_keys=COLUMNS)
    with driver_transaction(database) as connection:
        row_id = insert.execute(connection, ROW).lastrowid
    with database.begin() as connection:
        connection.execute(sa.insert(things), ROW)
    driver, core = _core_rows(database)
    assert row_id == driver["id"] == 1
    assert {**driver, "id": 0} == {**core, "id": 0}


def test_rows_read_on_the_driver_equal_cores_and_values_given_by_the_statement_apply(
    database: Database,
) -> None:
    dialect = database.engine.dialect
    flagged = DriverStatement(
        dialect,
        sa.insert(things).values(kind=sa.bindparam("k"), flag=False),
        column_keys=("payload", "at", "note"),
    )
    select = DriverStatement(
        dialect,
        sa.select(things.c.payload, things.c.at, things.c.flag).where(
            things.c.kind == sa.bindparam("k")
        ),
    )
    with driver_transaction(database) as connection:
        given = {name: ROW[name] for name in ("payload", "at", "note")}
        flagged.execute(connection, {**given, "k": "b"})
        read = select.rows(connection, {"k": "b"})
    (core,) = _core_rows(database)
    assert core["flag"] is False
    assert core["kind"] == "b"
    payload, at, flag = read[0]
    assert (payload, at.replace(tzinfo=UTC), flag) == (ROW["payload"], ROW["at"], False)
    with driver_transaction(database) as connection:
        assert select.first(connection, {"k": "nothing"}) is None


def test_a_block_that_raises_writes_nothing_and_the_store_stays_usable(
    database: Database,
) -> None:
    insert = DriverStatement(database.engine.dialect, sa.insert(things), column_keys=COLUMNS)

    def interrupted() -> None:
        with driver_transaction(database) as connection:
            insert.execute(connection, ROW)
            raise RuntimeError("stop")

    def refused() -> None:
        with driver_transaction(database) as connection:
            insert.execute(connection, ROW)
            insert.execute(connection, {**ROW, "kind": None})  # NOT NULL: refused

    with pytest.raises(RuntimeError):
        interrupted()
    with pytest.raises(StoreError):
        refused()
    assert _core_rows(database) == []
    with driver_transaction(database) as connection:
        insert.execute(connection, ROW)
    assert len(_core_rows(database)) == 1


def test_bump_version_on_the_driver_counts_as_on_core(database: Database) -> None:
    with driver_transaction(database) as connection:
        assert isinstance(connection, sqlite3.Connection)
        bump_version(database, connection, "things")
        bump_version(database, connection, "things")
    with database.begin() as connection:
        bump_version(database, connection, "things")
    with database.connect() as connection:
        assert read_version(connection, "things") == 3
