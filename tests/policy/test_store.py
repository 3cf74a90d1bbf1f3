"""Admin-added policies persist in the store, are validated first, and bump the version."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest

from proctor.errors import NotFound
from proctor.policy import InvalidPolicies, PolicyEngine, PolicyStore
from proctor.store import Database

NO_EDITS = '@id("no-edits")\nforbid (principal, action == Action::"write", resource);\n'


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    opened = Database.open(tmp_path / "proctor.db")
    yield opened
    opened.dispose()


def test_added_documents_are_listed_and_loadable(database: Database) -> None:
    store = PolicyStore(database)
    policy_id = store.add("no-edits", NO_EDITS, "admin@example.com")
    (record,) = store.list()
    assert (record.id, record.name, record.text) == (policy_id, "no-edits", NO_EDITS)
    assert record.created_by == "admin@example.com"
    assert record.created_at.tzinfo is UTC
    (document,) = store.documents()
    assert document.name == f"store:{policy_id}"
    assert "no-edits" in {info.id for info in PolicyEngine(store.documents()).policies()}


def test_changes_bump_the_policies_version(database: Database) -> None:
    store = PolicyStore(database)
    before = database.version("policies")
    policy_id = store.add("no-edits", NO_EDITS, "admin")
    assert database.version("policies") == before + 1
    store.remove(policy_id)
    assert database.version("policies") == before + 2
    assert store.list() == []


def test_an_invalid_document_is_not_stored(database: Database) -> None:
    store = PolicyStore(database)
    with pytest.raises(InvalidPolicies) as raised:
        store.add("broken", "permit (principal, action, resource) when { 1 };", "admin")
    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.file == "broken"
    assert (diagnostic.line, diagnostic.column) == (1, 38)
    assert store.list() == []


def test_a_duplicate_id_is_refused(database: Database) -> None:
    store = PolicyStore(database)
    store.add("no-edits", NO_EDITS, "admin")
    with pytest.raises(InvalidPolicies, match="duplicate policy id 'no-edits'"):
        store.add("again", NO_EDITS, "admin")
    with pytest.raises(InvalidPolicies, match="duplicate policy id 'deny-unknown-tool'"):
        store.add("shadow", '@id("deny-unknown-tool") permit (principal, action, resource);', "a")
    assert len(store.list()) == 1


def test_removing_an_unknown_document_is_not_found(database: Database) -> None:
    with pytest.raises(NotFound):
        PolicyStore(database).remove("nope")
