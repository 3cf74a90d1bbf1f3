"""The upstream side over streamable HTTP: the SDK's client transport, with what the
proxy adds on the way.

- **Headers.** The agent's own HTTP headers are not passed on, except: the
  protocol version, and for a request of the per-request era (2026-07-28) the routing
  headers, rebuilt from the message body the gateway judged (``Mcp-Method``,
  ``Mcp-Name``), with the ``Mcp-Param-*`` mirrors of its arguments (the upstream
  checks those against the body, as the specification requires); ``Authorization``
  only when :attr:`HttpUpstream.forward_authorization` says so. A credential of the
  proxy's own (:attr:`HttpUpstream.authorization`) goes on every request instead.
- **An upstream that cannot be reached** (refused, reset, timed out, name not found)
  answers the message that tried with a JSON-RPC error naming the upstream and what
  went wrong, instead of an exception that would end the session.
- **A stream that broke** before the answer came (the server crashed mid-call) is
  answered with a JSON-RPC error that says so.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol, Self
from urllib.parse import urlsplit

import anyio
import httpx2
import mcp_types as types
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._stream_protocols import ReadStream, WriteStream
from mcp.shared.inbound import (
    MCP_METHOD_HEADER,
    MCP_NAME_HEADER,
    MCP_PARAM_HEADER_PREFIX,
    MCP_PROTOCOL_VERSION_HEADER,
    NAME_BEARING_METHODS,
    encode_header_value,
)
from mcp.shared.message import ClientMessageMetadata, ServerMessageMetadata, SessionMessage

from proctor.errors import InvalidInput

log = logging.getLogger("proctor.integrations.mcp")

#: JSON-RPC error code of a message the upstream server could not be sent or did not
#: answer (connection refused, reset, timed out; a stream that broke).
UPSTREAM_UNREACHABLE = types.INTERNAL_ERROR
#: Seconds to connect to the upstream server (and to write to it).
CONNECT_TIMEOUT_S = 10.0
#: Seconds an upstream stream may stay silent (an answer being computed).
READ_TIMEOUT_S = 300.0

_PARAM_PREFIX = MCP_PARAM_HEADER_PREFIX.lower()


@dataclass(frozen=True, slots=True, repr=False)
class HttpUpstream:
    """An upstream MCP server over streamable HTTP. Messages and logs name it by
    :attr:`shown`, which leaves out a user, a password and a query (they may be keys)."""

    #: Its endpoint, ``http://`` or ``https://``.
    url: str
    #: Pass the agent's ``Authorization`` header on (``--listen`` only).
    forward_authorization: bool = False
    #: The ``Authorization`` header value the proxy sends (the agent never sees it).
    authorization: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidInput(
                f"--upstream {shown_url(self.url)!r} is not an http:// or https:// URL",
                code="invalid_upstream",
            )
        if self.forward_authorization and self.authorization is not None:
            raise InvalidInput(
                "give the upstream a credential of the proxy's own or forward the agent's, "
                "not both",
                code="invalid_upstream",
            )
        sends_credentials = self.forward_authorization or self.authorization is not None
        if sends_credentials and parts.scheme == "http" and not is_loopback(parts.hostname):
            raise InvalidInput(
                f"refusing to send credentials to {self.shown} in the clear: use https",
                code="invalid_upstream",
            )

    def __repr__(self) -> str:
        return f"HttpUpstream({self.shown!r}, forward_authorization={self.forward_authorization})"

    @property
    def shown(self) -> str:
        """The URL as messages and logs show it."""
        return shown_url(self.url)

    def client(self, authorization: str | None = None) -> httpx2.AsyncClient:
        """An HTTP client for the upstream: the proxy's credential (or ``authorization``,
        the agent's, when forwarded) on every request; unreachable means an error answer."""
        headers = {}
        credential = self.authorization or (authorization if self.forward_authorization else None)
        if credential:
            headers["authorization"] = credential
        timeout = httpx2.Timeout(CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S)
        transport = _Unreachable(httpx2.AsyncHTTPTransport(), self.shown)
        return httpx2.AsyncClient(headers=headers, timeout=timeout, transport=transport)

    @asynccontextmanager
    async def connect(
        self, client: httpx2.AsyncClient
    ) -> AsyncIterator[tuple[ReadStream[SessionMessage | Exception], WriteStream[SessionMessage]]]:
        """The SDK's streamable HTTP client transport on ``client``: messages from the
        agent get their upstream headers; broken streams are explained."""
        async with streamable_http_client(self.url, http_client=client) as (read, write):
            yield (
                _Explained(read, self.shown),
                _Stamped(write, forward_authorization=self.forward_authorization),
            )


