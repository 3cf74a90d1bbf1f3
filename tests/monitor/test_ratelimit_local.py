"""The in-process limiter: GCRA at its boundaries, scopes, patterns, all-or-nothing, memory."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proctor.monitor import (
    CallKey,
    LimitResult,
    LocalRateLimiter,
    build_rate_limiter,
    parse_rate_limit,
    parse_rate_limits,
)


class Clock:
    """A monotonic clock the test moves by hand (seconds)."""

    def __init__(self) -> None:
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, by: timedelta | float) -> None:
        self.now += by.total_seconds() if isinstance(by, timedelta) else by


def call(
    tool: str = "forum.post", agent: str = "forum-bot", task: str = "t1", requester: str = "dana"
) -> CallKey:
    return CallKey(agent=agent, task=task, requester=requester, tool=tool)


def limiter(*declarations: str, clock: Clock | None = None, **kwargs: int) -> LocalRateLimiter:
    return LocalRateLimiter(parse_rate_limits(declarations), clock=clock or Clock(), **kwargs)


def allowed(limits: LocalRateLimiter, key: CallKey, times: int) -> int:
    return sum(limits.hit(key).allowed for _ in range(times))


def test_exactly_the_limit_is_allowed_and_the_next_call_is_refused_with_its_wait() -> None:
    limits = limiter("forum.post: 5/hour per agent")
    results = [limits.hit(call()) for _ in range(5)]
    assert all(result.allowed for result in results)
    assert [result.remaining for result in results] == [4, 3, 2, 1, 0]
    refused = limits.hit(call())
    assert not refused.allowed
    assert refused.code == "rate_limited"
    assert refused.retry_after == timedelta(minutes=12)
    assert refused.rule == parse_rate_limit("forum.post: 5/hour per agent")
    assert refused.message() == (
        "forum.post is limited to 5 per hour per agent; forum-bot may call again in 12 minutes"
    )


def test_the_window_slides_one_call_per_interval_and_refills_after_a_period() -> None:
    clock = Clock()
    limits = limiter("forum.post: 5/hour per agent", clock=clock)
    assert allowed(limits, call(), 5) == 5
    clock.advance(timedelta(minutes=12) - timedelta(microseconds=1))
    assert limits.hit(call()).retry_after == timedelta(microseconds=1)
    clock.advance(timedelta(microseconds=1))
    assert limits.hit(call()).allowed
    assert not limits.hit(call()).allowed
    clock.advance(timedelta(minutes=30))
    assert allowed(limits, call(), 5) == 2
    clock.advance(timedelta(hours=1))
    assert allowed(limits, call(), 10) == 5


def test_a_refused_call_consumes_nothing() -> None:
    clock = Clock()
    limits = limiter("forum.post: 2/minute per agent", clock=clock)
    assert allowed(limits, call(), 2) == 2
    for _ in range(100):
        assert not limits.hit(call()).allowed
    clock.advance(30)
    assert limits.hit(call()).allowed


def test_the_retry_after_is_exactly_when_the_call_would_pass() -> None:
    clock = Clock()
    limits = limiter("forum.post: 7/hour per agent", clock=clock)
    allowed(limits, call(), 7)
    refused = limits.hit(call())
    clock.advance(refused.retry_after - timedelta(microseconds=1))
    assert not limits.hit(call()).allowed
    clock.advance(timedelta(microseconds=1))
    assert limits.hit(call()).allowed


def test_a_burst_smaller_than_the_limit_spaces_the_calls() -> None:
    clock = Clock()
    limits = limiter("forum.post: 60/minute per agent burst 2", clock=clock)
    assert allowed(limits, call(), 5) == 2
    clock.advance(1)
    assert allowed(limits, call(), 5) == 1
    clock.advance(10)
    assert allowed(limits, call(), 5) == 2


@pytest.mark.parametrize(
    ("scope", "same", "other"),
    [
        ("agent", call(task="t2", requester="erin"), call(agent="other-bot")),
        ("task", call(agent="sub-bot", requester="erin"), call(task="t2")),
        ("requester", call(agent="sub-bot", task="t2"), call(requester="erin")),
        ("tool", call(agent="sub-bot", task="t2", requester="erin"), call(tool="forum.edit")),
    ],
)
def test_each_scope_shares_a_bucket_exactly_where_it_says(
    scope: str, same: CallKey, other: CallKey
) -> None:
    limits = limiter(f"forum.*: 3/hour per {scope}")
    assert allowed(limits, call(), 3) == 3
    assert not limits.hit(same).allowed
    assert allowed(limits, other, 4) == 3


def test_a_global_limit_is_one_bucket_for_every_caller() -> None:
    limits = limiter("forum.post: 3/hour per global")
    callers = [call(agent=f"a{n}", task=f"t{n}", requester=f"r{n}") for n in range(6)]
    assert [limits.hit(key).allowed for key in callers] == [True] * 3 + [False] * 3


def test_tool_patterns_match_by_fnmatch_and_rules_without_a_tool_cover_all() -> None:
    limits = limiter("repo.*: 1/hour per agent", "2/hour per agent")
    assert limits.hit(call("repo.read")).allowed
    assert not limits.hit(call("repo.set_permissions")).allowed  # repo.* is spent
    assert limits.hit(call("forum.post")).allowed  # only the catch-all applies, 1 left
    assert not limits.hit(call("forum.post")).allowed
    assert limits.hit(call("forum.post", agent="other")).allowed
    assert limiter("repo.*: 1/hour per agent").hit(call("forum.post")).remaining is None


def test_several_rules_on_one_call_are_all_or_nothing() -> None:
    limits = limiter("forum.post: 2/hour per agent", "*: 3/hour per task")
    assert allowed(limits, call("forum.post"), 2) == 2
    refused = limits.hit(call("forum.post"))
    assert refused.rule is not None
    assert refused.rule.tool == "forum.post"
    # The refused forum.post consumed nothing from the task's bucket: 1 call left.
    assert limits.hit(call("forum.read")).allowed
    refused = limits.hit(call("forum.read"))
    assert refused.rule is not None
    assert refused.rule.tool == "*"
    assert refused.message().startswith("tool calls are limited to 3 per hour per task")


def test_when_several_rules_refuse_the_longest_wait_is_reported() -> None:
    limits = limiter("forum.post: 1/minute per agent", "forum.*: 1/hour per agent")
    assert limits.hit(call()).allowed
    refused = limits.hit(call())
    assert refused.rule is not None
    assert refused.rule.tool == "forum.*"
    assert refused.retry_after == timedelta(hours=1)
    assert "forum.post is, as one of forum.*, limited to 1 per hour" in refused.message()


def test_remaining_is_that_of_the_tightest_rule() -> None:
    limits = limiter("forum.post: 10/hour per agent", "*: 3/hour per task")
    assert limits.hit(call()).remaining == 2


def test_concurrent_threads_get_exactly_the_limit() -> None:
    limits = LocalRateLimiter(parse_rate_limits(["forum.post: 500/hour per global"]))
    results: list[LimitResult] = []
    lock = threading.Lock()

    def work() -> None:
        mine = [limits.hit(call()) for _ in range(250)]
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result.allowed for result in results) == 500


def test_drained_buckets_are_dropped_so_memory_stays_bounded() -> None:
    clock = Clock()
    limits = limiter("*: 1/second per agent", clock=clock, max_keys=5_000)
    for n in range(100_000):
        assert limits.hit(call(agent=f"agent-{n}")).allowed
        clock.advance(0.001)
        assert limits.bucket_count <= 5_000
    # About a thousand buckets are live at any time (one second at 1,000 new per second).
    assert limits.bucket_count <= 2_048


def test_a_full_table_refuses_new_buckets_but_keeps_counting_old_ones() -> None:
    clock = Clock()
    limits = limiter("*: 2/hour per agent", clock=clock, max_keys=100)
    assert all(limits.hit(call(agent=f"a{n}")).allowed for n in range(100))
    newcomer = limits.hit(call(agent="newcomer"))
    assert not newcomer.allowed
    assert newcomer.code == "rate_limited"
    assert "maximum of 100 buckets" in newcomer.message()
    assert newcomer.retry_after > timedelta(0)
    assert limits.hit(call(agent="a0")).allowed
    assert not limits.hit(call(agent="a0")).allowed
    clock.advance(timedelta(hours=1))
    assert limits.hit(call(agent="newcomer")).allowed
    assert limits.bucket_count <= 100


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 300), st.integers(0, 2_000_000)), max_size=300))
def test_never_more_than_the_table_holds_and_never_more_than_the_limit_per_bucket(
    steps: list[tuple[int, int]],
) -> None:
    clock = Clock()
    limits = limiter("*: 3/minute per agent burst 3", clock=clock, max_keys=50)
    start = clock.now
    granted: dict[str, int] = {}
    for agent, step_us in steps:
        clock.advance(step_us / 1_000_000)
        if limits.hit(call(agent=f"a{agent}")).allowed:
            granted[f"a{agent}"] = granted.get(f"a{agent}", 0) + 1
        assert limits.bucket_count <= 50
    # GCRA bound: at most burst + elapsed / interval calls per bucket.
    elapsed = clock.now - start
    assert all(count <= 3 + elapsed / 20 for count in granted.values())


def test_a_limiter_with_no_rules_or_no_matching_rule_allows_without_a_count() -> None:
    result = limiter().hit(call())
    assert result.allowed
    assert result.remaining is None
    assert result.code is None


def test_without_a_redis_url_the_limiter_is_local() -> None:
    built = build_rate_limiter(
        parse_rate_limits(["1/hour per agent"]), redis_url=None, on_error="deny"
    )
    assert isinstance(built, LocalRateLimiter)
    assert built.hit(call()).allowed
    assert not built.hit(call()).allowed
