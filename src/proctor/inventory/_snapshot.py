"""An immutable in-memory view of the inventory for the hot path."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from proctor.model import Agent, Resource, Tool


@dataclass(frozen=True, slots=True)
class InventorySnapshot:
    """Everything a check needs to look up, read without touching the store."""

    version: int = 0
    agents: Mapping[str, Agent] = field(default_factory=dict)
    tools: Mapping[str, Tool] = field(default_factory=dict)
    resources: Mapping[str, Resource] = field(default_factory=dict)
