"""The engine, its pragmas, migrations and the change counter that invalidates caches."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from proctor.errors import StoreError
from proctor.store._durability import Durability

if TYPE_CHECKING:
    from proctor.store._watch import VersionBoard

metadata = sa.MetaData()
_WRITE_OPTION = "proctor_write"

store_versions = sa.Table(
    "store_versions",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)
# Built once: these run on every write and every cache check.
_BUMP_VERSION = (
    sa.update(store_versions)
    .where(store_versions.c.name == sa.bindparam("n"))
    .values(version=store_versions.c.version + 1)
)
_READ_VERSION = sa.select(store_versions.c.version).where(
    store_versions.c.name == sa.bindparam("n")
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored timestamp as an aware UTC datetime.

    SQLite hands back naive datetimes even for ``timezone=True`` columns; Proctor only
    stores UTC, so a naive value is UTC.
    """
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class Database:
    """A store location plus its engine. Use :meth:`open` to get a migrated one."""

    def __init__(self, engine: Engine, *, durability: Durability = Durability.PROCESS):
        self.engine = engine
        self.durability = durability
        self._versions_lock = threading.Lock()
        self._board: VersionBoard | None = None

    @property
    def version_board(self) -> VersionBoard:
        """Every change counter, read together at most as often as a watch asks."""
        if self._board is None:
            from proctor.store._watch import VersionBoard

            with self._versions_lock:
                if self._board is None:
                    self._board = VersionBoard(self)
        return self._board

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @classmethod
    def open(
        cls, url: str | Path, *, durability: Durability = Durability.PROCESS, migrate: bool = True
    ) -> Database:
        """Open (and by default migrate to head) the store at ``url``.

        A bare path means an SQLite file.
        """
        url_text = str(url)
        if "://" not in url_text:
            url_text = f"sqlite:///{Path(url_text)}"
        engine = _create_engine(url_text, durability)
        database = cls(engine, durability=durability)
        if migrate:
            database.migrate()
        return database

    def migrate(self) -> None:
        from proctor.store._migrate import upgrade_to_head

        try:
            upgrade_to_head(self.engine)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"could not migrate the store: {exc}") from exc

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction; store failures surface as :class:`StoreError`."""
        try:
            with self.begin_raw() as connection:
                yield connection
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"store error: {exc.__class__.__name__}: {exc}") from exc

    @contextmanager
    def begin_raw(self) -> Iterator[Connection]:
        """A write transaction that lets SQLAlchemy's own errors through, for callers
        that must tell an integrity error from other failures."""
        with self.engine.connect() as connection:
            writer = connection.execution_options(**{_WRITE_OPTION: True})
            with writer.begin():
                yield writer

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A read-only view (one consistent snapshot until the block ends)."""
        try:
            with self.engine.connect() as connection:
                yield connection
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"store error: {exc.__class__.__name__}: {exc}") from exc

    def bump_version(self, connection: Connection, name: str) -> None:
        """Mark ``name`` (e.g. ``inventory``) as changed, inside the caller's transaction."""
        updated = connection.execute(_BUMP_VERSION, {"n": name})
        if updated.rowcount == 0:
            connection.execute(sa.insert(store_versions).values(name=name, version=1))

    def version(self, name: str) -> int:
        with self.connect() as connection:
            return read_version(connection, name)

    def dispose(self) -> None:
        self.engine.dispose()


def read_version(connection: Connection, name: str) -> int:
    """The change counter of ``name`` as seen inside ``connection``'s transaction."""
    value = connection.execute(_READ_VERSION, {"n": name}).scalar()
    return int(value or 0)


def _create_engine(url: str, durability: Durability) -> Engine:
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = sa.create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, durability)
    return engine


def _configure_sqlite(engine: Engine, durability: Durability) -> None:
    synchronous = "FULL" if durability is Durability.POWER else "NORMAL"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy own transactions: pysqlite's implicit BEGIN would defer
        # locking and turn concurrent writers into "database is locked" errors.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A writer takes the write lock up front (BEGIN IMMEDIATE), so two writers
        # queue instead of failing on lock upgrade; readers never take it.
        writes = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")
