"""Fixtures for the audit tests: real SQLite files, never mocked storage."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from proctor.audit import AuditLog, CheckpointSigner
from proctor.store import Database
from tests.audit.support import copy_store


@pytest.fixture(scope="session")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty store migrated once; tests copy it instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "audit.db"
    Database.open(path).dispose()
    return path


@pytest.fixture(scope="session")
def signer() -> CheckpointSigner:
    return CheckpointSigner.generate()


@pytest.fixture
def store(tmp_path: Path, template_store: Path) -> Path:
    """The path of a fresh, migrated SQLite store."""
    return copy_store(template_store, tmp_path / "audit.db")


@pytest.fixture
def make_log(store: Path, signer: CheckpointSigner) -> Iterator[Callable[..., AuditLog]]:
    """Open logs on ``store``; whatever is still open at the end is closed."""
    opened: list[tuple[AuditLog, Database]] = []

    def make(**options: Any) -> AuditLog:
        database = Database.open(store, migrate=False)
        log = AuditLog(database, signer, **options)
        opened.append((log, database))
        return log

    yield make
    for log, database in opened:
        log.close()
        database.dispose()
