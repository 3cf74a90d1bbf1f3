"""The streamable HTTP proxy: agents' MCP clients talk to us over HTTP on a local port;
we talk to an upstream MCP server over streamable HTTP. Every ``tools/call`` goes
through the same relay as over stdio.

Both protocol eras are served, routed as the SDK's own server routes them (by the
``MCP-Protocol-Version`` header):

- **the initialize handshake (2025-11-25 and before)**: a session per client, on the
  SDK's :class:`~mcp.server.streamable_http.StreamableHTTPServerTransport`, relayed to
  an upstream session of its own (the SDK's client transport). A session ends when
  the client deletes it, after :attr:`HttpListen.idle_timeout` without a request, or
  when the proxy stops; the upstream session ends with it.
- **the per-request envelope (2026-07-28)**: each POST is one request, relayed on its
  own (:mod:`._exchange`).

Before anything else every request is checked against DNS rebinding (the MCP
specification's warning for local servers): its ``Host`` must name this proxy, and an
``Origin``, when a browser sends one, must be the proxy's own or one allowed with
:attr:`HttpListen.allowed_origins`. The proxy binds loopback unless told otherwise.
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import anyio
import httpx2
import mcp_types as types
import uvicorn
from anyio.abc import TaskGroup, TaskStatus
from mcp.server.streamable_http import MCP_SESSION_ID_HEADER, StreamableHTTPServerTransport
from mcp.server.transport_security import (
    DEFAULT_MAX_REQUEST_BODY_SIZE,
    RequestBodyLimitMiddleware,
    TransportSecurityMiddleware,
    TransportSecuritySettings,
)
from mcp.shared.inbound import MCP_PROTOCOL_VERSION_HEADER
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from proctor.errors import InvalidInput
from proctor.integrations.mcp._backend import Backend
from proctor.integrations.mcp._exchange import exchange
from proctor.integrations.mcp._gate import CallGate
from proctor.integrations.mcp._relay import McpRelay
from proctor.integrations.mcp._stdio import ProxySettings
from proctor.integrations.mcp._upstream import HttpUpstream, is_loopback

log = logging.getLogger("proctor.integrations.mcp")

#: Seconds a handshake-era session may go without a request before it is closed.
DEFAULT_IDLE_TIMEOUT_S = 30 * 60.0
#: Handshake-era sessions open at once; past that, a new one is refused (503).
DEFAULT_MAX_SESSIONS = 100


@dataclass(frozen=True, slots=True)
class HttpListen:
    """Where and how the proxy listens for agents over HTTP."""

    #: The address to bind: loopback unless :attr:`allow_remote`.
    host: str = "127.0.0.1"
    #: The port; 0 picks a free one (printed when the proxy starts).
    port: int = 0
    #: The MCP endpoint's path.
    path: str = "/mcp"
    #: Allow a bind address other than loopback (others on the network can then call).
    allow_remote: bool = False
    #: Browser origins allowed besides the proxy's own (``http://127.0.0.1:8765``...).
    allowed_origins: tuple[str, ...] = ()
    #: ``Host`` values allowed besides the proxy's own address (``name:port``).
    allowed_hosts: tuple[str, ...] = ()
    #: Seconds a handshake-era session may stay idle before it is closed.
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT_S
    #: Handshake-era sessions open at once.
    max_sessions: int = DEFAULT_MAX_SESSIONS
    #: Largest request body accepted, in bytes.
    max_body: int = DEFAULT_MAX_REQUEST_BODY_SIZE

    def __post_init__(self) -> None:
        if not self.path.startswith("/"):
            raise InvalidInput("the endpoint path must start with /", code="invalid_listen")
        if not 0 <= self.port <= 65535:
            raise InvalidInput(f"port {self.port} is not a port", code="invalid_listen")
        if not self.allow_remote and not is_loopback(self.host):
            raise InvalidInput(
                f"refusing to listen on {self.host}: it is not a loopback address, and anyone "
                "who can reach the port acts with the agent's task token; use 127.0.0.1, or "
                "--allow-remote-listen if you mean it",
                code="listen_not_loopback",
            )


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6, ``PORT`` alone for 127.0.0.1)."""
    host, colon, port = value.rpartition(":")
    if not colon:
        host, port = "127.0.0.1", value
    try:
        number = int(port)
    except ValueError:
        raise InvalidInput(
            f"--listen {value!r}: give HOST:PORT, such as 127.0.0.1:8765", code="invalid_listen"
        ) from None
    return host.strip("[]") or "127.0.0.1", number


