"""The agent inventory: agents, the tools they call, the resources those tools touch."""

from proctor.inventory._inventory import Change, Inventory
from proctor.inventory._shadow import SHADOW_OVERFLOW, Caller, ShadowAgent, ShadowAgents
from proctor.inventory._snapshot import InventorySnapshot
from proctor.inventory._validate import check_agent_id, check_resource_id, check_tool_name

__all__ = [
    "SHADOW_OVERFLOW",
    "Caller",
    "Change",
    "Inventory",
    "InventorySnapshot",
    "ShadowAgent",
    "ShadowAgents",
    "check_agent_id",
    "check_resource_id",
    "check_tool_name",
]
