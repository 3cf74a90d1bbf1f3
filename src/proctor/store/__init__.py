"""Storage: one SQLAlchemy engine (SQLite embedded by default, PostgreSQL for scale).

Each concept module declares its own tables on :data:`metadata` and talks to them
through a small class of its own; nothing outside those classes writes SQL.
"""

from proctor.store._database import (
    Database,
    Durability,
    as_utc,
    metadata,
    read_version,
    utcnow,
)
from proctor.store._driver import (
    DriverStatement,
    Transaction,
    bump_version,
    driver_reading,
    driver_transaction,
    uses_driver,
)
from proctor.store._prepared import PreparedSelect
from proctor.store._watch import ChangeWatch

__all__ = [
    "ChangeWatch",
    "Database",
    "DriverStatement",
    "Durability",
    "PreparedSelect",
    "Transaction",
    "as_utc",
    "bump_version",
    "driver_reading",
    "driver_transaction",
    "metadata",
    "read_version",
    "uses_driver",
    "utcnow",
]
