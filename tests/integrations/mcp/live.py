"""Real processes on loopback for the HTTP proxy's tests: the toy server over streamable
HTTP, and ``proctor mcp-proxy --listen`` in front of it."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO

from tests.integrations.mcp.conftest import TOY_SERVER, Setup

#: Seconds a process may take to say it is listening.
START_TIMEOUT_S = 30.0


@dataclass
class Live:
    """A process that announced the URL it serves."""

    process: subprocess.Popen[str]
    url: str
    output: list[str] = field(default_factory=list)
    readers: list[threading.Thread] = field(default_factory=list)

    def kill(self) -> None:
        """Stop it at once (a crash, as far as its clients can tell)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self._close()

    def stop(self) -> int:
        """Interrupt it and wait; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._close()
        return self.process.returncode

    def _close(self) -> None:
        for reader in self.readers:
            reader.join(timeout=5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def _lines(stream: IO[str], into: queue.Queue[str], kept: list[str]) -> None:
    for line in stream:
        kept.append(line)
        into.put(line)


def _start(command: list[str], env: Mapping[str, str], announce: str, stream: str) -> Live:
    """Start ``command``; wait until a line of its ``stream`` matches ``announce``."""
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if stream == "stderr" else subprocess.DEVNULL,
        text=True,
        env={**os.environ, **env},
    )
    lines: queue.Queue[str] = queue.Queue()
    kept: list[str] = []
    watched = process.stderr if stream == "stderr" else process.stdout
    assert watched is not None
    readers = [threading.Thread(target=_lines, args=(watched, lines, kept), daemon=True)]
    if stream == "stderr":
        assert process.stdout is not None
        drain = (process.stdout, queue.Queue(), [])
        readers.append(threading.Thread(target=_lines, args=drain, daemon=True))
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.1)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        found = re.search(announce, line)
        if found:
            return Live(process, found.group(1), kept, readers)
    Live(process, "", kept, readers).kill()
    raise RuntimeError(f"{command[:4]} did not start: {''.join(kept)[-2000:]}")


@contextmanager
def toy_http(setup: Setup) -> Iterator[Live]:
    """The toy server over streamable HTTP on a free loopback port."""
    live = _start(
        [sys.executable, str(TOY_SERVER), "--http"],
        {**setup.env, "TOY_AUTH_LOG": str(setup.home.parent / "auth.log")},
        r"listening (\d+)",
        "stdout",
    )
    live.url = f"http://127.0.0.1:{live.url}/mcp"
    try:
        yield live
    finally:
        live.kill()


def seen_authorization(setup: Setup) -> list[str]:
    """The ``Authorization`` headers the toy server received (``-``: none)."""
    path = setup.home.parent / "auth.log"
    return path.read_text(encoding="utf-8").split("\n")[:-1] if path.exists() else []


def proxy_command(setup: Setup, upstream: str, *options: str) -> list[str]:
    """``proctor mcp-proxy`` on the setup's data directory, for ``upstream``."""
    return [
        sys.executable,
        "-m",
        "proctor",
        "mcp-proxy",
        "--data-dir",
        str(setup.home),
        "--server",
        "toy",
        "--upstream",
        upstream,
        *options,
    ]


@contextmanager
def http_proxy(
    setup: Setup, upstream: str, *options: str, env: Mapping[str, str] | None = None
) -> Iterator[Live]:
    """``proctor mcp-proxy --listen 127.0.0.1:0`` in front of ``upstream``."""
    command = proxy_command(setup, upstream, "--listen", "127.0.0.1:0", *options)
    live = _start(
        command,
        {"PROCTOR_TOKEN": setup.token, **(env or {})},
        r"listening on (http://\S+)",
        "stderr",
    )
    try:
        yield live
    finally:
        live.stop()
