"""The agent inventory: agents, the tools they call, the resources those tools touch."""

from typing import TYPE_CHECKING

from proctor._lazy import lazy_exports

if TYPE_CHECKING:
    from proctor.inventory._annotations import (
        ANNOTATION_DEFAULTS,
        action_class_from_annotations,
        check_annotations,
        untrusted_from_annotations,
    )
    from proctor.inventory._inventory import Change, Inventory
    from proctor.inventory._shadow import SHADOW_OVERFLOW, Caller, ShadowAgent, ShadowAgents
    from proctor.inventory._snapshot import InventorySnapshot
    from proctor.inventory._validate import (
        POLICY_ARGUMENT_TYPES,
        check_agent_id,
        check_policy_arguments,
        check_resource_id,
        check_tool,
        check_tool_name,
    )

__all__ = [
    "ANNOTATION_DEFAULTS",
    "POLICY_ARGUMENT_TYPES",
    "SHADOW_OVERFLOW",
    "Caller",
    "Change",
    "Inventory",
    "InventorySnapshot",
    "ShadowAgent",
    "ShadowAgents",
    "action_class_from_annotations",
    "check_agent_id",
    "check_annotations",
    "check_policy_arguments",
    "check_resource_id",
    "check_tool",
    "check_tool_name",
    "untrusted_from_annotations",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(
        __name__,
        {
            "_annotations": (
                "ANNOTATION_DEFAULTS",
                "action_class_from_annotations",
                "check_annotations",
                "untrusted_from_annotations",
            ),
            "_inventory": ("Change", "Inventory"),
            "_shadow": ("SHADOW_OVERFLOW", "Caller", "ShadowAgent", "ShadowAgents"),
            "_snapshot": ("InventorySnapshot",),
            "_validate": (
                "POLICY_ARGUMENT_TYPES",
                "check_agent_id",
                "check_policy_arguments",
                "check_resource_id",
                "check_tool",
                "check_tool_name",
            ),
        },
    )
