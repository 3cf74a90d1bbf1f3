"""``proctor discover --wrap``: rewrite a client's configuration so its MCP servers run
behind ``proctor mcp-proxy``.

Each stdio entry that is not behind Proctor becomes

    {"command": "proctor", "args": ["mcp-proxy", "--server", NAME, ..., "--", CMD, ARGS...]}

keeping every other member (``env``, ``type``, ``disabled``, ...) as it was. Entries
already behind the proxy are left alone, so wrapping twice changes nothing.

Streamable HTTP entries are rewritten only when asked (``http=True``): the client then
starts the proxy as a stdio server, which talks to the URL,

    {"command": "proctor", "args": ["mcp-proxy", "--server", NAME, ..., "--upstream", URL]}

with an ``Authorization`` header moved into the entry's ``env`` (the proxy sends it,
``--upstream-auth-env``), and a URL that carries a password or a query string passed
in ``env`` too (``--upstream-url-env``), not on a command line other processes can read.
An entry with other headers, and SSE entries, are left as they are.

The plan is shown as a unified diff first, with every ``env`` and ``headers`` value
replaced by ``***`` (they hold API keys). The rewritten file is plain JSON, two-space
indented: JSONC comments and trailing commas are not kept; the timestamped backup
written next to it, byte for byte the original, keeps them.
"""

from __future__ import annotations

import copy
import difflib
import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from proctor.discover.entries import redact_url, transport_of
from proctor.discover.jsonc import loads_jsonc
from proctor.discover.locations import ConfigLocation, Layout
from proctor.discover.model import Transport
from proctor.discover.proxy import is_behind_proctor
from proctor.errors import InvalidInput

_REDACTED = "***"
_SERVER_NAME = re.compile(r"[^A-Za-z0-9_-]+")
#: The ``env`` key a wrapped HTTP entry's ``Authorization`` header moves to.
UPSTREAM_AUTH_ENV = "PROCTOR_UPSTREAM_AUTHORIZATION"
#: The ``env`` key a wrapped HTTP entry's URL moves to when it carries secrets.
UPSTREAM_URL_ENV = "PROCTOR_UPSTREAM"


@dataclass(frozen=True)
class WrapChange:
    """One entry of the file, and what wrapping does (or why it does not)."""

    #: Where the entry is: ``mcpServers.git``, ``projects./src/app.mcpServers.db``...
    where: str
    name: str
    #: The ``--server`` name the proxy gets (its tools are ``<server>.<tool>``).
    server: str | None = None
    #: Why the entry is left as it is; None when it is wrapped.
    skipped: str | None = None


@dataclass(frozen=True)
class WrapPlan:
    """What wrapping one configuration file changes."""

    path: Path
    layout: Layout
    original: Any
    wrapped: Any
    changes: list[WrapChange] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(change.skipped is None for change in self.changes)

    def text(self) -> str:
        """The file's new content."""
        return json.dumps(self.wrapped, indent=2, ensure_ascii=False) + "\n"

    def diff(self) -> str:
        """A unified diff of the file before and after, secrets replaced by ``***``."""
        before = json.dumps(_redacted(self.original), indent=2, ensure_ascii=False) + "\n"
        after = json.dumps(_redacted(self.wrapped), indent=2, ensure_ascii=False) + "\n"
        return "".join(
            difflib.unified_diff(
                before.splitlines(keepends=True),
                after.splitlines(keepends=True),
                fromfile=f"{self.path} (as read)",
                tofile=f"{self.path} (wrapped)",
            )
        )