def security_settings(listen: HttpListen, port: int) -> TransportSecuritySettings:
    """Host and Origin checks for a proxy on ``port``: its own address and loopback
    names with that exact port, and what ``listen`` allows besides."""
    names = {"127.0.0.1", "localhost", "[::1]", _bracketed(listen.host)}
    hosts = sorted(f"{name}:{port}" for name in names)
    origins = [f"http://{host}" for host in hosts]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[*hosts, *listen.allowed_hosts],
        allowed_origins=[*origins, *listen.allowed_origins],
    )


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@dataclass
class _Session:
    """A handshake-era session: the agent's transport and who opened it."""

    transport: StreamableHTTPServerTransport
    authorization: str | None


class HttpProxy:
    """The ASGI application: DNS-rebinding checks, then either era's handling."""

    def __init__(
        self,
        backend: Backend,
        token: str,
        settings: ProxySettings,
        listen: HttpListen,
        *,
        port: int,
    ) -> None:
        if settings.upstream is None:
            raise InvalidInput("the HTTP proxy needs an --upstream URL", code="no_upstream")
        self.backend = backend
        self.settings = settings
        self.listen = listen
        self.upstream: HttpUpstream = settings.upstream
        self.gate = CallGate(
            backend.checker, token, settings.server, approval_wait=settings.approval_wait
        )
        self.security = TransportSecurityMiddleware(security_settings(listen, port))
        self._sessions: dict[str, _Session] = {}
        self._tasks: TaskGroup | None = None
        self._client: httpx2.AsyncClient | None = None

    def app(self) -> ASGIApp:
        """The whole application, with the request body limit in front."""
        return RequestBodyLimitMiddleware(self, self.listen.max_body)

    def relay(self) -> McpRelay:
        """A relay for one session or one exchange."""
        return McpRelay(
            self.gate,
            self.backend,
            unannotated=self.settings.unannotated,
            record_after_answer=self.settings.record_after_answer,
        )

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Sessions run in here; the shared upstream client lives here."""
        async with self.upstream.client() as client, anyio.create_task_group() as tasks:
            self._tasks, self._client = tasks, client
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
                self._tasks = self._client = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        refused = await self.security.validate_request(request, is_post=request.method == "POST")
        if refused is not None:
            await refused(scope, receive, send)
            return
        if scope["path"] != self.listen.path:
            await _plain(404, "Not Found")(scope, receive, send)
            return
        version = request.headers.get(MCP_PROTOCOL_VERSION_HEADER)
        if version is not None and version not in HANDSHAKE_PROTOCOL_VERSIONS:
            assert self._client is not None, "the proxy is not running"
            await exchange(self.relay(), self.upstream, self._client, scope, receive, send)
        else:
            await self._in_session(request, scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] != "lifespan.startup":
            return
        async with self.running():
            await send({"type": "lifespan.startup.complete"})
            while (await receive())["type"] != "lifespan.shutdown":
                pass
        await send({"type": "lifespan.shutdown.complete"})

    # -- the handshake era: sessions ------------------------------------------------

    async def _in_session(
        self, request: Request, scope: Scope, receive: Receive, send: Send
    ) -> None:
        session_id = request.headers.get(MCP_SESSION_ID_HEADER)
        if session_id is None:
            await self._open(request, scope, receive, send)
            return
        session = self._sessions.get(session_id)
        if session is None or session.authorization != self._authorization(request):
            # Another credential's session answers as if it did not exist.
            await _jsonrpc_error(404, "Session not found")(scope, receive, send)
            return
        await session.transport.handle_request(scope, receive, send)
        if session.transport.is_terminated:
            self._forget(session)

    async def _open(self, request: Request, scope: Scope, receive: Receive, send: Send) -> None:
        if request.method != "POST":
            await _jsonrpc_error(400, "Bad Request: Missing session ID")(scope, receive, send)
            return
        if len(self._sessions) >= self.listen.max_sessions:
            log.warning("refused a new session: %d are open", len(self._sessions))
            await _jsonrpc_error(503, "Too many open sessions")(scope, receive, send)
            return
        session = _Session(
            StreamableHTTPServerTransport(
                mcp_session_id=uuid4().hex, idle_timeout=self.listen.idle_timeout
            ),
            self._authorization(request),
        )
        assert session.transport.mcp_session_id is not None
        self._sessions[session.transport.mcp_session_id] = session
        established = False
        try:
            assert self._tasks is not None, "the proxy is not running"
            await self._tasks.start(self._run_session, session)
            status = await _status_of(session.transport.handle_request, scope, receive, send)
            established = status is not None and status < 400
        finally:
            if not established:
                await self._end(session)

    async def _run_session(
        self, session: _Session, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        transport = session.transport
        try:
            async with transport.connect() as (client_read, client_write):
                task_status.started()
                with transport.idle_scope or anyio.CancelScope():
                    async with (
                        self.upstream.client(session.authorization) as client,
                        self.upstream.connect(client) as (upstream_read, upstream_write),
                    ):
                        await self.relay().run(
                            client_read, client_write, upstream_read, upstream_write
                        )
        except Exception:
            log.exception("session %s failed", transport.mcp_session_id)
        finally:
            await self._end(session)

    def _authorization(self, request: Request) -> str | None:
        if not self.upstream.forward_authorization:
            return None
        return request.headers.get("authorization")

    def _forget(self, session: _Session) -> None:
        if session.transport.mcp_session_id is not None:
            self._sessions.pop(session.transport.mcp_session_id, None)

    async def _end(self, session: _Session) -> None:
        self._forget(session)
        if not session.transport.is_terminated:
            with anyio.CancelScope(shield=True):
                await session.transport.terminate()


def _jsonrpc_error(status: int, message: str) -> Response:
    body = types.JSONRPCError(
        jsonrpc="2.0", id=None, error=types.ErrorData(code=types.INVALID_REQUEST, message=message)
    )
    return Response(
        body.model_dump_json(by_alias=True, exclude_unset=True),
        status_code=status,
        media_type="application/json",
    )


def _plain(status: int, text: str) -> Response:
    return Response(text, status_code=status, media_type="text/plain")


async def _status_of(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> int | None:
    """Run ``app`` for one request; the HTTP status it answered with."""
    status: int | None = None

    async def watch(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        await send(message)

    await app(scope, receive, watch)
    return status


def bind(listen: HttpListen) -> socket.socket:
    """The listening socket (so the port is known, and taken, before serving)."""
    family = socket.AF_INET6 if ":" in listen.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((listen.host, listen.port))
    except OSError as exc:
        sock.close()
        raise InvalidInput(
            f"cannot listen on {listen.host}:{listen.port}: {exc.strerror}", code="listen_failed"
        ) from None
    return sock


async def serve_http(
    backend: Backend,
    token: str,
    settings: ProxySettings,
    listen: HttpListen,
    *,
    ready: Callable[[str], Any] | None = None,
) -> None:
    """Serve the proxy over HTTP until interrupted; ``ready`` gets the endpoint's URL."""
    sock = bind(listen)
    port = sock.getsockname()[1]
    proxy = HttpProxy(backend, token, settings, listen, port=port)
    config = uvicorn.Config(
        proxy.app(), log_level="warning", lifespan="on", timeout_graceful_shutdown=5
    )
    server = uvicorn.Server(config)
    url = f"http://{_bracketed(listen.host)}:{port}{listen.path}"
    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(server.serve, [sock])
            while not server.started:
                if server.should_exit:
                    return
                await anyio.sleep(0.01)
            (ready or _announce)(url)
    finally:
        sock.close()


def _announce(url: str) -> None:
    print(f"proctor mcp-proxy: listening on {url}", file=sys.stderr, flush=True)
