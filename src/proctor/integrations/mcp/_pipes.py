"""JSON-RPC messages over pipes, read and written where the relay runs.

The SDK's stdio transports put two tasks and two memory streams between a pipe and
their user: a line is read by one task, parsed, handed over, relayed, handed to a
writer task, serialized and written. Through the proxy a ``tools/call`` round trip
crossed eight such hand-overs, each a turn of the event loop. Here the relay itself
reads a line, parses it with the SDK's own message model
(``types.jsonrpc_message_adapter``, so what is and is not a JSON-RPC message is
exactly the SDK's rule) and writes what it judged, serialized as the SDK does: the
upstream server and the agent get the message the proxy understood, never the bytes
it was sent (a line with a key twice cannot mean one thing to the proxy and another
to the server).

:func:`child_process` starts the upstream server with its stdin and stdout on pipes
of ours, and stops it as the SDK's client does when the relay ends: its stdin
closed, a grace period, then its whole process group terminated.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from types import TracebackType
from typing import IO, Any, Self

import anyio
import mcp_types as types
from anyio.abc import Process
from mcp.os.posix.utilities import terminate_posix_process_tree
from mcp.shared.message import SessionMessage

#: Seconds the upstream server has to exit on its own once its stdin is closed.
EXIT_GRACE_S = 2.0
#: Seconds between SIGTERM and SIGKILL for what is left of its process group.
KILL_AFTER_S = 2.0
_READ_CHUNK = 65536
_EXIT_POLL_S = 0.01


class LineReader:
    """Lines from a pipe or socket, read without a worker thread (so the relay can stop
    without waiting for the other side to write or close).

    On asyncio the descriptor is watched by the running loop itself (``add_reader``),
    registered once rather than for every wait, and read in the loop's readiness
    callback: a line that arrives costs one read and one wake-up of the task waiting
    for it, not a failed read, a registration with the poller and its removal. It is
    read only while a task waits for a line, so a side that writes faster than the
    relay goes blocks on its full pipe. Elsewhere (another backend, a loop that cannot
    watch descriptors) each wait is :func:`anyio.wait_readable`.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()
        self._ended = False
        self._closed = False
        #: The loop watching the descriptor; None until the first wait, or on the
        #: fallback (then :attr:`_polls` is set).
        self._loop: asyncio.AbstractEventLoop | None = None
        self._polls = False
        self._watching = False
        self._waiter: asyncio.Future[None] | None = None
        os.set_blocking(fd, False)

    async def line(self) -> bytes | None:
        """The next line, newline included; None once the other side closed."""
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0:
                line = bytes(self._buffer[: end + 1])
                del self._buffer[: end + 1]
                return line
            if self._ended:
                rest, self._buffer = bytes(self._buffer), bytearray()
                return rest or None
            await self._fill()

    def close(self) -> None:
        """Stop reading: the descriptor is no longer watched (its owner closes it), and a
        :meth:`line` still waiting raises :class:`anyio.ClosedResourceError`."""
        if self._closed:
            return
        self._closed = True
        if self._polls or self._loop is None:
            anyio.notify_closing(self._fd)
            return
        self._unwatch()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(anyio.ClosedResourceError())

    async def _fill(self) -> None:
        """Wait until more of the stream is in the buffer, or its end."""
        if self._closed:
            raise anyio.ClosedResourceError
        loop = self._loop if self._loop is not None or self._polls else self._watching_loop()
        if loop is None:
            await self._poll()
            return
        waiter = self._waiter = loop.create_future()
        try:
            if not self._watching:
                loop.add_reader(self._fd, self._readable)
                self._watching = True
            await waiter
        finally:
            self._waiter = None

    def _watching_loop(self) -> asyncio.AbstractEventLoop | None:
        """Watch the descriptor from now on with the running asyncio loop, which returns
        it; None, and the fallback from now on, when there is none or it cannot."""
        try:
            loop = asyncio.get_running_loop()
            loop.add_reader(self._fd, self._readable)
        except (RuntimeError, NotImplementedError):  # not asyncio; a proactor loop
            self._polls = True
            return None
        self._loop, self._watching = loop, True
        return loop

    def _readable(self) -> None:
        """The loop's readiness callback: read for the task waiting for a line; with no
        task waiting, stop watching (the next wait watches again)."""
        waiter = self._waiter
        if waiter is None or waiter.done():
            self._unwatch()
            return
        self._read()  # woken for nothing (False): the waiting task waits again
        if self._ended:
            self._unwatch()
        waiter.set_result(None)

    def _unwatch(self) -> None:
        if self._watching and self._loop is not None:
            self._watching = False
            self._loop.remove_reader(self._fd)

    def _read(self) -> bool:
        """Read what there is into the buffer (at the end, or a reset, mark it ended);
        False when there was nothing yet."""
        try:
            chunk = os.read(self._fd, _READ_CHUNK)
        except BlockingIOError:
            return False
        except OSError:
            chunk = b""  # a reset connection: the other side is gone
        if chunk:
            self._buffer += chunk
        else:
            self._ended = True
        return True

    async def _poll(self) -> None:
        """The fallback: read what there is, else wait until there is something."""
        if not self._read():
            await anyio.wait_readable(self._fd)


