"""The stdio proxy: the agent's MCP client talks to us on stdin/stdout; we start the
upstream server as a child process and talk to it on its stdin/stdout, or talk to an
upstream over streamable HTTP (:attr:`ProxySettings.upstream`).

The pipes are read and written by the relay itself (:mod:`._pipes`), not through the
SDK's stdio transports, whose reader and writer tasks cost a turn of the event loop
per message on each side; a stdin that cannot be polled (a regular file, a terminal
device) is still read by the SDK's transport, and on Windows the child is started by
the SDK's stdio client.

The child gets this process's environment without Proctor's own secrets
(:data:`SECRET_ENV`): the agent's task token and an API key are for the proxy, never
for the server it fronts.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import sys
import threading
from collections.abc import AsyncIterator, Coroutine, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
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
from proctor.integrations.mcp._pipes import FdWriter, child_process, fd_streams
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
    #: With the gateway in this process: answer a call before its outcome is recorded
    #: (the task's next check records it first). Off by default: a proxy killed in
    #: between would lose an outcome its agent has already read.
    record_after_answer: bool = False
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
    relay = McpRelay(
        gate,
        backend,
        unannotated=settings.unannotated,
        record_after_answer=settings.record_after_answer,
    )
    if settings.upstream is not None:
        upstream = _http_upstream(settings.upstream)
        return await _until_terminated(_with_std_fds(_serve(relay, upstream)))
    if not settings.command:
        raise InvalidInput("give the upstream server's command after --", code="no_command")
    command = settings.command[0]
    if shutil.which(command) is None:
        raise InvalidInput(
            f"could not start the upstream server {command!r}: no such program "
            "(give a path, or a program on PATH)",
            code="upstream_not_found",
        )
    env = upstream_environment(settings.env)
    serving = _with_std_fds(_serve(relay, _command_upstream(settings.command, env)))
    return await _until_terminated(serving)


async def _until_terminated(serving: Coroutine[Any, Any, RelayEnd]) -> RelayEnd:
    """Serve until either side ends, or until SIGTERM, which ends it as the agent
    hanging up does: the outcomes of calls already answered are recorded before the
    process exits (killed at once, it would lose one answered a moment before)."""
    if sys.platform == "win32" or threading.current_thread() is not threading.main_thread():
        return await serving
    end = RelayEnd.CLIENT_CLOSED
    async with anyio.create_task_group() as tasks:

        async def serve() -> None:
            nonlocal end
            end = await serving
            tasks.cancel_scope.cancel()

        async def watch() -> None:
            with anyio.open_signal_receiver(signal.SIGTERM) as signals:
                async for _ in signals:
                    tasks.cancel_scope.cancel()
                    return

        tasks.start_soon(watch)
        tasks.start_soon(serve)
    return end


def _command_upstream(command: Sequence[str], env: dict[str, str]) -> UpstreamStreams:
    """The upstream server as a child process: on pipes the relay reads and writes
    itself, or (on Windows) through the SDK's stdio client."""
    if sys.platform == "win32":
        executable, *args = command
        params = StdioServerParameters(command=executable, args=args, env=env)
        return cast(UpstreamStreams, stdio_client(params, errlog=sys.stderr))
    return cast(UpstreamStreams, child_process(command, env))


#: The upstream's streams, once entered: a child process's, or an HTTP server's.
UpstreamStreams = AbstractAsyncContextManager[
    tuple[ReadStream[SessionMessage | Exception], WriteStream[SessionMessage]]
]


@asynccontextmanager
async def _http_upstream(upstream: HttpUpstream) -> AsyncIterator[Any]:
    async with upstream.client() as client, upstream.connect(client) as streams:
        yield streams


async def _with_std_fds(serving: Coroutine[Any, Any, RelayEnd]) -> RelayEnd:
    was_blocking = {fd: _blocking(fd) for fd in (0, 1)}
    try:
        return await serving
    finally:
        for fd, blocking in was_blocking.items():
            if blocking:
                # stdin and stdout may be a terminal shared with the shell that started us.
                with suppress(OSError):
                    os.set_blocking(fd, True)


async def _serve(relay: McpRelay, upstream: UpstreamStreams) -> RelayEnd:
    if not _pollable(0):
        return await _serve_sdk_stdin(relay, upstream)
    client_read, client_write = fd_streams(0, 1)
    try:
        async with upstream as (upstream_read, upstream_write):
            return await relay.run(client_read, client_write, upstream_read, upstream_write)
    finally:
        await client_read.aclose()  # stdin stays open; it is no longer watched


async def _serve_sdk_stdin(relay: McpRelay, upstream: UpstreamStreams) -> RelayEnd:
    """For a stdin that cannot be polled (a regular file, a character device): the
    SDK's stdio server transport, which reads it in a worker thread."""
    with anyio.CancelScope() as agent_side:
        async with stdio_server(stdout=cast(Any, _TextOutput(1))) as (client_read, client_write):
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


class _TextOutput:
    """stdout for the SDK's transport: one JSON-RPC line per write, written directly."""

    def __init__(self, fd: int) -> None:
        self._out = FdWriter(fd, raise_when_closed=False)

    async def write(self, text: str) -> None:
        await self._out.write(text.encode("utf-8"))

    async def flush(self) -> None:
        return None


def _blocking(fd: int) -> bool:
    try:
        return os.get_blocking(fd)
    except OSError:
        return False


def _pollable(fd: int) -> bool:
    """Whether ``fd`` is a pipe or socket (which the event loop can wait on)."""
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
