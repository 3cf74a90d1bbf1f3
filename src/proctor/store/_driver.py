"""Writes on the hot path: compiled once, run on the SQLite driver in one transaction.

Through SQLAlchemy Core every statement costs ~50 µs of per-execution work (cache key,
parameter processing, result set) on top of what SQLite spends, and a transaction
more for its begin and commit. A write made on every outcome (value provenance, the
task's session) instead compiles its statements once for SQLite
(:class:`DriverStatement`) and runs them on a pooled driver connection inside
``BEGIN IMMEDIATE … COMMIT`` (:func:`driver_transaction`). Parameters and results go
through the same SQLAlchemy type conversions as Core applies (JSON, timestamps,
booleans), so rows written this way equal rows written through Core, and Core reads
them back unchanged. Other databases keep Core.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from proctor.errors import StoreError
from proctor.store._database import Database

_Processor = Callable[[Any], Any] | None


class DriverStatement:
    """One statement compiled for SQLite once; run on a connection of
    :func:`driver_transaction`.

    Parameters are named as the statement's bind parameters (for an INSERT of
    ``column_keys``: the column names); a bind the statement gives a value itself
    (``.values(flag=False)``) takes that value unless ``params`` names it. Rows come
    back as tuples in the order of the statement's columns (its RETURNING columns),
    converted as Core converts them.
    """

    def __init__(
        self,
        dialect: Dialect,
        statement: sa.Executable,
        *,
        column_keys: Sequence[str] | None = None,
    ) -> None:
        compiled = cast(Any, statement).compile(
            dialect=dialect, column_keys=list(column_keys) if column_keys else None
        )
        self.sql = str(compiled)
        defaults: dict[str, Any] = compiled.construct_params(_check=False)
        self._binds: list[tuple[str, Any, _Processor]] = [
            (
                name,
                defaults.get(name),
                compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect),
            )
            for name in compiled.positiontup or ()
        ]
        columns = getattr(statement, "exported_columns", ())
        self._columns: list[_Processor] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]

    @property
    def names(self) -> tuple[str, ...]:
        """The bind parameters' names, in the order of :meth:`params`."""
        return tuple(name for name, _default, _process in self._binds)

    def params(self, values: Mapping[str, Any]) -> list[Any]:
        """The driver's positional parameters for ``values``."""
        bound = []
        for name, default, process in self._binds:
            value = values.get(name, default)
            bound.append(value if process is None or value is None else process(value))
        return bound

    def execute(self, connection: sqlite3.Connection, values: Mapping[str, Any]) -> sqlite3.Cursor:
        """Run it once; the driver's cursor (its ``rowcount``, ``lastrowid``)."""
        return connection.execute(self.sql, self.params(values))

    def executemany(
        self, connection: sqlite3.Connection, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """Run it once per row of ``rows`` (no RETURNING)."""
        connection.executemany(self.sql, [self.params(row) for row in rows])

    def rows(
        self, connection: sqlite3.Connection, values: Mapping[str, Any]
    ) -> list[tuple[Any, ...]]:
        """Its rows, each value converted as Core would."""
        fetched = connection.execute(self.sql, self.params(values)).fetchall()
        return [self.convert(row) for row in fetched]

    def convert(self, row: Sequence[Any]) -> tuple[Any, ...]:
        """A row as the driver returned it, each value converted as Core would."""
        columns = self._columns
        if not any(columns):
            return tuple(row)
        return tuple(
            value if process is None or value is None else process(value)
            for process, value in zip(columns, row, strict=True)
        )

    def first(
        self, connection: sqlite3.Connection, values: Mapping[str, Any]
    ) -> tuple[Any, ...] | None:
        """Its first row, or None."""
        found = self.rows(connection, values)
        return found[0] if found else None


@contextmanager
def driver_reading(database: Database) -> Iterator[sqlite3.Connection]:
    """One of the SQLite store's driver connections for reads, outside any transaction
    (returned to the pool when the block ends). Store failures surface as
    :class:`StoreError`."""
    try:
        pooled = database.engine.raw_connection()
    except Exception as exc:
        raise StoreError(f"could not open the store: {exc}") from exc
    try:
        yield cast(sqlite3.Connection, pooled.driver_connection)
    except sqlite3.Error as exc:
        raise StoreError(f"store error: {exc.__class__.__name__}: {exc}") from exc
    finally:
        pooled.close()


@contextmanager
def driver_transaction(database: Database) -> Iterator[sqlite3.Connection]:
    """A write transaction on one of the SQLite store's driver connections: the write
    lock taken up front (``BEGIN IMMEDIATE``), committed when the block ends, rolled
    back when it raises. Store failures surface as :class:`StoreError`."""
    try:
        pooled = database.engine.raw_connection()
    except Exception as exc:
        raise StoreError(f"could not open the store: {exc}") from exc
    try:
        connection = cast(sqlite3.Connection, pooled.driver_connection)
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"could not start a write: {exc}") from exc
        try:
            yield connection
            connection.execute("COMMIT")
        except BaseException as exc:
            _rollback(connection, pooled)
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"store error: {exc.__class__.__name__}: {exc}") from exc
            raise
    finally:
        pooled.close()


def _rollback(connection: sqlite3.Connection, pooled: Any) -> None:
    try:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
    except sqlite3.Error:
        # In an unknown state: drop it rather than hand it back to the pool.
        pooled.invalidate()


#: A write transaction: Core's, or (SQLite) a driver connection's.
Transaction = sa.Connection | sqlite3.Connection

_BUMP_VERSION = "UPDATE store_versions SET version = version + 1 WHERE name = ?"
_CREATE_VERSION = "INSERT INTO store_versions (name, version) VALUES (?, 1)"


def bump_version(database: Database, connection: Transaction, name: str) -> None:
    """:meth:`Database.bump_version` in either kind of transaction."""
    if not isinstance(connection, sqlite3.Connection):
        database.bump_version(connection, name)
        return
    if connection.execute(_BUMP_VERSION, (name,)).rowcount == 0:
        connection.execute(_CREATE_VERSION, (name,))


def uses_driver(database: Database) -> bool:
    """Whether ``database``'s hot-path writes run on the SQLite driver (SQLite with
    RETURNING, 3.35 or later)."""
    return database.is_sqlite and sqlite3.sqlite_version_info >= (3, 35)
