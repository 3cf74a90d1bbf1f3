"""PreparedSelect: rows read on the SQLite driver equal the rows Core reads."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proctor.errors import StoreError
from proctor.store import Database, PreparedSelect

_meta = sa.MetaData()
things = sa.Table(
    "things",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("note", sa.Text, nullable=True),
)
QUERY = (
    sa.select(things)
    .where(
        things.c.kind == sa.bindparam("kind"),
        sa.or_(things.c.note.is_(None), things.c.note != "hidden"),
    )
    .order_by(things.c.id)
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


@pytest.fixture
def database(tmp_path: Path) -> Database:
    opened = Database.open(tmp_path / "s.db", migrate=False)
    _meta.create_all(opened.engine)
    return opened


def _core(database: Database, kind: str) -> list[dict[str, object]]:
    with database.connect() as connection:
        return [dict(row) for row in connection.execute(QUERY, {"kind": kind}).mappings()]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payloads=st.lists(_json, min_size=1, max_size=5),
    notes=st.lists(st.sampled_from([None, "hidden", "shown", "ünïcode ✓"]), min_size=5, max_size=5),
    at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
)
def test_driver_rows_equal_core_rows(
    database: Database, payloads: list[object], notes: list[str | None], at: datetime
) -> None:
    with database.begin() as connection:
        connection.execute(sa.delete(things))
        for n, payload in enumerate(payloads):
            kind = "a" if n % 2 == 0 else "b"
            connection.execute(
                sa.insert(things).values(id=n, kind=kind, payload=payload, at=at, note=notes[n])
            )
    prepared = PreparedSelect(database, QUERY)
    for kind in ("a", "b", "none"):
        assert prepared.rows({"kind": kind}) == _core(database, kind)


def test_a_broken_store_is_a_store_error(database: Database) -> None:
    prepared = PreparedSelect(database, QUERY)
    with database.begin() as connection:
        connection.execute(sa.text("DROP TABLE things"))
    with pytest.raises(StoreError):
        prepared.rows({"kind": "a"})
