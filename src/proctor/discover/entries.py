"""One server entry of a configuration file, read into a ``DiscoveredServer``.

Every client uses the same entry shape, with small differences:

- stdio: ``{"command": ..., "args": [...], "env": {...}}``; Claude Code, Cursor and
  VS Code may add ``"type": "stdio"``;
- remote: ``{"url": ..., "headers": {...}}`` with ``"type": "http"`` or ``"sse"``
  (Claude Code, VS Code, Cursor); Windsurf writes ``"serverUrl"``.

Without a ``type``, a ``command`` means stdio and a URL means Streamable HTTP, unless its
path ends in ``/sse`` (the older transport's conventional endpoint).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from proctor.discover.model import Client, ConfigProblem, DiscoveredServer, Scope, Transport
from proctor.discover.proxy import is_behind_proctor

_TYPES = {
    "stdio": Transport.STDIO,
    "http": Transport.HTTP,
    "streamable-http": Transport.HTTP,
    "streamablehttp": Transport.HTTP,
    "streamable_http": Transport.HTTP,
    "sse": Transport.SSE,
}
_REDACTED = "***"


@dataclass(frozen=True)
class EntrySource:
    """Where an entry was found: the file, its client, its scope, its project."""

    client: Client
    path: Path
    scope: Scope
    project: str | None = None


def redact_url(url: str) -> str:
    """The URL without a password or query values: tokens are often passed in either."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return _REDACTED
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if port is not None:
        netloc = f"{netloc}:{port}"
    if parts.username is not None:
        user = parts.username if parts.password is None else f"{parts.username}:{_REDACTED}"
        netloc = f"{user}@{netloc}"
    query = "&".join(
        f"{pair.split('=', 1)[0]}={_REDACTED}" if "=" in pair else pair
        for pair in parts.query.split("&")
        if pair
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _keys(value: Any) -> tuple[str, ...]:
    # Only the names: the values are the secrets (API keys, bearer tokens).
    if isinstance(value, dict):
        return tuple(sorted(str(key) for key in value))
    return ()


def transport_of(entry: dict[str, Any]) -> Transport | str:
    """An entry's transport, or why it has none that is known."""
    url = entry.get("url", entry.get("serverUrl"))
    return _transport(entry, url if isinstance(url, str) else None)


def _transport(entry: dict[str, Any], url: str | None) -> Transport | str:
    declared = entry.get("type", entry.get("transport"))
    if isinstance(declared, str):
        found = _TYPES.get(declared.strip().lower())
        return found if found is not None else f"unknown transport type {declared!r}"
    if isinstance(entry.get("command"), str):
        return Transport.STDIO
    if url is not None:
        return Transport.SSE if urlsplit(url).path.rstrip("/").endswith("/sse") else Transport.HTTP
    return "has neither a command nor a url"


def read_entry(source: EntrySource, name: str, entry: Any) -> DiscoveredServer | ConfigProblem:
    """The server an entry declares, or the problem that keeps it from being read."""
    where = f"server {name!r}"
    if not isinstance(entry, dict):
        return ConfigProblem(source.path, f"{where} is not an object")
    raw_url = entry.get("url", entry.get("serverUrl"))
    url = raw_url if isinstance(raw_url, str) else None
    transport = _transport(entry, url)
    if not isinstance(transport, Transport):  # a StrEnum is a str: test for the enum
        return ConfigProblem(source.path, f"{where} {transport}")
    command = entry.get("command")
    raw_args = entry.get("args", [])
    if transport is Transport.STDIO:
        if not isinstance(command, str) or not command:
            return ConfigProblem(source.path, f"{where} is stdio but has no command")
        if not isinstance(raw_args, list):
            return ConfigProblem(source.path, f"{where} has args that are not a list")
        args = tuple(str(arg) for arg in raw_args)
        return DiscoveredServer(
            client=source.client,
            config_path=source.path,
            scope=source.scope,
            project=source.project,
            name=name,
            transport=transport,
            command=command,
            args=args,
            env_keys=_keys(entry.get("env")),
            disabled=entry.get("disabled") is True,
            behind_proctor=is_behind_proctor(command, args),
        )
    if url is None:
        return ConfigProblem(source.path, f"{where} is {transport.value} but has no url")
    return DiscoveredServer(
        client=source.client,
        config_path=source.path,
        scope=source.scope,
        project=source.project,
        name=name,
        transport=transport,
        url=redact_url(url),
        header_keys=_keys(entry.get("headers")),
        env_keys=_keys(entry.get("env")),
        disabled=entry.get("disabled") is True,
        behind_proctor=False,
    )
