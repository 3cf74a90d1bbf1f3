"""Rate limits shared by every gateway replica, counted in Redis by one atomic script.

The script runs GCRA for all of a call's buckets at once: it reads every bucket,
and writes them only if none refuses, so a call is counted everywhere or nowhere.
It takes ``now`` from the Redis server (``TIME``), not from the replicas: their
clocks differ, and a replica whose clock runs ahead would otherwise drain buckets
early for everyone. Buckets are plain string keys that expire when they would be
full again, so Redis holds only live buckets.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from enum import StrEnum
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from proctor.errors import InvalidInput
from proctor.monitor._ratelimit_local import (
    DEFAULT_MAX_KEYS,
    Bucketing,
    LocalRateLimiter,
    RuleIndex,
    refusal,
)
from proctor.monitor._ratelimit_result import CallKey, LimitResult, RateLimiter
from proctor.monitor._ratelimit_rules import RateLimitRule

log = logging.getLogger("proctor.monitor.ratelimit")

DEFAULT_KEY_PREFIX = "proctor:rl:"
DEFAULT_CONNECT_TIMEOUT_S = 0.25
DEFAULT_TIMEOUT_S = 0.25
DEFAULT_RETRY_INTERVAL_S = 1.0
_SETTING = "invalid_rate_limit_setting"
_NO_RULE = LimitResult(allowed=True)

# KEYS[i]: bucket i. ARGV[2i-1]: its interval, ARGV[2i]: its window (µs, integers).
# Reply: {1, remaining} when allowed; {0, i, wait µs} naming the bucket that refuses
# with the longest wait. Numbers are written with %.0f: Lua's default formatting
# keeps only 14 digits, and a TAT in µs has 16.
GCRA_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tats = {}
local refused, longest, remaining = 0, 0, -1
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i - 1])
  local window = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  local new_tat = tat + interval
  local wait = new_tat - window - now
  if wait > 0 then
    if wait > longest then refused, longest = i, wait end
  else
    tats[i] = new_tat
    local left = math.floor((window - (new_tat - now)) / interval)
    if remaining < 0 or left < remaining then remaining = left end
  end
end
if refused > 0 then return {0, refused, longest} end
for i = 1, #KEYS do
  local ttl = math.ceil((tats[i] - now) / 1000)
  redis.call('SET', KEYS[i], string.format('%.0f', tats[i]), 'PX', ttl)
end
return {1, remaining}
"""


class OnError(StrEnum):
    """What happens to calls while Redis does not answer."""

    DENY = "deny"
    LOCAL = "local"


def _on_error(value: str) -> OnError:
    try:
        return OnError(value)
    except ValueError:
        raise InvalidInput(
            f"rate_limit_on_error must be 'deny' or 'local', not {value!r}", code=_SETTING
        ) from None


