"""Circuit breakers: trip, hold or deny, half-open after the cool-down, close on good
probes or by a person with a reason; every transition is an event and is stored."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proctor.errors import Conflict, InvalidInput
from proctor.model import ActionClass, Label, Outcome
from proctor.monitor import (
    AnomalyFacts,
    BreakerEvent,
    BreakerRecord,
    Breakers,
    BreakerSettings,
    BreakerStatus,
    BreakerStore,
    HalfOpen,
    Observation,
    OutcomeObservation,
    Reset,
    Trip,
    TripAction,
    action_burst,
    anomaly,
    denials,
    error_rate,
)
from proctor.monitor._breaker_windows import FREE_REPEATS, REPEAT_MEMORY
from proctor.store import Database

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


def seen(
    at: datetime,
    outcome: Outcome = Outcome.ALLOW,
    *,
    agent: str = "bot",
    tool: str = "tickets.read",
    action: ActionClass | None = ActionClass.READ,
    key: str | None = None,
) -> Observation:
    return Observation(agent, tool, action, Label.INTERNAL, outcome, at, call_key=key)


def facts(score: float, *, learning: bool = False) -> AnomalyFacts:
    return AnomalyFacts(learning, False, False, False, 0.0, 0.0, score)


def collect(breakers: Breakers) -> list[BreakerEvent]:
    events: list[BreakerEvent] = []
    breakers.listeners.subscribe(events.append)
    return events


def trip_by_denials(breakers: Breakers, clock: Clock, agent: str = "bot") -> Trip:
    trip = None
    for _ in range(3):
        trip = breakers.observe(seen(clock.advance(SECOND), Outcome.DENY, agent=agent))
    assert trip is not None
    return trip


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make(clock: Clock, **overrides: object) -> Breakers:
    values: dict[str, object] = {
        "rules": (denials(3, timedelta(minutes=1)),),
        "cool_down": timedelta(minutes=10),
        "probe_calls": 3,
    }
    values.update(overrides)
    return Breakers(BreakerSettings(**values), clock=clock)  # type: ignore[arg-type]


def test_trip_hold_half_open_and_close_after_good_probes(clock: Clock) -> None:
    breakers = make(clock)
    events = collect(breakers)
    assert breakers.state("bot").status is BreakerStatus.CLOSED

    trip = trip_by_denials(breakers, clock)
    assert trip.rule == "denials(3 within 1m)"
    state = breakers.state("bot")
    assert state.tripped
    assert state.on_trip is TripAction.HOLD
    assert state.cool_down_until == trip.at + timedelta(minutes=10)

    clock.advance(timedelta(minutes=9))
    assert breakers.state("bot").status is BreakerStatus.OPEN
    clock.advance(timedelta(minutes=2))
    assert breakers.state("bot").status is BreakerStatus.HALF_OPEN
    assert not breakers.state("bot").tripped

    for _ in range(2):
        assert breakers.observe(seen(clock.advance(SECOND)), facts(0.1)) is None
        assert breakers.state("bot").status is BreakerStatus.HALF_OPEN
    breakers.observe(seen(clock.advance(SECOND)), facts(0.1))
    assert breakers.state("bot").status is BreakerStatus.CLOSED

    assert breakers.listeners.drain()
    assert [type(event) for event in events] == [Trip, HalfOpen, Reset]
    reset = events[-1]
    assert isinstance(reset, Reset)
    assert reset.automatic
    assert reset.by == "proctor"


def test_deny_is_a_setting(clock: Clock) -> None:
    breakers = make(clock, on_trip=TripAction.DENY)
    trip = trip_by_denials(breakers, clock)
    assert trip.on_trip is TripAction.DENY
    assert breakers.state("bot").on_trip is TripAction.DENY


def test_a_bad_probe_opens_the_breaker_again(clock: Clock) -> None:
    breakers = make(clock)
    events = collect(breakers)
    trip_by_denials(breakers, clock)
    clock.advance(timedelta(minutes=11))
    assert breakers.state("bot").status is BreakerStatus.HALF_OPEN
    breakers.observe(seen(clock.advance(SECOND)), facts(0.1))
    again = breakers.observe(seen(clock.advance(SECOND)), facts(0.95))
    assert again is not None
    assert again.rule == "probe failed: anomaly score 0.95"
    state = breakers.state("bot")
    assert state.tripped
    assert state.opened_at == again.at
    assert breakers.listeners.drain()
    assert [type(event) for event in events] == [Trip, HalfOpen, Trip]


def test_a_rule_tripping_during_half_open_opens_it_again(clock: Clock) -> None:
    breakers = make(clock)
    trip_by_denials(breakers, clock)
    clock.advance(timedelta(minutes=11))
    breakers.state("bot")
    assert trip_by_denials(breakers, clock).rule == "denials(3 within 1m)"
    assert breakers.state("bot").tripped


def test_calls_held_by_an_open_breaker_do_not_count(clock: Clock) -> None:
    breakers = make(clock)
    trip_by_denials(breakers, clock)
    for _ in range(10):
        assert breakers.observe(seen(clock.advance(SECOND), Outcome.DENY)) is None


def test_a_person_resets_with_a_reason(clock: Clock) -> None:
    breakers = make(clock)
    events = collect(breakers)
    trip_by_denials(breakers, clock)
    reset = breakers.reset("bot", by="alice", reason="false alarm, the policy was wrong")
    assert (reset.by, reset.reason, reset.automatic) == (
        "alice",
        "false alarm, the policy was wrong",
        False,
    )
    assert breakers.state("bot").status is BreakerStatus.CLOSED
    assert breakers.listeners.drain()
    assert events[-1] == reset
    # The windows were cleared: two more denials do not trip it again at once.
    breakers.observe(seen(clock.advance(SECOND), Outcome.DENY))
    assert breakers.observe(seen(clock.advance(SECOND), Outcome.DENY)) is None


def test_a_reset_without_a_reason_is_refused(clock: Clock) -> None:
    breakers = make(clock)
    trip_by_denials(breakers, clock)
    with pytest.raises(InvalidInput) as refused:
        breakers.reset("bot", by="alice", reason="   ")
    assert refused.value.code == "reason_required"
    with pytest.raises(InvalidInput):
        breakers.reset("bot", by="", reason="checked")
    assert breakers.state("bot").tripped


def test_resetting_a_closed_breaker_is_a_conflict(clock: Clock) -> None:
    with pytest.raises(Conflict) as refused:
        make(clock).reset("bot", by="alice", reason="just in case")
    assert refused.value.code == "breaker_not_tripped"


def test_denials_trip_exactly_at_the_count_within_the_window(clock: Clock) -> None:
    breakers = make(clock, rules=(denials(3, timedelta(seconds=60)),))
    assert breakers.observe(seen(clock.advance(SECOND), Outcome.DENY)) is None
    assert breakers.observe(seen(clock.advance(SECOND), Outcome.ALLOW)) is None
    assert breakers.observe(seen(clock.advance(timedelta(seconds=59)), Outcome.DENY)) is None
    # The first denial is now 61 s old: three denials, but not within 60 s.
    assert breakers.observe(seen(clock.advance(SECOND), Outcome.DENY)) is None
    trip = breakers.observe(seen(clock.advance(SECOND), Outcome.DENY))
    assert trip is not None
    assert trip.evidence["threshold"] == {"count": 3, "within_s": 60.0}
    assert len(trip.evidence["calls"]) == 3
    assert all(call["outcome"] == "deny" for call in trip.evidence["calls"])


def test_retries_of_one_denied_call_count_once(clock: Clock) -> None:
    breakers = make(clock, rules=(denials(3, timedelta(minutes=1)),))
    # Two calls, each denied and retried three times: two denials, not eight.
    for key in ("ticket-1", "ticket-2"):
        for _ in range(1 + FREE_REPEATS):
            assert breakers.observe(seen(clock.advance(SECOND), Outcome.DENY, key=key)) is None
    trip = breakers.observe(seen(clock.advance(SECOND), Outcome.DENY, key="ticket-3"))
    assert trip is not None
    assert [call["outcome"] for call in trip.evidence["calls"]] == ["deny"] * 3


def test_an_agent_hammering_one_denied_call_still_trips(clock: Clock) -> None:
    # Adversarial: retrying the same refused call over and over is not a retry any
    # more; every repeat beyond the free ones counts.
    breakers = make(clock, rules=(denials(3, timedelta(minutes=1)),))
    trips = [
        breakers.observe(seen(clock.advance(SECOND), Outcome.DENY, key="same"))
        for _ in range(1 + FREE_REPEATS + 2)
    ]
    assert trips[:-1] == [None] * (FREE_REPEATS + 2)
    assert trips[-1] is not None


def test_calls_without_a_fingerprint_count_every_time(clock: Clock) -> None:
    breakers = make(clock, rules=(denials(3, timedelta(minutes=1)),))
    assert breakers.observe(seen(clock.advance(SECOND), Outcome.DENY)) is None
    assert breakers.observe(seen(clock.advance(SECOND), Outcome.DENY)) is None
    assert breakers.observe(seen(clock.advance(SECOND), Outcome.DENY)) is not None


def test_retries_interleaved_with_other_calls_are_still_recognised(clock: Clock) -> None:
    breakers = make(clock, rules=(denials(3, timedelta(minutes=1)),))
    for key in ("a", "b", "a", "b", "a", "b"):  # two calls, each tried three times
        assert breakers.observe(seen(clock.advance(SECOND), Outcome.DENY, key=key)) is None
    assert breakers.observe(seen(clock.advance(SECOND), Outcome.DENY, key="c")) is not None


def test_the_outcomes_of_a_retried_call_count_once(clock: Clock) -> None:
    breakers = make(clock, rules=(error_rate(50.0, 4, timedelta(minutes=1)),))

    def call(key: str, failed: bool) -> Trip | None:
        at = clock.advance(SECOND)
        assert breakers.observe(seen(at, tool="ci.run", key=key)) is None
        return breakers.observe_outcome(OutcomeObservation("bot", "ci.run", failed, at))

    assert call("build-1", False) is None
    assert call("build-2", False) is None
    # A failing build retried three times is one failure: 1 of 3 outcomes.
    assert [call("build-3", True) for _ in range(1 + FREE_REPEATS)] == [None] * 4
    assert call("build-4", False) is None  # 1 of 4
    # Hammering it is not retrying: the repeats beyond the free ones count.
    assert call("build-3", True) is None  # 2 of 5
    assert call("build-3", True) is not None  # 3 of 6


def test_anomaly_trips_after_that_many_consecutive_high_scores(clock: Clock) -> None:
    breakers = make(clock, rules=(anomaly(0.8, 3),))
    for score in (0.9, 0.85, 0.2, 0.8, 0.9):
        assert breakers.observe(seen(clock.advance(SECOND)), facts(score)) is None
    assert breakers.observe(seen(clock.advance(SECOND)), facts(0.5, learning=True)) is None
    assert breakers.observe(seen(clock.advance(SECOND)), facts(0.99)) is None
    assert breakers.observe(seen(clock.advance(SECOND)), facts(0.99)) is None
    trip = breakers.observe(seen(clock.advance(SECOND)), facts(0.8))
    assert trip is not None
    assert [call["anomaly_score"] for call in trip.evidence["calls"]] == [0.99, 0.99, 0.8]


def test_error_rate_trips_at_the_percentage_once_there_are_enough_calls(clock: Clock) -> None:
    breakers = make(clock, rules=(error_rate(50.0, 4, timedelta(minutes=1)),))

    def outcome(failed: bool) -> Trip | None:
        at = clock.advance(SECOND)
        return breakers.observe_outcome(OutcomeObservation("bot", "ci.run", failed, at))

    assert outcome(True) is None
    assert outcome(True) is None
    assert outcome(True) is None  # 100 %, but only three outcomes
    trip = outcome(False)  # 3 of 4 failed: 75 %
    assert trip is not None
    assert trip.evidence["failed"] == 3
    assert trip.evidence["outcomes"] == 4

    calm = make(clock, rules=(error_rate(50.0, 4, timedelta(minutes=1)),))
    results = [
        calm.observe_outcome(OutcomeObservation("bot", "ci.run", failed, clock.advance(SECOND)))
        for failed in (False, False, False, True, True, False, True)
    ]
    assert results[:6] == [None] * 6  # at most 2 of 5, 2 of 6: below 50 %
    assert results[6] is None  # 3 of 7
    assert calm.observe_outcome(
        OutcomeObservation("bot", "ci.run", True, clock.advance(SECOND))
    )  # 4 of 8: exactly 50 %


def test_error_rate_forgets_outcomes_older_than_its_window(clock: Clock) -> None:
    breakers = make(clock, rules=(error_rate(50.0, 2, timedelta(seconds=30)),))
    assert (
        breakers.observe_outcome(OutcomeObservation("bot", "t", True, clock.advance(SECOND)))
        is None
    )
    clock.advance(timedelta(seconds=40))
    assert breakers.observe_outcome(OutcomeObservation("bot", "t", False, clock.now)) is None
    assert (
        breakers.observe_outcome(OutcomeObservation("bot", "t", False, clock.advance(SECOND)))
        is None
    )


def test_action_burst_trips_at_the_count_of_that_action_class(clock: Clock) -> None:
    rule = action_burst(ActionClass.MODIFY_PERMISSIONS, 3, timedelta(minutes=1))
    breakers = make(clock, rules=(rule,))
    grant = ActionClass.MODIFY_PERMISSIONS
    assert breakers.observe(seen(clock.advance(SECOND), tool="iam.grant", action=grant)) is None
    assert breakers.observe(seen(clock.advance(SECOND))) is None  # a read does not count
    assert breakers.observe(seen(clock.advance(SECOND), tool="iam.grant", action=grant)) is None
    trip = breakers.observe(seen(clock.advance(SECOND), tool="drive.share", action=grant))
    assert trip is not None
    assert trip.rule == "action_burst(3 modify_permissions within 1m)"
    assert [call["tool"] for call in trip.evidence["calls"]] == [
        "iam.grant",
        "iam.grant",
        "drive.share",
    ]


def test_agents_have_their_own_breakers(clock: Clock) -> None:
    breakers = make(clock)
    trip_by_denials(breakers, clock, agent="a")
    assert breakers.state("a").tripped
    assert not breakers.state("b").tripped
    assert breakers.observe(seen(clock.advance(SECOND), Outcome.DENY, agent="b")) is None
    assert [state.agent for state in breakers.tripped()] == ["a"]


def test_a_tripped_breaker_survives_a_restart(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "store.db"
    settings = BreakerSettings(
        rules=(denials(3, timedelta(minutes=1)),), cool_down=timedelta(minutes=10)
    )
    first = Breakers(settings, store=BreakerStore(Database.open(path)), clock=clock)
    trip = trip_by_denials(first, clock)

    second = Breakers(settings, store=BreakerStore(Database.open(path)), clock=clock)
    state = second.state("bot")
    assert state.tripped
    assert state.rule == trip.rule
    assert state.opened_at == trip.at
    clock.advance(timedelta(minutes=11))
    assert second.state("bot").status is BreakerStatus.HALF_OPEN
    second.reset("bot", by="alice", reason="investigated: a bad deploy")

    third = Breakers(settings, store=BreakerStore(Database.open(path)), clock=clock)
    assert third.state("bot").status is BreakerStatus.CLOSED
    record = BreakerStore(Database.open(path)).get("bot")
    assert record is not None
    assert (record.status, record.changed_by, record.reason) == (
        "closed",
        "alice",
        "investigated: a bad deploy",
    )


def test_other_processes_see_trips_and_resets(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "store.db"
    settings = BreakerSettings(rules=(denials(3, timedelta(minutes=1)),))
    one = Breakers(
        settings, store=BreakerStore(Database.open(path)), clock=clock, poll_interval_s=0
    )
    two = Breakers(
        settings, store=BreakerStore(Database.open(path)), clock=clock, poll_interval_s=0
    )
    trip_by_denials(one, clock)
    assert two.state("bot").tripped
    two.reset("bot", by="alice", reason="seen to")
    assert not one.state("bot").tripped


def test_a_process_does_not_reread_the_store_for_its_own_trips(
    tmp_path: Path, clock: Clock
) -> None:
    """A reload runs on the check that notices the change counter moved: for this
    process's own trip there is nothing to read (another's still is)."""
    path = tmp_path / "store.db"
    settings = BreakerSettings(rules=(denials(3, timedelta(minutes=1)),))
    store = BreakerStore(Database.open(path))
    reads: list[int] = []
    not_closed = store.not_closed

    def counted() -> tuple[int, list[BreakerRecord]]:
        reads.append(1)
        return not_closed()

    store.not_closed = counted  # type: ignore[method-assign]
    one = Breakers(settings, store=store, clock=clock, poll_interval_s=0)
    two = Breakers(
        settings, store=BreakerStore(Database.open(path)), clock=clock, poll_interval_s=0
    )
    reads.clear()
    trip_by_denials(one, clock, agent="bot")
    assert one.state("bot").tripped
    assert one.state("other").status is BreakerStatus.CLOSED
    assert reads == []
    trip_by_denials(two, clock, agent="other")
    assert one.state("other").tripped  # another process's trip: read
    assert reads == [1]
    assert one.state("bot").tripped


def test_a_slow_or_failing_listener_never_delays_the_caller(clock: Clock) -> None:
    breakers = make(clock)
    release = threading.Event()
    delivered: list[BreakerEvent] = []

    def slow(event: BreakerEvent) -> None:
        release.wait(10)

    def failing(event: BreakerEvent) -> None:
        raise RuntimeError("listener bug")

    breakers.listeners.subscribe(slow)
    breakers.listeners.subscribe(failing)
    breakers.listeners.subscribe(delivered.append)
    started = time.monotonic()
    trip_by_denials(breakers, clock)
    breakers.reset("bot", by="alice", reason="drill")
    assert time.monotonic() - started < 1.0
    release.set()
    assert breakers.listeners.drain()
    assert [type(event) for event in delivered] == [Trip, Reset]
    breakers.close()


def test_windows_of_idle_agents_are_bounded(clock: Clock) -> None:
    breakers = make(clock, max_agents=5)
    for n in range(50):
        breakers.observe(seen(clock.advance(SECOND), Outcome.DENY, agent=f"agent-{n}"))
    assert breakers.agents_in_memory() == 5


_call_events = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),  # tool
        st.integers(min_value=0, max_value=4),  # fingerprint
        st.booleans(),  # denied
        st.booleans(),  # failed
        st.floats(min_value=0.0, max_value=20.0),  # seconds since the previous call
    ),
    max_size=80,
)


def _trips(
    events: list[tuple[str, int, bool, bool, float]], *, keyed: bool, unique: bool
) -> list[int]:
    """Play calls (with their outcomes) into fresh breakers; which calls tripped."""
    breakers = Breakers(
        BreakerSettings(
            rules=(denials(3, timedelta(seconds=30)), error_rate(50.0, 4, timedelta(minutes=1))),
            cool_down=timedelta(seconds=1),
        ),
        clock=lambda: START,
    )
    at, tripped = START, []
    for n, (tool, key, denied, failed, gap) in enumerate(events):
        at += timedelta(seconds=gap)
        fingerprint = (f"{n}" if unique else f"{key}") if keyed else None
        outcome = Outcome.DENY if denied else Outcome.ALLOW
        trip = breakers.observe(seen(at, outcome, tool=tool, key=fingerprint))
        if outcome is Outcome.ALLOW:
            trip = breakers.observe_outcome(OutcomeObservation("bot", tool, failed, at)) or trip
        if trip is not None:
            tripped.append(n)
        assert all(len(w._recent) <= REPEAT_MEMORY for w in breakers._windows.values())
    return tripped


@settings(max_examples=80, deadline=None)
@given(_call_events)
def test_calls_that_never_repeat_trip_exactly_as_unkeyed_calls(
    events: list[tuple[str, int, bool, bool, float]],
) -> None:
    """Counting repeats once changes nothing for calls that are all different, and the
    memory that recognises repeats stays within its bound."""
    assert _trips(events, keyed=True, unique=True) == _trips(events, keyed=False, unique=False)


@settings(max_examples=80, deadline=None)
@given(_call_events)
def test_repeats_never_trip_more_than_counting_every_call(
    events: list[tuple[str, int, bool, bool, float]],
) -> None:
    """Counting a repeated call once can only delay the first trip, never bring it
    forward (for the denial rule, which only counts)."""
    keyed = _trips(events, keyed=True, unique=False)
    unkeyed = _trips(events, keyed=False, unique=False)
    if keyed and not any(failed for *_, failed, _ in events):
        assert unkeyed
        assert unkeyed[0] <= keyed[0]
