"""Fixtures for provenance tests: a real SQLite store, a key, sources."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from proctor.provenance import ProvenanceKey, SessionProvenance, Source, Trust
from proctor.store import Database

_decisions = itertools.count(1)


def untrusted(tool: str = "web.fetch", resource: str | None = None) -> Source:
    """A source anyone could have written (a web page, an e-mail, a document)."""
    return Source(f"d-{next(_decisions)}", Trust.UNTRUSTED, tool, resource, None, _now())


def trusted(tool: str = "crm.lookup", resource: str | None = None) -> Source:
    """A source the deployment vouches for."""
    return Source(f"d-{next(_decisions)}", Trust.TRUSTED, tool, resource, "internal", _now())


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    opened = Database.open(tmp_path / "store.db")
    yield opened
    opened.dispose()


@pytest.fixture
def key() -> ProvenanceKey:
    return ProvenanceKey.generate()


@pytest.fixture
def provenance(database: Database, key: ProvenanceKey) -> SessionProvenance:
    return SessionProvenance(database, key)
