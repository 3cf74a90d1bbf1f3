"""Baselines survive restarts: saved on flush, reloaded on first use, bounded in memory."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from proctor.model import ActionClass, Label, Outcome
from proctor.monitor import Baselines, BaselineSettings, BaselineStore, Observation
from proctor.store import Database

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TOOLS = (
    ("ledger.read", ActionClass.READ, Label.CONFIDENTIAL),
    ("fx.rates", ActionClass.READ, Label.PUBLIC),
)


def train(baselines: Baselines, agent: str, calls: int = 800, seed: int = 3) -> datetime:
    rng = random.Random(seed)
    at = START
    for _ in range(calls):
        at += timedelta(seconds=rng.expovariate(1 / 240))
        name, action, label = rng.choice(TOOLS)
        facts = baselines.facts(agent, name, action, label, at)
        baselines.observe(Observation(agent, name, action, label, Outcome.ALLOW, at), facts)
    return at


@pytest.fixture
def database(tmp_path: Path) -> Database:
    return Database.open(tmp_path / "store.db")


def test_the_migration_creates_the_monitor_tables(database: Database) -> None:
    tables = set(sa.inspect(database.engine).get_table_names())
    assert {"monitor_baselines", "monitor_breakers"} <= tables


def test_a_baseline_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    first = Baselines(BaselineStore(Database.open(path)))
    last = train(first, "finance-bot")
    assert first.flush() == 1
    questions = [
        ("ledger.read", ActionClass.READ, Label.CONFIDENTIAL, last + timedelta(minutes=5)),
        ("payments.send", ActionClass.SPEND, Label.RESTRICTED, last + timedelta(minutes=5)),
        ("fx.rates", ActionClass.READ, Label.PUBLIC, last + timedelta(seconds=1)),
    ]
    before = [first.facts("finance-bot", *question) for question in questions]

    reopened = Baselines(BaselineStore(Database.open(path)))
    after = [reopened.facts("finance-bot", *question) for question in questions]
    assert after == before
    assert not after[0].learning
    assert reopened.describe("finance-bot") == first.describe("finance-bot")


def test_a_baseline_saved_before_tools_kept_labels_and_repeats_still_loads(
    database: Database,
) -> None:
    """Tools saved as [weight, first use, times] start their label mix, repeat counts
    and dampened part from nothing; the rest of the baseline is kept."""
    store = BaselineStore(database)
    baselines = Baselines(store)
    last = train(baselines, "bot")
    state = baselines.state("bot")
    state["tools"] = {tool: entry[:3] for tool, entry in state["tools"].items()}
    store.save("bot", state)
    reloaded = Baselines(store)
    facts = reloaded.facts("bot", "fx.rates", ActionClass.READ, Label.PUBLIC, last)
    assert not facts.learning
    assert reloaded.describe("bot")["calls"] == 800
    assert all(len(entry) == 6 for entry in reloaded.state("bot")["tools"].values())
    assert all(entry[5] == 0.0 for entry in reloaded.state("bot")["tools"].values())


def test_fingerprints_are_not_saved_but_repeat_counts_are(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    first = Baselines(BaselineStore(Database.open(path)))
    at = START
    for n in range(50):
        at += timedelta(seconds=60)
        key = f"rates-{n % 2}"
        observation = Observation(
            "bot", "fx.rates", ActionClass.READ, Label.PUBLIC, Outcome.ALLOW, at, call_key=key
        )
        first.observe(observation)
    first.flush()
    saved = first.state("bot")["tools"]["fx.rates"]
    assert saved[4][3] > 40  # calls repeating right after a repeat
    assert saved[4][4] == 48  # the current run of repeats
    assert "rates-0" not in str(first.state("bot"))
    reopened = Baselines(BaselineStore(Database.open(path)))
    assert reopened.state("bot")["tools"]["fx.rates"] == saved


def test_flush_saves_only_what_changed(database: Database) -> None:
    baselines = Baselines(BaselineStore(database))
    train(baselines, "a", calls=50)
    train(baselines, "b", calls=50)
    assert baselines.flush() == 2
    assert baselines.flush() == 0
    baselines.facts("a", "fx.rates", ActionClass.READ, Label.PUBLIC, START)  # reads only
    assert baselines.flush() == 0


def test_idle_agents_are_evicted_saved_and_reloaded(database: Database) -> None:
    settings = BaselineSettings(max_agents=2)
    baselines = Baselines(BaselineStore(database), settings)
    last = train(baselines, "first")
    expected = baselines.facts("first", "ledger.read", ActionClass.READ, Label.CONFIDENTIAL, last)
    train(baselines, "second", calls=20)
    train(baselines, "third", calls=20)
    assert baselines.agents_in_memory() == 2
    reloaded = baselines.facts("first", "ledger.read", ActionClass.READ, Label.CONFIDENTIAL, last)
    assert reloaded == expected
    assert baselines.agents_in_memory() == 2
    baselines.flush()
    fresh = Baselines(BaselineStore(database), settings)
    assert fresh.describe("second")["calls"] == 20


def test_a_malformed_stored_baseline_starts_learning_again(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    store = BaselineStore(database)
    store.save("broken-bot", {"version": 1, "calls": "many"})
    with caplog.at_level(logging.WARNING, logger="proctor.monitor"):
        facts = Baselines(store).facts("broken-bot", "x", ActionClass.READ, Label.PUBLIC, START)
    assert facts.learning
    assert "malformed" in caplog.text


def test_a_baseline_from_a_newer_version_is_not_trusted(database: Database) -> None:
    store = BaselineStore(database)
    baselines = Baselines(store)
    train(baselines, "bot", calls=400)
    baselines.flush()
    state = store.load("bot")
    assert state is not None
    store.save("bot", {**state, "version": 99})
    facts = Baselines(store).facts("bot", "fx.rates", ActionClass.READ, Label.PUBLIC, START)
    assert facts.learning


def test_forgetting_an_agent_removes_its_stored_baseline(database: Database) -> None:
    store = BaselineStore(database)
    baselines = Baselines(store)
    last = train(baselines, "bot")
    baselines.flush()
    baselines.forget("bot")
    assert store.load("bot") is None
    assert baselines.facts("bot", "fx.rates", ActionClass.READ, Label.PUBLIC, last).learning


def test_a_stored_state_is_bounded_by_the_current_settings(database: Database) -> None:
    """A state saved under larger limits is trimmed when loaded under smaller ones."""
    store = BaselineStore(database)
    wide = Baselines(store, BaselineSettings(max_tools=64))
    at = START
    for n in range(40):
        at += timedelta(seconds=30)
        wide.observe(
            Observation("bot", f"tool-{n}", ActionClass.READ, Label.PUBLIC, Outcome.ALLOW, at)
        )
    wide.flush()
    narrow = Baselines(store, BaselineSettings(max_tools=8))
    described = narrow.describe("bot")
    assert described["calls"] == 40
    assert len(described["tools"]) <= 8


def test_many_baselines_are_saved_in_one_upsert_run(database: Database) -> None:
    store = BaselineStore(database)
    states = {f"agent-{n}": {"version": 1, "n": n} for n in range(40)}
    store.save_many(states)
    assert store.stored_agents() == set(states)
    store.save_many({"agent-0": {"version": 1, "n": "again"}})
    assert store.load("agent-0") == {"version": 1, "n": "again"}
    assert store.load("agent-1") == {"version": 1, "n": 1}


def test_a_baseline_in_steady_use_is_saved_at_most_once_per_period(database: Database) -> None:
    now = [1000.0]
    store = BaselineStore(database)
    baselines = Baselines(store, save_every_s=60.0, clock=lambda: now[0])
    last = train(baselines, "a", calls=50)
    assert baselines.flush() == 1
    saved = store.load("a")
    assert saved is not None
    assert saved["calls"] == 50
    for step in range(1, 12):  # learning on, a flush every 5 s: nothing is saved
        now[0] += 5.0
        last += timedelta(seconds=5)
        baselines.observe(
            Observation("a", "fx.rates", ActionClass.READ, Label.PUBLIC, Outcome.ALLOW, last)
        )
        assert baselines.flush() == 0, f"saved again after {step * 5} s"
    assert (store.load("a") or {})["calls"] == 50
    assert baselines.state("a")["calls"] == 61
    train(baselines, "b", calls=10)  # another agent's first save is due at once
    assert baselines.flush() == 1
    now[0] += 5.0
    assert baselines.flush() == 1  # a's period is over
    assert (store.load("a") or {})["calls"] == 61
    baselines.observe(
        Observation("a", "fx.rates", ActionClass.READ, Label.PUBLIC, Outcome.ALLOW, last)
    )
    assert baselines.flush() == 0
    assert baselines.flush(everything=True) == 1  # on close: every change
    assert Baselines(store).state("a")["calls"] == 62
