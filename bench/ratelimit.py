"""What one rate-limit check costs: the local limiter with 1, 5 and 20 rules, and Redis.

    python bench/ratelimit.py                 # local 1/5/20 rules, Redis 1/5/20 rules
    python bench/ratelimit.py --quick         # fewer calls
    python bench/ratelimit.py --redis-url redis://127.0.0.1:6379/0
    python bench/ratelimit.py --no-redis

Every configured rule matches the benchmarked tool (the worst case: the cost is per
matching rule), with scopes spread over agent, task, requester, tool and global. Calls
come from 1,000 agents on 200 tasks for 50 requesters, so the buckets are many and
distinct, and limits are high enough that every call is allowed (the path that writes
every bucket). Each ``hit`` is timed on its own (``perf_counter_ns``), with the garbage
collector off during a run; the figures are median and p99 in microseconds.
"""

from __future__ import annotations

import argparse
import gc
import os
import secrets
import time
from collections.abc import Sequence

from proctor.monitor import (
    CallKey,
    LocalRateLimiter,
    RateLimiter,
    RateLimitRule,
    RedisRateLimiter,
    parse_rate_limit,
)

PATTERNS = ("*", "forum.*", "forum.post", "forum.p*", "f*")
SCOPES = ("agent", "task", "requester", "tool", "global")


def rules(count: int) -> list[RateLimitRule]:
    return [
        parse_rate_limit(
            f"{PATTERNS[n % len(PATTERNS)]}: {1_000_000 - n}/second per {SCOPES[n % len(SCOPES)]}"
        )
        for n in range(count)
    ]


def calls(count: int) -> list[CallKey]:
    return [
        CallKey(agent=f"agent-{n % 1000}", task=f"task-{n % 200}", requester=f"person-{n % 50}",
                tool="forum.post")
        for n in range(count)
    ]  # fmt: skip


def timed(limiter: RateLimiter, keys: Sequence[CallKey]) -> list[int]:
    clock = time.perf_counter_ns
    samples = []
    for key in keys[:1000]:
        limiter.hit(key)  # warm up: caches, connections, the script
    gc.collect()
    gc.disable()
    try:
        for key in keys:
            started = clock()
            result = limiter.hit(key)
            samples.append(clock() - started)
            if not result.allowed:
                raise SystemExit(f"unexpected refusal: {result.message()}")
    finally:
        gc.enable()
    return samples


def percentile(samples: Sequence[int], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] / 1000


def report(name: str, samples: Sequence[int]) -> None:
    print(
        f"{name:<24} median {percentile(samples, 0.5):8.2f} µs   "
        f"p99 {percentile(samples, 0.99):8.2f} µs   ({len(samples):,} calls)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--no-redis", action="store_true", help="only the local limiter")
    args = parser.parse_args()
    local_calls = calls(20_000 if args.quick else 200_000)
    redis_calls = calls(2_000 if args.quick else 20_000)

    print(f"load average (1 min): {os.getloadavg()[0]:.2f}")
    for count in (1, 5, 20):
        report(f"local, {count} rules", timed(LocalRateLimiter(rules(count)), local_calls))
    if args.no_redis:
        return
    prefix = f"proctor:bench:{secrets.token_hex(4)}:"
    for count in (1, 5, 20):
        limiter = RedisRateLimiter(rules(count), args.redis_url, key_prefix=prefix)
        probe = limiter.hit(local_calls[0])
        if probe.unavailable:
            print(f"redis: {probe.message()}")
            return
        report(f"redis, {count} rules", timed(limiter, redis_calls))
        limiter.close()
    print(f"(Redis keys under {prefix} expire within a second)")


if __name__ == "__main__":
    main()
