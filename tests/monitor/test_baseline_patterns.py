"""The patterns a call fingerprint and per-tool labels reveal, each against its benign twin:
a loop of the same call (not polling, a retry, or a burst of different calls), data two
labels above what its tool usually touches (not one), a high-risk tool barely used (not
one used every day), and re-reading the same record (not a burst of sensitive data)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from proctor.model import ActionClass, Label, Outcome
from proctor.monitor import (
    AnomalyFacts,
    Baselines,
    BaselineSettings,
    Observation,
    OutcomeObservation,
)
from proctor.monitor._patterns import FREE_RETRIES
from proctor.monitor._profile import AgentProfile

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AGENT = "ops-bot"
READ, WRITE = ActionClass.READ, ActionClass.WRITE
SEND = ActionClass.SEND_EXTERNAL
#: (name, action class, label, weight): ticket work, a vault it reads now and then (so
#: restricted data is within its normal), and replies it sends every day.
TOOLS = (
    ("tickets.read", READ, Label.INTERNAL, 50),
    ("kb.search", READ, Label.PUBLIC, 20),
    ("tickets.update", WRITE, Label.INTERNAL, 15),
    ("tickets.reply", SEND, Label.INTERNAL, 10),
    ("vault.read", READ, Label.RESTRICTED, 5),
)
RATE_PER_HOUR = 60.0


def call(
    baselines: Baselines,
    tool: str,
    action: ActionClass | None,
    label: Label,
    at: datetime,
    key: str | None,
    *,
    failed: bool = False,
) -> AnomalyFacts:
    """One call as the gateway makes it, with its fingerprint: facts, then observation
    and outcome."""
    facts = baselines.facts(AGENT, tool, action, label, at, call_key=key)
    observation = Observation(AGENT, tool, action, label, Outcome.ALLOW, at, call_key=key)
    baselines.observe(observation, facts)
    baselines.observe_outcome(OutcomeObservation(AGENT, tool, failed, at))
    return facts


def train(baselines: Baselines, *, days: float = 2.0, seed: int = 11) -> datetime:
    """Steady traffic with fingerprints: mostly new records, a third of the reads going
    back to one of the last few, and now and then a ticket polled (the same call every
    30-60 s, three times). Returns the time of the last call."""
    rng = random.Random(seed)
    at, end, serial = START, START + timedelta(days=days), 0
    recent: dict[str, list[str]] = {}
    while at < end:
        at += timedelta(seconds=rng.expovariate(RATE_PER_HOUR / 3600.0))
        name, action, label, _ = rng.choices(TOOLS, [t[3] for t in TOOLS])[0]
        seen = recent.setdefault(name, [])
        if action is READ and seen and rng.random() < 0.3:
            key = rng.choice(seen[-5:])
        else:
            serial += 1
            key = f"{name}#{serial}"
            seen.append(key)
        call(baselines, name, action, label, at, key)
        if name == "tickets.read" and rng.random() < 0.05:
            for _ in range(3):
                at += timedelta(seconds=rng.uniform(30.0, 60.0))
                call(baselines, name, action, label, at, key)
    return at


@pytest.fixture
def trained() -> tuple[Baselines, datetime]:
    baselines = Baselines()
    return baselines, train(baselines)


def loop_reasons(facts: AnomalyFacts) -> list[str]:
    return [reason for reason in facts.reasons if "repeating recent calls" in reason]


def run(
    baselines: Baselines,
    last: datetime,
    every_s: float,
    keys: list[str | None],
    tool: str = "tickets.update",
) -> list[AnomalyFacts]:
    """Calls of ``tool`` every ``every_s`` seconds, one per key, after a quiet minute."""
    at = last + timedelta(minutes=1)
    out = []
    for key in keys:
        at += timedelta(seconds=every_s)
        out.append(call(baselines, tool, WRITE, Label.INTERNAL, at, key))
    return out


def test_a_loop_of_the_same_call_is_caught_within_five_calls(
    trained: tuple[Baselines, datetime],
) -> None:
    """The same write every 3 s (20 times the agent's rate): its calls repeat, fast."""
    baselines, last = trained
    facts = run(baselines, last, 3.0, ["tickets.update#loop"] * 5)
    assert facts[-1].anomaly_score >= 0.7
    assert loop_reasons(facts[-1])
    assert "5 calls of tickets.update" in loop_reasons(facts[-1])[0]


def test_the_same_calls_without_a_fingerprint_look_like_a_burst_only(
    trained: tuple[Baselines, datetime],
) -> None:
    """The benign twin at the same speed: writes to different records (or a gateway
    that gives no fingerprint) are judged as a burst, which five calls do not prove."""
    baselines, last = trained
    different = run(baselines, last, 3.0, [f"tickets.update#new{n}" for n in range(5)])
    assert different[-1].anomaly_score < 0.7
    assert not any(loop_reasons(facts) for facts in different)
    unkeyed = Baselines()
    unkeyed_last = train(unkeyed)
    blind = run(unkeyed, unkeyed_last, 3.0, [None] * 5)
    assert blind[-1].anomaly_score < 0.7


def test_polling_at_its_usual_pace_is_not_a_loop(trained: tuple[Baselines, datetime]) -> None:
    """The agent polls tickets every 30-60 s; doing so again raises nothing."""
    baselines, last = trained
    at = last + timedelta(minutes=2)
    scores = []
    for _ in range(4):
        at += timedelta(seconds=45)
        facts = call(baselines, "tickets.read", READ, Label.INTERNAL, at, "tickets.read#poll")
        scores.append(facts.anomaly_score)
    assert max(scores) < 0.7


def test_a_retry_of_a_failed_call_is_not_a_loop(trained: tuple[Baselines, datetime]) -> None:
    baselines, last = trained
    at = last + timedelta(minutes=1)
    key = "tickets.update#flaky"
    call(baselines, "tickets.update", WRITE, Label.INTERNAL, at, key, failed=True)
    retry = call(baselines, "tickets.update", WRITE, Label.INTERNAL, at + timedelta(seconds=2), key)
    assert not loop_reasons(retry)
    again = baselines.facts(
        AGENT, "tickets.update", WRITE, Label.INTERNAL, at + timedelta(seconds=4), call_key=key
    )
    assert loop_reasons(again)  # the call succeeded: making it again is a repeat


def test_data_two_labels_above_its_tools_usual_is_flagged(
    trained: tuple[Baselines, datetime],
) -> None:
    """Restricted data is within the agent's normal (its vault), but not through the
    ticket tool, which touches internal data."""
    baselines, last = trained
    at = last + timedelta(minutes=5)
    facts = baselines.facts(AGENT, "tickets.read", READ, Label.RESTRICTED, at, call_key="t#9")
    assert not facts.label_escalation
    assert (
        "touches restricted data through tickets.read, which usually touches at most internal"
        in facts.reasons
    )
    assert facts.anomaly_score >= 0.6


def test_one_label_above_its_tools_usual_or_its_own_label_is_not(
    trained: tuple[Baselines, datetime],
) -> None:
    """The benign twins: a confidential ticket (one label up: escalated cases happen),
    and restricted data through the vault, whose data it is."""
    baselines, last = trained
    at = last + timedelta(minutes=5)
    one_up = baselines.facts(AGENT, "tickets.read", READ, Label.CONFIDENTIAL, at, call_key="t#9")
    vault = baselines.facts(AGENT, "vault.read", READ, Label.RESTRICTED, at, call_key="v#9")
    for facts in (one_up, vault):
        assert not any("through" in reason for reason in facts.reasons)
        assert facts.anomaly_score < 0.6


def test_a_high_risk_tool_barely_used_is_as_good_as_new(
    trained: tuple[Baselines, datetime],
) -> None:
    """A permission change the agent made once, in a call that looked anomalous and so
    taught its baseline a tenth of a call, is still suspect a day later."""
    baselines, last = trained
    at = last + timedelta(minutes=5)
    share = ActionClass.MODIFY_PERMISSIONS
    first = call(baselines, "drive.share", share, Label.CONFIDENTIAL, at, "drive.share#1")
    assert first.new_tool
    later = train(baselines, days=1.0, seed=12)
    facts = baselines.facts(AGENT, "drive.share", share, Label.CONFIDENTIAL, later, call_key="d#2")
    assert not facts.new_tool
    assert any("high-risk and barely used" in reason for reason in facts.reasons)
    assert facts.anomaly_score >= 0.6


def test_a_high_risk_tool_used_every_day_is_not(trained: tuple[Baselines, datetime]) -> None:
    baselines, last = trained
    facts = baselines.facts(
        AGENT, "tickets.reply", SEND, Label.INTERNAL, last + timedelta(minutes=5), call_key="r#1"
    )
    assert not any("barely used" in reason for reason in facts.reasons)
    assert facts.anomaly_score < 0.3


def label_bursts(facts: AnomalyFacts) -> list[str]:
    return [reason for reason in facts.reasons if "restricted-or-above data" in reason]


def restricted_reads(baselines: Baselines, last: datetime, records: int) -> list[AnomalyFacts]:
    """Eight restricted reads 2 s apart, through the vault and the ticket tool in turn,
    cycling over ``records`` records of each."""
    at = last + timedelta(minutes=5)
    facts = []
    for n in range(8):
        at += timedelta(seconds=2)
        tool = ("vault.read", "tickets.read")[n % 2]
        key = f"{tool}#secret{n // 2 % records}"
        facts.append(call(baselines, tool, READ, Label.RESTRICTED, at, key))
    return facts


def test_reading_different_restricted_records_fast_is_a_label_burst(
    trained: tuple[Baselines, datetime],
) -> None:
    baselines, last = trained
    assert label_bursts(restricted_reads(baselines, last, records=8)[-1])


def test_reading_the_same_restricted_records_again_is_not(
    trained: tuple[Baselines, datetime],
) -> None:
    """The twin: the same two records read over and over touch no new data."""
    baselines, last = trained
    assert not any(label_bursts(f) for f in restricted_reads(baselines, last, records=1))


def test_hammering_a_failing_call_is_a_loop_after_a_few_free_retries(
    trained: tuple[Baselines, datetime],
) -> None:
    """Adversarial: an agent retrying the same failing write every 3 s forever. Its
    first retries are free (agents retry), the ones after are paid like any repeat."""
    baselines, last = trained
    at = last + timedelta(minutes=1)
    key = "tickets.update#stuck"
    facts = []
    for n in range(10):
        facts.append(
            call(
                baselines,
                "tickets.update",
                WRITE,
                Label.INTERNAL,
                at + timedelta(seconds=3 * n),
                key,
                failed=True,
            )
        )
    assert not any(loop_reasons(f) for f in facts[: 1 + FREE_RETRIES])
    assert max(f.anomaly_score for f in facts) >= 0.7
    assert any(loop_reasons(f) for f in facts[1 + FREE_RETRIES :])


def raised_again(facts: AnomalyFacts) -> list[str]:
    return [reason for reason in facts.reasons if "touched data above its usual" in reason]


def ticket_reads(baselines: Baselines, start: datetime, every_s: float) -> list[AnomalyFacts]:
    """Three restricted reads through the ticket tool (two labels above its usual),
    ``every_s`` apart, each a record it never read."""
    return [
        call(
            baselines,
            "tickets.read",
            READ,
            Label.RESTRICTED,
            start + timedelta(seconds=every_s * n),
            f"tickets.read#secret{n}",
        )
        for n in range(3)
    ]


def test_a_second_unusually_sensitive_read_within_two_minutes_alerts(
    trained: tuple[Baselines, datetime],
) -> None:
    """One restricted ticket (0.6) is a moderate signal; a second within two minutes
    is stronger evidence together (0.8)."""
    baselines, last = trained
    first, second, _ = ticket_reads(baselines, last + timedelta(minutes=5), 20.0)
    assert not raised_again(first)
    assert first.anomaly_score < 0.7
    assert raised_again(second)
    assert second.anomaly_score >= 0.7


def test_unusually_sensitive_reads_paced_apart_stay_single_signals(
    trained: tuple[Baselines, datetime],
) -> None:
    """Adversarial, and its limit: an agent pacing its restricted reads more than two
    minutes apart gets no extra evidence from this signal (each read still scores 0.6,
    which a policy on `anomaly_score > 50` holds, and a send afterwards is flagged)."""
    baselines, last = trained
    reads = ticket_reads(baselines, last + timedelta(minutes=5), 150.0)
    assert not any(raised_again(facts) for facts in reads)
    assert all(0.6 <= facts.anomaly_score < 0.7 for facts in reads)


def test_reads_of_the_agents_usual_labels_do_not_add_up(
    trained: tuple[Baselines, datetime],
) -> None:
    """The benign twin: restricted data through the vault, whose data it is."""
    baselines, last = trained
    at = last + timedelta(minutes=5)
    reads = [
        call(
            baselines,
            "vault.read",
            READ,
            Label.RESTRICTED,
            at + timedelta(seconds=20 * n),
            f"v#{n}",
        )
        for n in range(3)
    ]
    assert not any(raised_again(facts) for facts in reads)
    assert all(facts.anomaly_score < 0.6 for facts in reads)


def test_without_evidence_a_further_repeat_is_as_likely_as_a_first_one() -> None:
    """A tool whose calls never repeated has no evidence about runs of repeats: the
    odds of a further repeat start from its odds of a first one, not from even odds,
    so a write made again and again pays for every repeat."""
    profile_settings = BaselineSettings()
    profile = AgentProfile(profile_settings)
    at = START.timestamp()
    for n in range(200):
        profile.observe(
            "tickets.update", "write", 1, False, at + 60 * n, None, profile_settings, key=n
        )
    first, again, run, _ = profile.repeat_odds("tickets.update")
    assert run == 0
    assert first < 0.01
    assert again == pytest.approx(first)


def test_a_high_risk_tool_only_an_episode_used_stays_barely_used(
    trained: tuple[Baselines, datetime],
) -> None:
    """Adversarial: a spree of eight permission changes with a tool the agent never
    used is learned dampened (eight tenths of a call, more than the half a call that
    makes a tool known); a second spree with that tool later is still judged as one
    with a tool it barely uses. The dampened part is saved with the baseline."""
    baselines, last = trained
    at = last + timedelta(minutes=5)
    share = ActionClass.MODIFY_PERMISSIONS
    spree = [
        call(
            baselines,
            "drive.share",
            share,
            Label.CONFIDENTIAL,
            at + timedelta(seconds=10 * n),
            f"d#{n}",
        )
        for n in range(8)
    ]
    assert spree[0].anomaly_score >= 0.7
    later = at + timedelta(minutes=5)
    for n in range(40):  # ordinary work: the spree's tool is no longer a fresh one
        later += timedelta(seconds=60)
        call(baselines, "tickets.read", READ, Label.INTERNAL, later, f"tickets.read#after{n}")
    facts = baselines.facts(AGENT, "drive.share", share, Label.CONFIDENTIAL, later, call_key="d#9")
    assert any("high-risk and barely used" in reason for reason in facts.reasons)
    restored = AgentProfile.from_state(baselines.state(AGENT), BaselineSettings())
    assert restored.tool_damped["drive.share"] == pytest.approx(restored.tools["drive.share"])


def test_a_burst_spread_over_all_its_tools_is_still_a_burst(
    trained: tuple[Baselines, datetime],
) -> None:
    """Adversarial: an agent cycling through every tool it has at 30 times its rate,
    so that no one tool, action class or label bursts. The all-calls key catches it
    (dropping that key would remove a tenth of the simulator's false alerts, and
    this)."""
    baselines, last = trained
    at = last + timedelta(minutes=5)
    scores = []
    for n in range(12):
        name, action, label, _ = TOOLS[n % len(TOOLS)]
        key = f"{name}#spread{n}"
        scores.append(call(baselines, name, action, label, at + timedelta(seconds=2 * n), key))
    assert max(facts.anomaly_score for facts in scores) >= 0.7
    assert any("calls of all tools" in facts.reasons[0] for facts in scores if facts.reasons)


def test_a_rarely_used_high_risk_tool_becomes_known_with_use(
    trained: tuple[Baselines, datetime],
) -> None:
    """The benign twin: a refund now and then. Each use looks barely used, so it is
    learned dampened, but only the uses while the tool was fresh count against it:
    after a handful of uses it is no longer barely used (it would be forever if the
    dampened uses never counted)."""
    baselines, last = trained
    at = last + timedelta(minutes=5)
    spend = ActionClass.SPEND
    uses = []
    for n in range(12):
        for m in range(40):  # ordinary work between refunds
            at += timedelta(seconds=60)
            call(baselines, "kb.search", READ, Label.PUBLIC, at, f"kb.search#{n}-{m}")
        at += timedelta(seconds=60)
        uses.append(call(baselines, "refunds.issue", spend, Label.INTERNAL, at, f"refund#{n}"))
    assert uses[0].new_tool
    assert any("barely used" in reason for reason in uses[1].reasons)
    assert not any("barely used" in reason for reason in uses[-1].reasons)
