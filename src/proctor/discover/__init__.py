"""Shadow MCP servers: what the MCP clients on a developer's machine are configured to
run, and which of those do not go through Proctor's MCP proxy.
"""

from proctor.discover.jsonc import loads_jsonc, strip_jsonc
from proctor.discover.locations import ConfigLocation, Layout, project_locations, user_locations
from proctor.discover.model import (
    Client,
    ConfigProblem,
    DiscoveredServer,
    DiscoveryReport,
    Scope,
    Transport,
)
from proctor.discover.proxy import is_behind_proctor
from proctor.discover.scan import discover_servers
from proctor.discover.wrap import WrapChange, WrapPlan, plan_wrap, write_wrap

__all__ = [
    "Client",
    "ConfigLocation",
    "ConfigProblem",
    "DiscoveredServer",
    "DiscoveryReport",
    "Layout",
    "Scope",
    "Transport",
    "WrapChange",
    "WrapPlan",
    "discover_servers",
    "is_behind_proctor",
    "loads_jsonc",
    "plan_wrap",
    "project_locations",
    "strip_jsonc",
    "user_locations",
    "write_wrap",
]