def _where(url: str) -> str:
    """Where Redis is, for messages: never the password a URL may hold."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return parts.path
    return f"{parts.hostname}:{parts.port or 6379}"


class RedisRateLimiter:
    """Rate limits counted in Redis, global across replicas.

    A Redis problem never raises out of :meth:`hit`. With ``on_error="deny"`` (the
    default) the call is refused as ``unavailable``; with ``"local"`` it is counted
    by an in-process :class:`LocalRateLimiter` with the same rules. Either way the
    outage is logged once, and Redis is tried again at most every
    ``retry_interval_s`` until it answers. Timeouts are short (``connect_timeout_s``,
    ``timeout_s``) and a failed command is not retried: a check must not wait on Redis.
    ``clock`` (monotonic seconds) only paces those retries; buckets run on Redis time.
    """

    def __init__(
        self,
        rules: Iterable[RateLimitRule],
        url: str,
        *,
        on_error: str = "deny",
        key_prefix: str = DEFAULT_KEY_PREFIX,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        retry_interval_s: float = DEFAULT_RETRY_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
        max_local_keys: int = DEFAULT_MAX_KEYS,
    ) -> None:
        self._index = RuleIndex(rules)
        self._on_error = _on_error(on_error)
        self._prefix = key_prefix
        try:
            self._client = redis.Redis.from_url(
                url,
                socket_connect_timeout=connect_timeout_s,
                socket_timeout=timeout_s,
                retry=Retry(NoBackoff(), 0),
                retry_on_timeout=False,
            )
        except ValueError as exc:
            raise InvalidInput(f"the Redis URL is not valid: {exc}", code=_SETTING) from None
        self._script = self._client.register_script(GCRA_SCRIPT)
        self._where = _where(url)
        self._clock = clock
        self._retry_interval = retry_interval_s
        self._local = (
            LocalRateLimiter(self._index.rules, clock=clock, max_keys=max_local_keys)
            if self._on_error is OnError.LOCAL
            else None
        )
        self._lock = threading.Lock()
        self._down = False
        self._reason = ""
        self._next_try = 0.0

    @property
    def rules(self) -> tuple[RateLimitRule, ...]:
        return self._index.rules

    def hit(self, call: CallKey) -> LimitResult:
        """Consume one unit from each matching rule's bucket in Redis, all or nothing."""
        matched = self._index.matching(call.tool)
        if not matched:
            return _NO_RULE
        if self._down and self._clock() < self._next_try:
            return self._fallback(call, self._reason)
        keys = [f"{self._prefix}{b.name}:{b.subject(call)}" for b in matched]
        args = [value for b in matched for value in (b.interval, b.window)]
        try:
            result = _read(self._script(keys=keys, args=args), matched, call)
        # Whatever goes wrong talking to Redis (connection, timeout, a server error,
        # a reply we cannot read) must become a refusal or the fallback, never an
        # exception in the middle of a check.
        except Exception as exc:
            return self._failed(call, exc)
        if self._down:
            self._recovered()
        return result

    def close(self) -> None:
        """Release the connections to Redis."""
        self._client.close()

    def _failed(self, call: CallKey, exc: Exception) -> LimitResult:
        reason = f"{type(exc).__name__}: {exc}"
        with self._lock:
            self._next_try = self._clock() + self._retry_interval
            first = not self._down
            self._down = True
            self._reason = reason
        if first:
            then = (
                "rate limits are counted in this process only until it answers"
                if self._on_error is OnError.LOCAL
                else "calls under rate limits are refused until it answers"
            )
            log.warning("rate limiter: Redis at %s failed (%s); %s", self._where, reason, then)
        return self._fallback(call, reason)

    def _recovered(self) -> None:
        with self._lock:
            was_down, self._down = self._down, False
        if was_down:
            log.info("rate limiter: Redis at %s answers again; limits are global", self._where)

    def _fallback(self, call: CallKey, reason: str) -> LimitResult:
        if self._local is not None:
            return self._local.hit(call)
        return LimitResult(
            allowed=False,
            retry_after=timedelta(seconds=self._retry_interval),
            unavailable=True,
            call=call,
            detail=f"Redis at {self._where}: {reason}",
        )


def _read(reply: object, matched: tuple[Bucketing, ...], call: CallKey) -> LimitResult:
    if not isinstance(reply, list) or not reply:
        raise TypeError(f"unexpected reply from the rate limit script: {reply!r}")
    if reply[0] == 1:
        return LimitResult(allowed=True, remaining=int(reply[1]))
    return refusal(matched[int(reply[1]) - 1], int(reply[2]), call)


def build_rate_limiter(
    rules: Iterable[RateLimitRule],
    *,
    redis_url: str | None,
    on_error: str = "deny",
    key_prefix: str = DEFAULT_KEY_PREFIX,
) -> RateLimiter:
    """The limiter for a gateway: local without ``redis_url``, global through Redis with it."""
    on_error = _on_error(on_error)
    if not redis_url:
        return LocalRateLimiter(rules)
    return RedisRateLimiter(rules, redis_url, on_error=on_error, key_prefix=key_prefix)
