"""Global limits through the real Redis: boundaries, several processes, outages, recovery."""

from __future__ import annotations

import logging
import secrets
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from proctor.errors import InvalidInput
from proctor.monitor import (
    CallKey,
    RedisRateLimiter,
    build_rate_limiter,
    parse_rate_limits,
)
from tests.conftest import service_unavailable

REDIS_URL = "redis://127.0.0.1:6379/0"
LOGGER = "proctor.monitor.ratelimit"
FORUM_POST = CallKey(agent="forum-bot", task="t1", requester="dana", tool="forum.post")


def call(agent: str = "forum-bot", tool: str = "forum.post") -> CallKey:
    return CallKey(agent=agent, task="t1", requester="dana", tool=tool)


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own on the shared Redis, deleted afterwards."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        service_unavailable(f"no Redis server at {REDIS_URL}: {exc}")
    name = f"proctor:test:{secrets.token_hex(6)}:"
    try:
        yield name
    finally:
        keys = list(client.scan_iter(match=f"{name}*"))
        if keys:
            client.delete(*keys)
        client.close()


def redis_limiter(prefix: str, *declarations: str, **kwargs: object) -> RedisRateLimiter:
    return RedisRateLimiter(
        parse_rate_limits(declarations),
        REDIS_URL,
        key_prefix=prefix,
        **kwargs,  # type: ignore[arg-type]
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_exactly_the_limit_is_allowed_in_redis_and_the_next_is_refused(prefix: str) -> None:
    limits = redis_limiter(prefix, "forum.post: 5/hour per agent")
    results = [limits.hit(FORUM_POST) for _ in range(5)]
    assert [result.remaining for result in results] == [4, 3, 2, 1, 0]
    refused = limits.hit(FORUM_POST)
    assert not refused.allowed
    assert refused.code == "rate_limited"
    assert timedelta(minutes=11, seconds=59) < refused.retry_after <= timedelta(minutes=12)
    assert refused.message().startswith("forum.post is limited to 5 per hour per agent;")
    assert limits.hit(call(agent="other-bot")).allowed


def test_the_window_slides_on_redis_time_not_the_replica_clock(prefix: str) -> None:
    frozen = 0.0
    limits = redis_limiter(prefix, "forum.post: 4/second per agent", clock=lambda: frozen)
    assert [limits.hit(FORUM_POST).allowed for _ in range(5)] == [True] * 4 + [False]
    refused = limits.hit(FORUM_POST)
    assert refused.retry_after <= timedelta(milliseconds=250)
    time.sleep(refused.retry_after.total_seconds() + 0.01)
    assert limits.hit(FORUM_POST).allowed
    assert not limits.hit(FORUM_POST).allowed


def test_several_rules_in_redis_are_all_or_nothing(prefix: str) -> None:
    limits = redis_limiter(prefix, "forum.post: 1/hour per agent", "*: 3/hour per task")
    assert limits.hit(call()).allowed
    assert not limits.hit(call()).allowed
    assert not limits.hit(call()).allowed
    # The two refused calls took nothing from the task's bucket: 2 of 3 are left.
    assert limits.hit(call(tool="forum.read")).remaining == 1
    assert limits.hit(call(tool="forum.read")).remaining == 0
    assert not limits.hit(call(tool="forum.read")).allowed


def test_bucket_keys_expire_when_they_would_be_full_again(prefix: str) -> None:
    limits = redis_limiter(prefix, "forum.post: 5/hour per agent")
    limits.hit(FORUM_POST)
    client = redis.Redis.from_url(REDIS_URL)
    try:
        (key,) = client.scan_iter(match=f"{prefix}*")
        assert 0 < client.pttl(key) <= 12 * 60 * 1000
        assert key.decode().endswith(":forum-bot")
    finally:
        client.close()


WORKER = textwrap.dedent(
    """
    import sys
    from proctor.monitor import CallKey, RedisRateLimiter, parse_rate_limits

    url, prefix, start_at = sys.argv[1], sys.argv[2], float(sys.argv[3])
    limits = RedisRateLimiter(
        parse_rate_limits(["forum.*: 25/hour per global"]), url, key_prefix=prefix
    )
    import time
    time.sleep(max(0.0, start_at - time.time()))
    allowed = 0
    for n in range(40):
        result = limits.hit(CallKey("bot-%d" % n, "t", "dana", "forum.post"))
        assert not result.unavailable, result.message()
        allowed += result.allowed
    print(allowed)
    """
)


def test_two_processes_on_one_redis_share_the_limit(prefix: str, tmp_path: Path) -> None:
    start_at = str(time.time() + 1.0)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, REDIS_URL, prefix, start_at],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        for _ in range(2)
    ]
    counts = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        counts.append(int(out))
    assert sum(counts) == 25