class FdWriter:
    """Writes whole lines to a pipe or socket, without a worker thread.

    A write that fits the pipe takes no turn of the event loop; one that does not is
    finished before any other write starts, so lines never interleave.
    """

    def __init__(self, fd: int, *, raise_when_closed: bool) -> None:
        self._fd = fd
        self._raise = raise_when_closed
        self._closed = False
        self._lock = anyio.Lock()
        os.set_blocking(fd, False)

    async def write(self, data: bytes) -> None:
        """Write ``data`` whole. When the reader is gone: raise
        :class:`anyio.BrokenResourceError` if so configured, else drop it."""
        if self._closed:
            self._gone()
            return
        if self._lock.locked():
            async with self._lock:
                await self._write_all(memoryview(data))
            return
        rest = self._write_some(memoryview(data))
        if rest:
            self._lock.acquire_nowait()
            try:
                await self._write_all(rest)
            finally:
                self._lock.release()

    def close(self) -> None:
        """Close the descriptor (the reader sees the end)."""
        if not self._closed:
            self._closed = True
            anyio.notify_closing(self._fd)
            os.close(self._fd)

    async def _write_all(self, data: memoryview) -> None:
        while data:
            data = self._write_some(data)
            if data:
                await anyio.wait_writable(self._fd)

    def _write_some(self, data: memoryview) -> memoryview:
        if self._closed:
            self._gone()
            return data[:0]
        try:
            written = os.write(self._fd, data)
        except BlockingIOError:
            return data
        except (BrokenPipeError, ConnectionResetError):
            self._closed = True
            self._gone()
            return data[:0]
        return data[written:]

    def _gone(self) -> None:
        if self._raise:
            raise anyio.BrokenResourceError


class _Borrowed:
    """A stream over descriptors owned by whoever made it: closing the stream (or
    leaving it as a context manager) leaves them open."""

    async def aclose(self) -> None:
        return None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class MessageReader(_Borrowed):
    """The SDK's message stream protocol over a :class:`LineReader`: each item a parsed
    JSON-RPC message, or the exception a line that is not one raised."""

    def __init__(self, lines: LineReader) -> None:
        self._lines = lines

    async def aclose(self) -> None:
        """Stop reading (the descriptor stays open: its owner closes it)."""
        self._lines.close()

    async def receive(self) -> SessionMessage | Exception:
        """The next message; :class:`anyio.EndOfStream` once the other side closed."""
        line = await self._lines.line()
        if line is None:
            raise anyio.EndOfStream
        try:
            text = line.decode("utf-8", errors="replace")
            return SessionMessage(types.jsonrpc_message_adapter.validate_json(text, by_name=False))
        except Exception as exc:
            return exc

    def __aiter__(self) -> MessageReader:
        return self

    async def __anext__(self) -> SessionMessage | Exception:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None


class MessageWriter(_Borrowed):
    """The SDK's message stream protocol over an :class:`FdWriter`: each message one
    line, serialized as the SDK's stdio transports do."""

    def __init__(self, out: FdWriter) -> None:
        self._out = out

    async def send(self, item: SessionMessage, /) -> None:
        """Write one message as one line."""
        text = item.message.model_dump_json(by_alias=True, exclude_unset=True)
        await self._out.write(text.encode("utf-8") + b"\n")


def fd_streams(read_fd: int, write_fd: int) -> tuple[MessageReader, MessageWriter]:
    """Message streams on this process's own descriptors (the agent's side): a write
    to an agent that went away is dropped (its side's end ends the relay)."""
    return MessageReader(LineReader(read_fd)), MessageWriter(
        FdWriter(write_fd, raise_when_closed=False)
    )


@asynccontextmanager
async def child_process(
    command: Sequence[str], env: Mapping[str, str], errlog: IO[Any] = sys.stderr
) -> AsyncIterator[tuple[MessageReader, MessageWriter]]:
    """Start ``command`` in a session of its own with its stdin and stdout on pipes of
    ours; yields message streams on them. On exit its stdin is closed, it has
    :data:`EXIT_GRACE_S` to exit, then its process group is terminated."""
    child_stdin, to_child = os.pipe()
    from_child, child_stdout = os.pipe()
    try:
        process = await anyio.open_process(
            list(command),
            stdin=child_stdin,
            stdout=child_stdout,
            stderr=errlog,
            env=dict(env),
            start_new_session=True,
        )
    except BaseException:
        for fd in (to_child, from_child):
            os.close(fd)
        raise
    finally:
        os.close(child_stdin)
        os.close(child_stdout)
    reader, writer = LineReader(from_child), FdWriter(to_child, raise_when_closed=True)
    try:
        yield MessageReader(reader), MessageWriter(writer)
    finally:
        with anyio.CancelScope(shield=True):
            writer.close()
            await _stop(process)
            reader.close()
            os.close(from_child)


async def _stop(process: Process) -> None:
    """Let the server exit on its own, else terminate its process group."""
    if not await _exited(process, EXIT_GRACE_S):
        with suppress(ProcessLookupError, PermissionError):
            await terminate_posix_process_tree(process, KILL_AFTER_S)
        await _exited(process, KILL_AFTER_S)
    with anyio.move_on_after(KILL_AFTER_S), suppress(Exception):
        await process.aclose()


async def _exited(process: Process, within: float) -> bool:
    with anyio.move_on_after(within):
        while process.returncode is None:
            await anyio.sleep(_EXIT_POLL_S)
        return True
    return False
