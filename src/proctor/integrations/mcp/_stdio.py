"""The stdio proxy: the agent's MCP client talks to us on stdin/stdout; we start the
upstream server as a child process and talk to it on its stdin/stdout, or talk to an
upstream over streamable HTTP (:attr:`ProxySettings.upstream`).

The child gets this process's environment without Proctor's own secrets
(:data:`SECRET_ENV`): the agent's task token and an API key are for the proxy, never
for the server it fronts.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from collections.abc import AsyncIterator, Coroutine, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import anyio
import anyio.lowlevel
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.server.stdio import stdio_server
from mcp.shared._stream_protocols import ReadStream, WriteStream
from mcp.shared.message import SessionMessage

from proctor.errors import InvalidInput
from proctor.integrations.mcp._backend import Backend
from proctor.integrations.mcp._gate import CallGate
from proctor.integrations.mcp._listed import Unannotated, UnannotatedRule, check_server_name
from proctor.integrations.mcp._relay import McpRelay, RelayEnd
from proctor.integrations.mcp._upstream import HttpUpstream

#: Environment variables the upstream server never inherits.
SECRET_ENV = ("PROCTOR_TOKEN", "PROCTOR_API_KEY")


@dataclass(frozen=True, slots=True)
class ProxySettings:
    """One proxy: which upstream server, under what name, with which settings."""

    #: The server's name: its tools are ``<server>.<tool>`` in the inventory.
    server: str
    #: The upstream server's command line (stdio).
    command: Sequence[str] = ()
    #: Or an upstream server over streamable HTTP.
    upstream: HttpUpstream | None = None
    #: What a first-seen tool without hints gets.
    unannotated: UnannotatedRule = Unannotated.REQUIRE_APPROVAL
    #: Seconds a held call waits for people (0: answer "pending" at once).
    approval_wait: float = 0.0
    #: Extra environment for the upstream server (over this process's, secrets removed).
    env: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_server_name(self.server)
        if self.command and self.upstream is not None:
            raise InvalidInput(
                "give the upstream server's command or its --upstream URL, not both",
                code="invalid_upstream",
            )
        if self.approval_wait < 0:
            raise InvalidInput("--approval-wait cannot be negative", code="invalid_wait")


def upstream_environment(extra: Mapping[str, str] = {}) -> dict[str, str]:
    """This process's environment without Proctor's secrets, plus ``extra``."""
    env = {key: value for key, value in os.environ.items() if key not in SECRET_ENV}
    env.update(extra)
    return env


async def serve_stdio(backend: Backend, token: str, settings: ProxySettings) -> RelayEnd:
    """Proxy this process's stdin/stdout to the upstream (its command, or its URL) until
    either side ends."""
    gate = CallGate(backend.checker, token, settings.server, approval_wait=settings.approval_wait)
    relay = McpRelay(gate, backend, unannotated=settings.unannotated)
    if settings.upstream is not None:
        return await _with_stdin(_serve(relay, _http_upstream(settings.upstream)))
    if not settings.command:
        raise InvalidInput("give the upstream server's command after --", code="no_command")
    command, *args = settings.command
    if shutil.which(command) is None:
        raise InvalidInput(
            f"could not start the upstream server {command!r}: no such program "
            "(give a path, or a program on PATH)",
            code="upstream_not_found",
        )
    upstream = StdioServerParameters(
        command=command, args=args, env=upstream_environment(settings.env)
    )
    return await _with_stdin(_serve(relay, stdio_client(upstream, errlog=sys.stderr)))


#: The upstream's streams, once entered: a child process's, or an HTTP server's.
UpstreamStreams = AbstractAsyncContextManager[
    tuple[ReadStream[SessionMessage | Exception], WriteStream[SessionMessage]]
]


@asynccontextmanager
async def _http_upstream(upstream: HttpUpstream) -> AsyncIterator[Any]:
    async with upstream.client() as client, upstream.connect(client) as streams:
        yield streams


async def _with_stdin(serving: Coroutine[Any, Any, RelayEnd]) -> RelayEnd:
    was_blocking = _blocking(0)
    try:
        return await serving
    finally:
        if was_blocking:
            # stdin may be a terminal shared with the shell that started us.
            os.set_blocking(0, True)


async def _serve(relay: McpRelay, upstream: UpstreamStreams) -> RelayEnd:
    with anyio.CancelScope() as agent_side:
        async with stdio_server(stdin=_stdin(), stdout=cast(Any, _Output(1))) as (
            client_read,
            client_write,
        ):
            async with upstream as (upstream_read, upstream_write):
                end = await relay.run(client_read, client_write, upstream_read, upstream_write)
            if end is RelayEnd.UPSTREAM_CLOSED:
                # The agent may keep its side open: let the last answers out, then stop
                # reading it instead of waiting for it to hang up.
                await client_write.aclose()
                for _ in range(3):
                    await anyio.lowlevel.checkpoint()
                agent_side.cancel()
    return end


class _Lines:
    """stdin as lines, read without a worker thread, so the proxy can stop (when the
    upstream server died) without waiting for the agent to write or close its side."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = b""
        self._ended = False
        os.set_blocking(fd, False)

    def __aiter__(self) -> _Lines:
        return self

    async def __anext__(self) -> str:
        while b"\n" not in self._buffer and not self._ended:
            await anyio.wait_readable(self._fd)
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:
                continue
            if chunk:
                self._buffer += chunk
            else:
                self._ended = True
        if not self._buffer:
            raise StopAsyncIteration
        line, newline, rest = self._buffer.partition(b"\n")
        self._buffer = rest
        return (line + newline).decode("utf-8", errors="replace")


class _Output:
    """stdout written directly (no worker thread): one JSON-RPC line per write."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._closed = False

    async def write(self, text: str) -> None:
        data = memoryview(text.encode("utf-8"))
        while data and not self._closed:
            try:
                written = os.write(self._fd, data)
            except BlockingIOError:
                await anyio.wait_writable(self._fd)
                continue
            except (BrokenPipeError, ConnectionResetError):
                self._closed = True  # the agent is gone; its side's end will end the relay
                return
            data = data[written:]

    async def flush(self) -> None:
        return None


def _blocking(fd: int) -> bool:
    try:
        return os.get_blocking(fd)
    except OSError:
        return False


def _stdin() -> Any:
    """A cancellable reader for a pipe or socket on fd 0; None (the SDK's own reader)
    for anything else, such as a regular file, which cannot be polled."""
    try:
        mode = os.fstat(0).st_mode
    except OSError:
        return None
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        return cast(Any, _Lines(0))
    return None
