"""A read on the hot path: compiled once, run on the SQLite driver directly.

Through SQLAlchemy Core a small indexed SELECT costs ~60 µs here, of which SQLite
spends ~6; the rest is per-execution work in Core (checking the statement against
its cache, building the result). A query made on every check of some kind (what
people said about a held call) is compiled once instead, and run on a pooled driver
connection; parameters and results go through the same SQLAlchemy type conversions
(JSON, timestamps) as Core applies, so rows read this way equal rows read through
Core. Other databases run the statement through Core.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from proctor.store._database import Database
from proctor.store._driver import driver_reading

_Processor = Callable[[Any], Any] | None


class PreparedSelect:
    """One SELECT, compiled for the store's dialect once; :meth:`rows` runs it."""

    def __init__(self, database: Database, statement: sa.Select[Any]) -> None:
        self._database = database
        self._statement = statement
        self._sql: str | None = None
        if not database.is_sqlite:
            return
        dialect = database.engine.dialect
        compiled = statement.compile(dialect=dialect)
        self._compiled = compiled
        self._sql = str(compiled)
        self._binds: list[tuple[str, _Processor]] = [
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in compiled.positiontup or ()
        ]
        self._columns: list[tuple[str, _Processor]] = [
            (str(column.key), column.type.dialect_impl(dialect).result_processor(dialect, None))
            for column in statement.selected_columns
        ]

    def rows(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """The rows for ``params`` (the statement's named bind parameters), as dicts."""
        if self._sql is None:
            with self._database.connect() as connection:
                result = connection.execute(self._statement, params).mappings()
                return [dict(row) for row in result]
        values = self._compiled.construct_params(params)
        bound = [
            values[name] if process is None else process(values[name])
            for name, process in self._binds
        ]
        with driver_reading(self._database) as driver:
            fetched = driver.execute(self._sql, bound).fetchall()
        columns = self._columns
        return [
            {
                name: value if process is None or value is None else process(value)
                for (name, process), value in zip(columns, row, strict=True)
            }
            for row in fetched
        ]
