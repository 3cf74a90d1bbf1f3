"""The migrations build exactly the tables the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import proctor.integrations.mcp
import proctor.provenance
import proctor.runtime
from proctor.store import Database, metadata

#: Every package that declares tables (imported for their side effect on ``metadata``).
DECLARING = (proctor.runtime, proctor.provenance, proctor.integrations.mcp)


def differences(database: Database) -> list[object]:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        return list(compare_metadata(context, metadata))


def test_migrated_sqlite_matches_the_declared_tables(tmp_path: Path) -> None:
    database = Database.open(tmp_path / "store.db")
    try:
        assert differences(database) == []
    finally:
        database.dispose()


@pytest.mark.postgres
def test_migrated_postgresql_matches_the_declared_tables(postgres_url: str) -> None:
    database = Database.open(postgres_url)
    try:
        assert differences(database) == []
    finally:
        database.dispose()


def test_every_declared_table_is_created(tmp_path: Path) -> None:
    database = Database.open(tmp_path / "store.db")
    try:
        created = set(sa.inspect(database.engine).get_table_names())
    finally:
        database.dispose()
    assert set(metadata.tables) <= created