def plan_wrap(
    location: ConfigLocation,
    *,
    proxy_command: str = "proctor",
    proxy_args: Sequence[str] = (),
    http: bool = False,
) -> WrapPlan:
    """Read the file at ``location`` and plan wrapping its servers (its streamable HTTP
    servers too with ``http``); raises :class:`InvalidInput` when it cannot be read or
    parsed."""
    try:
        original = loads_jsonc(location.path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InvalidInput(f"{location.path} cannot be read as JSON: {exc}") from exc
    if not isinstance(original, dict):
        raise InvalidInput(f"{location.path} is not a JSON object at the top level")
    wrapped = copy.deepcopy(original)
    changes = []
    proxy = _Proxy(proxy_command, tuple(proxy_args), http)
    for where, servers in _server_maps(wrapped, location.layout):
        for name, entry in servers.items():
            changes.append(_wrap_entry(servers, where, str(name), entry, proxy))
    return WrapPlan(location.path, location.layout, original, wrapped, changes)


def write_wrap(plan: WrapPlan, *, now: datetime | None = None) -> Path:
    """Back the file up next to itself (``<name>.proctor-backup-<UTC time>``), then
    replace it with the wrapped content; returns the backup's path."""
    moment = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    backup = plan.path.with_name(f"{plan.path.name}.proctor-backup-{moment}")
    original = plan.path.read_bytes()
    mode = plan.path.stat().st_mode & 0o7777
    _write_atomically(backup, original, mode)
    _write_atomically(plan.path, plan.text().encode("utf-8"), mode)
    return backup


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _server_maps(root: dict[str, Any], layout: Layout) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object of server entries in the file, with where it is."""
    if layout is Layout.VSCODE_SERVERS:
        candidates = [("servers", root.get("servers"))]
    elif layout is Layout.VSCODE_SETTINGS:
        mcp = root.get("mcp")
        candidates = [("mcp.servers", mcp.get("servers") if isinstance(mcp, dict) else None)]
    else:
        candidates = [("mcpServers", root.get("mcpServers"))]
    if layout is Layout.CLAUDE_CODE and isinstance(root.get("projects"), dict):
        for project, settings in root["projects"].items():
            if isinstance(settings, dict):
                candidates.append((f"projects.{project}.mcpServers", settings.get("mcpServers")))
    for where, servers in candidates:
        if isinstance(servers, dict):
            yield where, servers


@dataclass(frozen=True)
class _Proxy:
    """How wrapped entries start the proxy, and whether HTTP entries are wrapped."""

    command: str
    args: tuple[str, ...]
    http: bool


def _wrap_entry(
    servers: dict[str, Any], where: str, name: str, entry: Any, proxy: _Proxy
) -> WrapChange:
    at = f"{where}.{name}"
    if not isinstance(entry, dict):
        return WrapChange(at, name, skipped="not an object")
    transport = transport_of(entry)
    if transport is Transport.HTTP:
        return _wrap_http(servers, at, name, entry, proxy)
    command = entry.get("command")
    raw_args = entry.get("args", [])
    if transport is not Transport.STDIO or not isinstance(command, str) or not command:
        return WrapChange(at, name, skipped="a remote server: the proxy fronts stdio servers")
    if not isinstance(raw_args, list):
        return WrapChange(at, name, skipped="its args are not a list")
    args = [str(arg) for arg in raw_args]
    if is_behind_proctor(command, args):
        return WrapChange(at, name, skipped="already behind Proctor")
    server = _server_name(name)
    servers[name] = {
        **entry,
        "command": proxy.command,
        "args": ["mcp-proxy", "--server", server, *proxy.args, "--", command, *args],
    }
    return WrapChange(at, name, server=server)


def _wrap_http(
    servers: dict[str, Any], at: str, name: str, entry: dict[str, Any], proxy: _Proxy
) -> WrapChange:
    """A streamable HTTP entry as a stdio entry that starts the proxy for its URL."""
    if not proxy.http:
        return WrapChange(
            at, name, skipped="a remote server (--wrap-http puts HTTP servers behind the proxy)"
        )
    url = entry.get("url", entry.get("serverUrl"))
    headers = entry.get("headers") or {}
    env = entry.get("env") or {}
    if not isinstance(url, str) or not isinstance(headers, dict) or not isinstance(env, dict):
        return WrapChange(at, name, skipped="its url, headers or env are not what they should be")
    others = sorted(key for key in headers if str(key).lower() != "authorization")
    if others:
        return WrapChange(
            at,
            name,
            skipped=f"it sends headers the proxy cannot pass on ({', '.join(others)})",
        )
    server = _server_name(name)
    args = ["mcp-proxy", "--server", server, *proxy.args]
    env = dict(env)
    if _has_secrets(url):
        env[UPSTREAM_URL_ENV] = url
        args += ["--upstream-url-env", UPSTREAM_URL_ENV]
    else:
        args += ["--upstream", url]
    credential = next(
        (value for key, value in headers.items() if key.lower() == "authorization"), None
    )
    if credential is not None:
        env[UPSTREAM_AUTH_ENV] = str(credential)
        args += ["--upstream-auth-env", UPSTREAM_AUTH_ENV]
    kept = {k: v for k, v in entry.items() if k not in ("url", "serverUrl", "headers", "type")}
    stdio: dict[str, Any] = {"type": "stdio"} if "type" in entry else {}
    servers[name] = {**stdio, **kept, "command": proxy.command, "args": args}
    if env:
        servers[name]["env"] = env
    return WrapChange(at, name, server=server)


def _has_secrets(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.password or parts.username or parts.query)


def _server_name(name: str) -> str:
    cleaned = _SERVER_NAME.sub("-", name).strip("-_")[:64]
    return cleaned or "server"


def _redacted(value: Any) -> Any:
    """A copy with ``env``/``headers`` values and URL secrets replaced."""
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    if not isinstance(value, dict):
        return value
    copied: dict[str, Any] = {}
    for key, item in value.items():
        if key in ("env", "headers") and isinstance(item, dict):
            copied[key] = dict.fromkeys(item, _REDACTED)
        elif key in ("url", "serverUrl") and isinstance(item, str):
            copied[key] = redact_url(item)
        else:
            copied[key] = _redacted(item)
    return copied
