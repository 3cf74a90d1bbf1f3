"""The MCP proxy: any MCP server behind Proctor's gateway, over stdio or streamable HTTP.

Every ``tools/call`` is checked; tools the upstream server lists are registered on
first sight and pinned, a changed tool is held for an admin, and tools a policy
denies are hidden. See ``docs/mcp-proxy.md``.
"""

from proctor.integrations.mcp._backend import Backend, LocalBackend, RemoteBackend
from proctor.integrations.mcp._catalog import (
    McpCatalog,
    ToolStatus,
    ToolView,
    raise_alert,
    tool_entry,
)
from proctor.integrations.mcp._gate import (
    MAX_RESULT_CHARS,
    META_KEY,
    CallGate,
    Verdict,
    outcome_result,
)
from proctor.integrations.mcp._http import (
    HttpListen,
    HttpProxy,
    parse_listen,
    security_settings,
    serve_http,
)
from proctor.integrations.mcp._listed import (
    ListedTool,
    Unannotated,
    UnannotatedRule,
    check_server_name,
    inventory_name,
    parse_unannotated,
    pin_of,
)
from proctor.integrations.mcp._pins import ToolPin, ToolPins
from proctor.integrations.mcp._relay import UPSTREAM_GONE, McpRelay, RelayEnd
from proctor.integrations.mcp._stdio import (
    SECRET_ENV,
    ProxySettings,
    serve_stdio,
    upstream_environment,
)
from proctor.integrations.mcp._upstream import (
    UPSTREAM_UNREACHABLE,
    HttpUpstream,
    is_loopback,
    upstream_headers,
)

__all__ = [
    "MAX_RESULT_CHARS",
    "META_KEY",
    "SECRET_ENV",
    "UPSTREAM_GONE",
    "UPSTREAM_UNREACHABLE",
    "Backend",
    "CallGate",
    "HttpListen",
    "HttpProxy",
    "HttpUpstream",
    "ListedTool",
    "LocalBackend",
    "McpCatalog",
    "McpRelay",
    "ProxySettings",
    "RelayEnd",
    "RemoteBackend",
    "ToolPin",
    "ToolPins",
    "ToolStatus",
    "ToolView",
    "Unannotated",
    "UnannotatedRule",
    "Verdict",
    "check_server_name",
    "inventory_name",
    "is_loopback",
    "outcome_result",
    "parse_listen",
    "parse_unannotated",
    "pin_of",
    "raise_alert",
    "security_settings",
    "serve_http",
    "serve_stdio",
    "tool_entry",
    "upstream_environment",
    "upstream_headers",
]