def test_redis_down_under_deny_refuses_as_unavailable(caplog: pytest.LogCaptureFixture) -> None:
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    limits = RedisRateLimiter(parse_rate_limits(["forum.post: 5/hour per agent"]), url)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        results = [limits.hit(FORUM_POST) for _ in range(3)]
    assert all(not result.allowed and result.unavailable for result in results)
    assert results[0].code == "rate_limiter_unavailable"
    assert "could not be checked" in results[0].message()
    assert results[0].retry_after > timedelta(0)
    assert len([r for r in caplog.records if r.name == LOGGER]) == 1
    assert "hunter2" not in caplog.text
    assert all("hunter2" not in result.message() for result in results)
    # A call no rule covers does not need Redis.
    assert limits.hit(call(tool="forum.read")).allowed


def test_redis_down_under_local_applies_local_limits_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limits = RedisRateLimiter(
        parse_rate_limits(["forum.post: 3/hour per agent"]),
        f"redis://127.0.0.1:{free_port()}/0",
        on_error="local",
        retry_interval_s=0,
    )
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        results = [limits.hit(FORUM_POST) for _ in range(5)]
    assert [result.allowed for result in results] == [True] * 3 + [False] * 2
    assert not results[-1].unavailable
    assert results[-1].code == "rate_limited"
    warnings = [r for r in caplog.records if r.name == LOGGER]
    assert len(warnings) == 1
    assert "counted in this process only" in warnings[0].getMessage()


def test_a_redis_that_hangs_costs_one_short_timeout() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts connections at the kernel, never answers
        port = silent.getsockname()[1]
        limits = RedisRateLimiter(
            parse_rate_limits(["forum.post: 3/hour per agent"]),
            f"redis://127.0.0.1:{port}/0",
            timeout_s=0.2,
        )
        started = time.monotonic()
        result = limits.hit(FORUM_POST)
        assert time.monotonic() - started < 1.0
        assert result.unavailable
        # Until the retry interval passes, calls do not wait on Redis at all.
        started = time.monotonic()
        assert limits.hit(FORUM_POST).unavailable
        assert time.monotonic() - started < 0.05
        limits.close()


def test_bad_settings_are_refused() -> None:
    rules = parse_rate_limits(["forum.post: 3/hour per agent"])
    with pytest.raises(InvalidInput) as error:
        build_rate_limiter(rules, redis_url=REDIS_URL, on_error="allow")
    assert error.value.code == "invalid_rate_limit_setting"
    with pytest.raises(InvalidInput) as error:
        build_rate_limiter(rules, redis_url="http://127.0.0.1:6379", on_error="deny")
    assert error.value.code == "invalid_rate_limit_setting"
    built = build_rate_limiter(rules, redis_url=REDIS_URL, on_error="local")
    assert isinstance(built, RedisRateLimiter)
    built.close()


class ThrowawayRedis:
    """A redis-server of the test's own, on a free port, that the test may kill."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = tmp_path
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self._dir)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None

    def keys(self) -> list[bytes]:
        client = redis.Redis.from_url(self.url)
        try:
            return list(client.scan_iter())
        finally:
            client.close()

    def script_flush(self) -> None:
        client = redis.Redis.from_url(self.url)
        try:
            client.script_flush()
        finally:
            client.close()


@pytest.fixture
def throwaway(tmp_path: Path) -> Iterator[ThrowawayRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not on PATH: cannot start and kill a Redis of our own")
    server = ThrowawayRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("on_error", ["deny", "local"])
def test_after_an_outage_limits_go_back_to_redis(
    throwaway: ThrowawayRedis, on_error: str, caplog: pytest.LogCaptureFixture
) -> None:
    limits = RedisRateLimiter(
        parse_rate_limits(["forum.post: 3/hour per agent"]),
        throwaway.url,
        on_error=on_error,
        retry_interval_s=0,
    )
    assert limits.hit(FORUM_POST).allowed
    assert len(throwaway.keys()) == 1
    throwaway.stop()
    with caplog.at_level(logging.INFO, logger=LOGGER):
        during = [limits.hit(FORUM_POST) for _ in range(4)]
        if on_error == "deny":
            assert all(result.unavailable for result in during)
        else:
            assert [result.allowed for result in during] == [True] * 3 + [False]
        throwaway.start()
        back = limits.hit(FORUM_POST)
    assert back.allowed
    assert back.remaining == 2
    assert len(throwaway.keys()) == 1
    messages = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert len(messages) == 2
    assert "failed" in messages[0]
    assert "answers again" in messages[1]
    limits.close()


def test_a_flushed_script_is_loaded_again(throwaway: ThrowawayRedis) -> None:
    limits = RedisRateLimiter(parse_rate_limits(["forum.post: 3/hour per agent"]), throwaway.url)
    assert limits.hit(FORUM_POST).remaining == 2
    throwaway.script_flush()
    assert limits.hit(FORUM_POST).remaining == 1
    limits.close()
