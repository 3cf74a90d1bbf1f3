"""Storage: one SQLAlchemy engine (SQLite embedded by default, PostgreSQL for scale).

Each concept module declares its own tables on :data:`metadata` and talks to them
through a small class of its own; nothing outside those classes writes SQL.
"""

from typing import TYPE_CHECKING

from proctor._lazy import lazy_exports

if TYPE_CHECKING:
    from proctor.store._database import (
        Database,
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
    from proctor.store._durability import Durability
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

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(
        __name__,
        {
            "_database": ("Database", "as_utc", "metadata", "read_version", "utcnow"),
            "_durability": ("Durability",),
            "_driver": (
                "DriverStatement",
                "Transaction",
                "bump_version",
                "driver_reading",
                "driver_transaction",
                "uses_driver",
            ),
            "_prepared": ("PreparedSelect",),
            "_watch": ("ChangeWatch",),
        },
    )
