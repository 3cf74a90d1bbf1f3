"""An immutable in-memory view of the inventory for the hot path."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from proctor.model import Agent, Label, Resource, Tool


@dataclass(frozen=True, slots=True)
class InventorySnapshot:
    """Everything a check needs to look up, read without touching the store."""

    version: int = 0
    agents: Mapping[str, Agent] = field(default_factory=dict)
    tools: Mapping[str, Tool] = field(default_factory=dict)
    resources: Mapping[str, Resource] = field(default_factory=dict)

    def data_label(self, tool: Tool, resource_id: str | None) -> Label:
        """The label of the data a call of ``tool`` on ``resource_id`` touches: the
        resource's, the tool's when it names none, and restricted for a resource that
        is not in the inventory (unknown data is the most sensitive kind: fail closed)."""
        if not resource_id:
            return tool.label
        resource = self.resources.get(resource_id)
        return resource.label if resource is not None else Label.RESTRICTED
