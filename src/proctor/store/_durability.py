"""How much an acknowledged write survives: a setting, readable without the engine."""

from __future__ import annotations

from enum import StrEnum


class Durability(StrEnum):
    """How much an acknowledged write survives.

    ``process`` (default): survives the process being killed (SQLite WAL,
    ``synchronous=NORMAL``: the commit is in the OS before we answer).
    ``power``: also survives power loss (``synchronous=FULL``: fsync per commit).
    """

    PROCESS = "process"
    POWER = "power"