def shown_url(url: str) -> str:
    """``url`` without its user, password and query (``?…`` says there was one)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        port = ""
    query = "?…" if parts.query else ""
    return f"{parts.scheme}://{host}{port}{parts.path}{query}"


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, brackets allowed) is this machine only."""
    host = host.strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def upstream_headers(
    message: types.JSONRPCMessage, incoming: Mapping[str, str], *, forward_authorization: bool
) -> dict[str, str]:
    """The headers to send upstream with ``message``, given the agent's (lower-case)."""
    headers: dict[str, str] = {}
    version = _envelope_version(message)
    if version is not None and isinstance(message, types.JSONRPCRequest):
        params = message.params or {}
        headers[MCP_PROTOCOL_VERSION_HEADER] = version
        headers[MCP_METHOD_HEADER] = message.method
        name = params.get(NAME_BEARING_METHODS.get(message.method, ""))
        if isinstance(name, str):
            headers[MCP_NAME_HEADER] = encode_header_value(name)
        headers.update({k: v for k, v in incoming.items() if k.startswith(_PARAM_PREFIX)})
    elif (declared := incoming.get(MCP_PROTOCOL_VERSION_HEADER)) is not None:
        headers[MCP_PROTOCOL_VERSION_HEADER] = declared
    if forward_authorization and (credential := incoming.get("authorization")):
        headers["authorization"] = credential
    return headers


def _envelope_version(message: types.JSONRPCMessage) -> str | None:
    """The protocol version a per-request-era message carries in ``params._meta``."""
    params = getattr(message, "params", None)
    meta = params.get("_meta") if isinstance(params, Mapping) else None
    version = meta.get(types.PROTOCOL_VERSION_META_KEY) if isinstance(meta, Mapping) else None
    return version if isinstance(version, str) else None


def unreachable_error(
    url: str, why: str, request_id: types.RequestId | None = None
) -> dict[str, Any]:
    """The JSON-RPC error (wire form) for a message the upstream did not answer."""
    error = types.JSONRPCError(
        jsonrpc="2.0",
        id=request_id,
        error=types.ErrorData(
            code=UPSTREAM_UNREACHABLE, message=f"the upstream MCP server at {url} {why}"
        ),
    )
    body = error.model_dump(by_alias=True, mode="json", exclude_none=True)
    body["id"] = request_id
    return body


class _Unreachable(httpx2.AsyncBaseTransport):
    """Turns a request that could not be made into a 502 whose body is a JSON-RPC error:
    the SDK's client transport passes that on as the answer to the message."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, url: str) -> None:
        self._inner = inner
        self._url = url

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            return await self._inner.handle_async_request(request)
        except httpx2.TransportError as exc:
            why = f"could not be reached ({type(exc).__name__}: {exc or 'no detail'})"
            log.warning("the upstream MCP server at %s %s", self._url, why)
            return httpx2.Response(502, json=unreachable_error(self._url, why), request=request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class _Closable(Protocol):
    async def aclose(self) -> None: ...


class _Closing:
    """A stream wrapper that closes its inner stream, also as an async context manager."""

    _inner: _Closable

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> bool | None:
        await self.aclose()
        return None


class _Stamped(_Closing):
    """The upstream write stream: each message from the agent gets its upstream headers."""

    _inner: WriteStream[SessionMessage]

    def __init__(self, inner: WriteStream[SessionMessage], *, forward_authorization: bool):
        self._inner = inner
        self._forward_authorization = forward_authorization

    async def send(self, item: SessionMessage, /) -> None:
        metadata = item.metadata
        incoming: Mapping[str, str] = {}
        if isinstance(metadata, ServerMessageMetadata) and metadata.request_context is not None:
            incoming = getattr(metadata.request_context, "headers", {}) or {}
        headers = upstream_headers(
            item.message, incoming, forward_authorization=self._forward_authorization
        )
        await self._inner.send(
            SessionMessage(item.message, metadata=ClientMessageMetadata(headers=headers or None))
        )


class _Explained(_Closing):
    """The upstream read stream: an error for a stream that broke says so plainly."""

    _inner: ReadStream[SessionMessage | Exception]

    def __init__(self, inner: ReadStream[SessionMessage | Exception], url: str) -> None:
        self._inner = inner
        self._url = url

    async def receive(self) -> SessionMessage | Exception:
        return self._explain(await self._inner.receive())

    def _explain(self, item: SessionMessage | Exception) -> SessionMessage | Exception:
        if isinstance(item, Exception):
            return item
        message = item.message
        if (
            isinstance(message, types.JSONRPCError)
            and message.error.code == types.CONNECTION_CLOSED
        ):
            why = f"stopped before answering ({message.error.message})"
            error = types.ErrorData(
                code=UPSTREAM_UNREACHABLE, message=f"the upstream MCP server at {self._url} {why}"
            )
            return SessionMessage(types.JSONRPCError(jsonrpc="2.0", id=message.id, error=error))
        return item

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> SessionMessage | Exception:
        try:
            return await self.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError) as exc:
            raise StopAsyncIteration from exc
