"""The stdio relay's line reader: watched by the event loop once, read only while a task
waits for a line, and stopped cleanly."""

from __future__ import annotations

import asyncio
import os
import selectors
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import anyio
import pytest

from proctor.integrations.mcp._pipes import LineReader

TIMEOUT_S = 10.0


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    """A pipe; a test closes its write end with :func:`_hang_up` (each end closed once)."""
    read_fd, write_fd = os.pipe()
    yield read_fd, write_fd
    os.close(read_fd)
    if write_fd not in _hung_up:
        os.close(write_fd)
    _hung_up.discard(write_fd)


_hung_up: set[int] = set()


def _hang_up(write_fd: int) -> None:
    os.close(write_fd)
    _hung_up.add(write_fd)


class _CountingLoop(asyncio.SelectorEventLoop):
    """A selector loop that counts descriptor registrations."""

    added = 0

    def add_reader(self, fd: Any, callback: Callable[..., object], *args: Any) -> None:
        type(self).added += 1
        super().add_reader(fd, callback, *args)


class _ProactorLike(asyncio.SelectorEventLoop):
    """A loop that cannot watch descriptors (as Windows' proactor loop)."""

    def add_reader(self, fd: Any, callback: Callable[..., object], *args: Any) -> None:
        raise NotImplementedError


def _run(main: Callable[[], Awaitable[None]], loop_factory: Callable[[], Any]) -> None:
    async def bounded() -> None:
        with anyio.fail_after(TIMEOUT_S):
            await main()

    anyio.run(bounded, backend="asyncio", backend_options={"loop_factory": loop_factory})


def _watched(fd: int) -> bool:
    """Whether the running (selector) loop watches ``fd``."""
    loop = asyncio.get_running_loop()
    assert isinstance(loop, asyncio.SelectorEventLoop)
    selector: selectors.BaseSelector = loop._selector  # type: ignore[attr-defined]
    return fd in selector.get_map()


def test_lines_come_whole_and_the_descriptor_is_watched_once(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    _CountingLoop.added = 0
    got: list[bytes | None] = []

    async def main() -> None:
        reader = LineReader(read_fd)
        for index in range(20):

            async def write_later(index: int = index) -> None:
                await anyio.sleep(0.001)
                os.write(write_fd, f'{{"n": {index}'.encode())
                await anyio.sleep(0.001)
                os.write(write_fd, b"}\n")

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(write_later)
                got.append(await reader.line())
        os.write(write_fd, b"tail without newline")
        _hang_up(write_fd)
        got.append(await reader.line())
        got.append(await reader.line())
        assert not _watched(read_fd)  # the end seen, no longer watched

    _run(main, _CountingLoop)
    assert got[:20] == [f'{{"n": {index}}}\n'.encode() for index in range(20)]
    assert got[20:] == [b"tail without newline", None]
    assert _CountingLoop.added == 1


def test_nothing_is_read_while_no_task_waits(pipe: tuple[int, int]) -> None:
    """A side that writes while the relay is busy fills its pipe (backpressure), it does
    not fill the proxy's memory."""
    read_fd, write_fd = pipe

    async def main() -> None:
        reader = LineReader(read_fd)
        os.write(write_fd, b"first\n")
        assert await reader.line() == b"first\n"
        os.write(write_fd, b"second\n")
        for _ in range(5):
            await anyio.lowlevel.checkpoint()
        assert not _watched(read_fd)  # readable with nobody waiting: watching paused
        assert os.read(read_fd, 1) == b"s"  # still in the pipe, not read into memory
        assert await reader.line() == b"econd\n"

    _run(main, asyncio.SelectorEventLoop)


def test_closing_wakes_a_waiting_line_and_stops_watching(pipe: tuple[int, int]) -> None:
    read_fd, _ = pipe
    raised: list[type[BaseException]] = []

    async def main() -> None:
        reader = LineReader(read_fd)

        async def wait_for_a_line() -> None:
            try:
                await reader.line()
            except anyio.ClosedResourceError as exc:
                raised.append(type(exc))

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(wait_for_a_line)
            await anyio.sleep(0.01)
            assert _watched(read_fd)
            reader.close()
        assert not _watched(read_fd)
        with pytest.raises(anyio.ClosedResourceError):
            await reader.line()

    _run(main, asyncio.SelectorEventLoop)
    assert raised == [anyio.ClosedResourceError]


def test_a_cancelled_wait_leaves_the_reader_usable(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe

    async def main() -> None:
        reader = LineReader(read_fd)
        with anyio.move_on_after(0.01):
            await reader.line()
        os.write(write_fd, b"after\n")
        assert await reader.line() == b"after\n"

    _run(main, asyncio.SelectorEventLoop)


def test_a_loop_that_cannot_watch_descriptors_waits_each_time(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    got: list[bytes | None] = []

    async def main() -> None:
        reader = LineReader(read_fd)

        async def write_later() -> None:
            await anyio.sleep(0.01)
            os.write(write_fd, b"one\ntwo\n")
            _hang_up(write_fd)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(write_later)
            for _ in range(3):
                got.append(await reader.line())
        reader.close()

    _run(main, _ProactorLike)
    assert got == [b"one\n", b"two\n", None]
