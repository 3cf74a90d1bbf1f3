"""The monitor inside the check: rate limits, breakers, anomaly facts and alerts, through
a real gateway on a real data directory (and the real Redis where limits are shared)."""

from __future__ import annotations

import json
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml

from proctor.admin import Admin
from proctor.errors import ActionDenied, Conflict, InvalidInput
from proctor.gateway import Gateway
from proctor.home import load_or_create_secret
from proctor.manifest import apply_manifest, load_manifest
from proctor.model import Outcome, OutcomeStatus, ToolCall
from proctor.monitor import AlertKind, BreakerStatus
from proctor.notify import verify_signature
from proctor.sdk import guarded
from proctor.server import create_app
from proctor.store import utcnow
from tests.approvals.conftest import Clock
from tests.approvals.receiver import Receiver, webhook_receiver
from tests.conftest import analysis_task, register_incident, service_unavailable, task_token
from tests.server.conftest import Api

REDIS_URL = "redis://127.0.0.1:6379/0"
READ = ToolCall("forum.read_thread", resource="forum:thread-4411")

OpenGateway = Callable[..., Gateway]


@pytest.fixture
def open_gateway(tmp_path: Path) -> Iterator[OpenGateway]:
    """Gateways on one data directory whose ``settings.yaml`` says ``monitor``/``webhook``."""
    opened: list[Gateway] = []

    def open_one(clock: Clock | None = None, **settings: Any) -> Gateway:
        home = tmp_path / "home"
        if not home.exists():
            home.mkdir(mode=0o700)
            text = yaml.safe_dump({"inventory_poll_interval_s": 0.05, **settings})
            (home / "settings.yaml").write_text(text, encoding="utf-8")
        gateway = Gateway.open(home, clock=clock or utcnow)
        opened.append(gateway)
        return gateway

    yield open_one
    for gateway in opened:
        gateway.close()


def incident_token(gateway: Gateway) -> str:
    admin = Admin(gateway)
    register_incident(admin)
    return task_token(admin, analysis_task(admin))


def declare_limits(gateway: Gateway, tmp_path: Path, *limits: object) -> None:
    manifest = tmp_path / f"limits-{secrets.token_hex(4)}.yaml"
    manifest.write_text(yaml.safe_dump({"rate_limits": list(limits)}), encoding="utf-8")
    apply_manifest(Admin(gateway), load_manifest(manifest), actor="ops")


def audit_bodies(gateway: Gateway, kind: str) -> list[dict[str, Any]]:
    return [dict(e.body) for e in gateway.runtime.audit.iter_entries(kinds={kind})]


# -- rate limits -------------------------------------------------------------------------


def test_exactly_the_limit_is_allowed_and_the_next_call_is_rate_limited(
    open_gateway: OpenGateway, tmp_path: Path
) -> None:
    gateway = open_gateway()
    token = incident_token(gateway)
    declare_limits(gateway, tmp_path, "forum.read_thread: 3/hour per agent")

    outcomes = [gateway.check(token, READ) for _ in range(4)]

    assert [d.outcome for d in outcomes[:3]] == [Outcome.ALLOW] * 3
    refused = outcomes[3]
    assert (refused.outcome, refused.code) == (Outcome.DENY, "rate_limited")
    assert refused.retry_after_s is not None
    assert 1100 <= refused.retry_after_s <= 1200
    assert "forum.read_thread is limited to 3 per hour per agent" in refused.explain()
    assert "forum-bot may call again in 20 minutes" in refused.explain()
    recorded = audit_bodies(gateway, "decision")[-1]
    assert (recorded["decision_id"], recorded["code"]) == (refused.id, "rate_limited")


def test_a_limit_on_another_tool_or_scope_leaves_this_call_alone(
    open_gateway: OpenGateway, tmp_path: Path
) -> None:
    gateway = open_gateway()
    token = incident_token(gateway)
    declare_limits(gateway, tmp_path, "forum.post: 1/hour per agent", "repo.*: 1/hour per task")
    assert all(gateway.check(token, READ).allowed for _ in range(5))


def test_declared_limits_are_replaced_as_a_whole_and_audited(
    open_gateway: OpenGateway, tmp_path: Path
) -> None:
    gateway = open_gateway()
    token = incident_token(gateway)
    declare_limits(gateway, tmp_path, "forum.read_thread: 1/hour per agent")
    assert gateway.check(token, READ).allowed
    assert gateway.check(token, READ).code == "rate_limited"

    declare_limits(gateway, tmp_path)  # an empty list removes every limit

    assert gateway.runtime.monitor.rate_limits == ()
    assert gateway.check(token, READ).allowed
    changes = audit_bodies(gateway, "rate_limits")
    assert [c["rules"] for c in changes] == [["forum.read_thread: 1/hour per agent"], []]
    assert {c["actor"] for c in changes} == {"ops"}


def test_an_invalid_limit_in_the_manifest_is_refused_naming_it(tmp_path: Path) -> None:
    manifest = tmp_path / "proctor.yaml"
    manifest.write_text(yaml.safe_dump({"rate_limits": ["forum.post: 5/hour per team"]}))
    with pytest.raises(InvalidInput) as refused:
        load_manifest(manifest)
    assert refused.value.code == "invalid_rate_limit"
    assert "rate limit #1" in refused.value.message
    assert "unknown scope 'team'" in refused.value.message


def test_another_process_on_the_store_follows_new_limits(
    open_gateway: OpenGateway, tmp_path: Path
) -> None:
    first = open_gateway()
    token = incident_token(first)
    second = open_gateway()  # the same data directory: a second gateway on the store
    declare_limits(first, tmp_path, "forum.read_thread: 1/hour per agent")
    time.sleep(0.1)  # one poll interval of the second gateway
    assert second.check(token, READ).allowed
    assert second.check(token, READ).code == "rate_limited"


def redis_or_skip() -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        service_unavailable(f"no Redis at {REDIS_URL}: {exc}")
    finally:
        client.close()


def test_two_gateways_on_one_redis_share_one_allowance(
    open_gateway: OpenGateway, tmp_path: Path
) -> None:
    redis_or_skip()
    monitor = {"redis_url": REDIS_URL}
    first = open_gateway(monitor=monitor)
    token = incident_token(first)
    second = open_gateway(monitor=monitor)
    # A fresh rule id: buckets of earlier runs (same Redis) are not this test's.
    rule = {"tool": "forum.read_thread", "limit": "4/hour", "per": "agent"}
    declare_limits(first, tmp_path, {**rule, "id": f"shared-{secrets.token_hex(6)}"})
    time.sleep(0.1)

    answers = [gw.check(token, READ) for gw in (first, second, first, second, first, second)]

    assert [a.allowed for a in answers] == [True, True, True, True, False, False]
    assert {a.code for a in answers[4:]} == {"rate_limited"}


def dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_redis_down_under_deny_refuses_limited_calls_only(
    open_gateway: OpenGateway, tmp_path: Path
) -> None:
    url = f"redis://127.0.0.1:{dead_port()}/0"
    gateway = open_gateway(monitor={"redis_url": url, "on_redis_error": "deny"})
    token = incident_token(gateway)
    declare_limits(gateway, tmp_path, "forum.read_thread: 100/hour per agent")

    refused = gateway.check(token, READ)
    assert (refused.outcome, refused.code) == (Outcome.DENY, "rate_limiter_unavailable")
    assert "rate limits could not be checked" in refused.explain()
    # A call no limit covers goes on.
    assert gateway.check(token, ToolCall("forum.reply_private")).allowed


def test_redis_down_under_local_counts_in_the_process(
    open_gateway: OpenGateway, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"redis://127.0.0.1:{dead_port()}/0"
    gateway = open_gateway(monitor={"redis_url": url, "on_redis_error": "local"})
    token = incident_token(gateway)
    declare_limits(gateway, tmp_path, "forum.read_thread: 2/hour per agent")

    answers = [gateway.check(token, READ) for _ in range(3)]

    assert [a.allowed for a in answers] == [True, True, False]
    assert answers[2].code == "rate_limited"
    assert any("counted in this process" in r.getMessage() for r in caplog.records)


# -- breakers ----------------------------------------------------------------------------

PERMISSION_SPREE = {"action_burst": {"action": "modify_permissions", "count": 3, "within": "1m"}}


def widen(repo: str) -> ToolCall:
    return ToolCall(
        "repo.set_permissions",
        {"repo": repo, "grantee": "all-employees", "level": "admin"},
        resource="repo:acme/payments-core",
    )


def trip(gateway: Gateway, token: str) -> None:
    for repo in ("payments-core", "ledger", "billing"):
        gateway.check(token, widen(repo))
    assert gateway.runtime.monitor.drain()


def test_a_permission_spree_trips_the_breaker_and_holds_the_agent_for_its_owner(
    open_gateway: OpenGateway,
) -> None:
    gateway = open_gateway(monitor={"breakers": {"rules": [PERMISSION_SPREE]}})
    token = incident_token(gateway)
    assert gateway.check(token, READ).allowed

    trip(gateway, token)

    held = gateway.check(token, READ)
    assert (held.outcome, held.code) == (Outcome.REQUIRE_APPROVAL, "breaker_open")
    assert "forum-bot's circuit breaker is open (tripped by action_burst" in held.explain()
    approval = gateway.runtime.approvals.get(held.approval_id or "")
    assert approval.approvers == {"agent_owner": "platform-team"}
    state = gateway.runtime.monitor.breakers.state("forum-bot")
    assert state.status is BreakerStatus.OPEN
    (trip_entry,) = [b for b in audit_bodies(gateway, "breaker") if b["event"] == "trip"]
    # Each call behind the trip names what it touched and its decision in the log.
    decisions = {d["decision_id"] for d in audit_bodies(gateway, "decision")}
    calls = trip_entry["evidence"]["calls"]
    assert [c["resource"] for c in calls] == ["repo:acme/payments-core"] * 3
    assert {c["decision_id"] for c in calls} <= decisions
    assert trip_entry["agent"] == "forum-bot"
    assert "modify_permissions" in trip_entry["rule"]


def test_a_deny_stays_a_deny_while_the_breaker_holds(open_gateway: OpenGateway) -> None:
    gateway = open_gateway(monitor={"breakers": {"rules": [PERMISSION_SPREE]}})
    token = incident_token(gateway)
    trip(gateway, token)
    still_denied = gateway.check(token, ToolCall("shell.exec"))  # not in the inventory
    assert still_denied.outcome is Outcome.DENY


def test_on_trip_deny_refuses_before_any_policy_is_asked(open_gateway: OpenGateway) -> None:
    breakers = {"on_trip": "deny", "rules": [PERMISSION_SPREE]}
    gateway = open_gateway(monitor={"breakers": breakers})
    token = incident_token(gateway)
    trip(gateway, token)
    refused = gateway.check(token, READ)
    assert (refused.outcome, refused.code) == (Outcome.DENY, "breaker_open")
    assert "calls are denied" in refused.explain()
    assert "proctor breaker reset forum-bot" in refused.explain()


def test_after_the_cool_down_good_probes_close_the_breaker(open_gateway: OpenGateway) -> None:
    breakers = {"cool_down": "1s", "probe_calls": 2, "rules": [PERMISSION_SPREE]}
    # Probes are judged by their anomaly score; a learning agent scores its floor (0.5).
    gateway = open_gateway(monitor={"breakers": breakers})
    token = incident_token(gateway)
    trip(gateway, token)
    assert gateway.check(token, READ).code == "breaker_open"

    time.sleep(1.1)
    probes = [gateway.check(token, READ) for _ in range(2)]
    assert all(p.allowed for p in probes), [p.explain() for p in probes]
    assert gateway.runtime.monitor.drain()

    assert gateway.runtime.monitor.breakers.state("forum-bot").status is BreakerStatus.CLOSED
    events = [b["event"] for b in audit_bodies(gateway, "breaker")]
    assert events == ["trip", "half_open", "reset"]
    assert audit_bodies(gateway, "breaker")[-1]["automatic"] is True


def test_a_person_resets_a_tripped_breaker_with_a_reason(open_gateway: OpenGateway) -> None:
    gateway = open_gateway(monitor={"breakers": {"rules": [PERMISSION_SPREE]}})
    token = incident_token(gateway)
    trip(gateway, token)
    monitor = gateway.runtime.monitor

    with pytest.raises(InvalidInput) as no_reason:
        monitor.reset_breaker("forum-bot", by="alice-lead", reason=" ")
    assert no_reason.value.code == "reason_required"
    monitor.reset_breaker("forum-bot", by="alice-lead", reason="spree was a test")
    assert monitor.drain()

    assert gateway.check(token, READ).allowed
    reset = audit_bodies(gateway, "breaker")[-1]
    assert (reset["event"], reset["by"], reset["reason"]) == (
        "reset",
        "alice-lead",
        "spree was a test",
    )
    with pytest.raises(Conflict) as closed:
        monitor.reset_breaker("forum-bot", by="alice-lead", reason="again")
    assert closed.value.code == "breaker_not_tripped"


def test_a_trip_survives_a_restart(open_gateway: OpenGateway, tmp_path: Path) -> None:
    settings = {"monitor": {"breakers": {"rules": [PERMISSION_SPREE]}}}
    gateway = open_gateway(**settings)
    token = incident_token(gateway)
    trip(gateway, token)
    gateway.close()
    restarted = Gateway.open(tmp_path / "home")
    try:
        assert restarted.check(token, READ).code == "breaker_open"
    finally:
        restarted.close()


# -- alerts ------------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


def test_a_trip_alerts_the_owner_in_the_store_the_log_and_a_signed_webhook(
    open_gateway: OpenGateway, receiver: Receiver
) -> None:
    gateway = open_gateway(
        monitor={"breakers": {"rules": [PERMISSION_SPREE]}},
        webhook={"url": receiver.url, "first_backoff_s": 0.05},
    )
    token = incident_token(gateway)
    trip(gateway, token)

    (alert,) = gateway.runtime.monitor.alerts.list(agent="forum-bot")
    assert alert.kind is AlertKind.BREAKER
    assert alert.evidence["owner"] == "platform-team"
    assert [e["id"] for e in audit_bodies(gateway, "alert")] == [alert.id]
    # The held permission changes were posted too, as approval requests.
    arrived = next(r for r in receiver.wait_for(4) if b'"alert.breaker"' in r.body)
    key = load_or_create_secret(gateway.runtime.home.webhook_secret_path)
    assert verify_signature(key, arrived.headers, arrived.body)
    body = json.loads(arrived.body)
    assert body["proctor"]["alert"]["id"] == alert.id
    assert "breaker tripped by action_burst" in body["text"]
    assert any("platform-team" in json.dumps(block) for block in body["blocks"])


def test_an_unusual_call_of_a_learned_agent_raises_one_alert_per_episode(
    open_gateway: OpenGateway,
) -> None:
    clock = Clock()
    gateway = open_gateway(clock, monitor={"learning_calls": 20, "learning_period_s": 0})
    token = incident_token(gateway)
    for _ in range(40):  # a steady reader: one read every three minutes
        assert gateway.check(token, READ).allowed
        clock.advance(timedelta(minutes=3))
    assert gateway.runtime.monitor.drain()
    assert gateway.runtime.monitor.alerts.list() == []

    for _ in range(3):  # a tool it never used, on confidential data: one episode
        gateway.check(token, ToolCall("vault.read_secret"))
    assert gateway.runtime.monitor.drain()

    (alert,) = gateway.runtime.monitor.alerts.list()
    assert alert.kind is AlertKind.ANOMALY
    assert "vault.read_secret" in json.dumps(alert.evidence["call"])
    assert alert.evidence["baseline"]["tools"], "the baseline it differs from"


# -- anomaly facts in Cedar --------------------------------------------------------------

HOLD_UNUSUAL = """
@id("hold-unusual-reads")
@outcome("approval")
@approver("agent_owner")
@reason("{agent} reads {tool} unusually ({monitor.why})")
forbid (principal, action == Action::"read", resource)
when { context.monitor.anomaly_score >= 50 }
unless { context.approved };
"""


def test_policies_judge_the_anomaly_facts(open_gateway: OpenGateway) -> None:
    gateway = open_gateway()
    token = incident_token(gateway)
    Admin(gateway).put_policy("unusual.cedar", HOLD_UNUSUAL, actor="t")

    held = gateway.check(token, READ)  # a learning agent scores its floor, 50

    assert held.outcome is Outcome.REQUIRE_APPROVAL
    assert "forum-bot reads forum.read_thread unusually (learning" in held.explain()


def test_with_monitoring_off_nothing_is_limited_and_nothing_looks_unusual(
    open_gateway: OpenGateway, tmp_path: Path
) -> None:
    gateway = open_gateway(monitor={"enabled": False})
    token = incident_token(gateway)
    Admin(gateway).put_policy("unusual.cedar", HOLD_UNUSUAL, actor="t")
    declare_limits(gateway, tmp_path, "forum.read_thread: 1/hour per agent")
    assert all(gateway.check(token, READ).allowed for _ in range(3))


def _thread(n: int) -> ToolCall:
    return ToolCall("forum.read_thread", {"page": n}, resource="forum:thread-4411")


def test_failing_tool_outcomes_trip_the_error_rate_breaker(open_gateway: OpenGateway) -> None:
    rule = {"error_rate": {"percent": 50, "min_calls": 4, "within": "1m"}}
    gateway = open_gateway(monitor={"breakers": {"rules": [rule]}})
    token = incident_token(gateway)
    statuses = (OutcomeStatus.SUCCEEDED, OutcomeStatus.FAILED, OutcomeStatus.FAILED)
    for n, status in enumerate(statuses):  # other pages: other calls
        decision = gateway.check(token, _thread(n))
        gateway.record_outcome(token, decision.id, status)
    assert gateway.runtime.monitor.drain()
    assert gateway.check(token, _thread(3)).allowed, "3 outcomes: below min_calls"

    decision = gateway.check(token, _thread(4))
    gateway.record_outcome(token, decision.id, OutcomeStatus.FAILED)
    assert gateway.runtime.monitor.drain()

    assert gateway.check(token, _thread(5)).code == "breaker_open"
    (trip_entry,) = [b for b in audit_bodies(gateway, "breaker") if b["event"] == "trip"]
    assert "error_rate" in trip_entry["rule"]


def test_over_http_a_rate_limited_check_says_when_to_retry(
    open_gateway: OpenGateway, tmp_path: Path
) -> None:
    gateway = open_gateway()
    token = incident_token(gateway)
    declare_limits(gateway, tmp_path, "forum.read_thread: 1/hour per agent")
    agent = Api(create_app(gateway), token)
    body = {"tool": READ.tool, "resource": READ.resource}

    assert agent.post("/v1/check", json=body).json()["outcome"] == "allow"
    limited = agent.post("/v1/check", json=body)

    assert limited.status_code == 200
    answer = limited.json()
    assert (answer["outcome"], answer["code"]) == ("deny", "rate_limited")
    assert 3500 <= answer["retry_after_s"] <= 3600
    assert limited.headers["Retry-After"] == str(answer["retry_after_s"])


def test_the_sdk_raises_with_the_retry_after(open_gateway: OpenGateway, tmp_path: Path) -> None:
    gateway = open_gateway()
    token = incident_token(gateway)
    declare_limits(gateway, tmp_path, "forum.read_thread: 1/hour per agent")

    @guarded("forum.read_thread", checker=gateway, token=token)
    def read_thread() -> str:
        return "thread"

    assert read_thread() == "thread"
    with pytest.raises(ActionDenied) as denied:
        read_thread()
    assert denied.value.reason_code == "rate_limited"
    assert denied.value.retry_after_s is not None
    assert denied.value.retry_after_s > 3000


def test_a_loop_repeating_one_call_is_told_from_work_by_its_fingerprint(
    open_gateway: OpenGateway,
) -> None:
    clock = Clock()
    gateway = open_gateway(clock, monitor={"learning_calls": 30, "learning_period_s": 0})
    token = incident_token(gateway)
    for page in range(60):  # steady work: different pages, one read every two minutes
        call = ToolCall("forum.read_thread", {"page": page}, resource="forum:thread-4411")
        assert gateway.check(token, call).allowed
        clock.advance(timedelta(minutes=2))
    assert gateway.runtime.monitor.drain()
    assert gateway.runtime.monitor.alerts.list() == []

    loop = ToolCall("forum.read_thread", {"page": 7}, resource="forum:thread-4411")
    for _ in range(5):  # the same call again and again, a second apart
        gateway.check(token, loop)
        clock.advance(timedelta(seconds=1))
    assert gateway.runtime.monitor.drain()

    (alert,) = gateway.runtime.monitor.alerts.list()
    assert "repeating recent calls" in json.dumps(alert.evidence["facts"]["reasons"])


def forged_from(token: str) -> str:
    """``token`` with its signature's last characters changed: same claims, not ours."""
    head, _, signature = token.rpartition(".")
    return f"{head}.{signature[:-4]}{'AAAA' if not signature.endswith('AAAA') else 'BBBB'}"


def test_a_forged_token_uses_up_nobody_s_allowance_nor_trips_their_breaker(
    open_gateway: OpenGateway, tmp_path: Path
) -> None:
    """Limits and breakers count only calls whose token, agent and task were verified:
    an attacker replaying forum-bot's claims cannot throttle or stop forum-bot."""
    gateway = open_gateway(monitor={"breakers": {"rules": [PERMISSION_SPREE]}})
    token = incident_token(gateway)
    declare_limits(gateway, tmp_path, "forum.read_thread: 1/hour per agent")
    forged = forged_from(token)

    for _ in range(5):
        assert gateway.check(forged, READ).code == "token_bad_signature"
        gateway.check(forged, widen("payments-core"))
    assert gateway.runtime.monitor.drain()

    assert gateway.check(token, READ).allowed
    assert gateway.runtime.monitor.breakers.state("forum-bot").status is BreakerStatus.CLOSED
    assert gateway.runtime.monitor.alerts.list() == []


def test_the_learner_trips_the_breaker_within_milliseconds_without_being_asked(
    open_gateway: OpenGateway,
) -> None:
    gateway = open_gateway(monitor={"breakers": {"rules": [PERMISSION_SPREE]}})
    token = incident_token(gateway)
    monitor = gateway.runtime.monitor
    for repo in ("payments-core", "ledger", "billing"):
        gateway.check(token, widen(repo))
    # No drain(): the learner looks at its inbox on its own, every few milliseconds.
    deadline = time.monotonic() + 1.0
    while not monitor.breakers.state("forum-bot").tripped:
        assert time.monotonic() < deadline, "the learner did not trip the breaker within 1 s"
        time.sleep(0.005)
    # The very next check after the trip is held.
    held = gateway.check(token, READ)
    assert (held.outcome, held.code) == (Outcome.REQUIRE_APPROVAL, "breaker_open")


def test_drain_waits_until_every_call_handed_over_is_learned(open_gateway: OpenGateway) -> None:
    gateway = open_gateway()
    token = incident_token(gateway)
    for _ in range(20):
        gateway.check(token, READ)
    assert gateway.runtime.monitor.drain()
    assert gateway.runtime.monitor.baselines.state("forum-bot")["calls"] == 20


def test_a_learner_too_far_behind_alerts_and_fails_closed_until_it_catches_up(
    open_gateway: OpenGateway,
) -> None:
    gateway = open_gateway()
    token = incident_token(gateway)
    monitor = gateway.runtime.monitor
    for _ in range(30):  # past the learning period: a plain read is normal
        gateway.check(token, READ)
    assert monitor.drain()
    assert monitor.dropped == 0
    monitor.setup = replace(monitor.setup, inbox_limit=4)
    # The learner stalls (as under a flood it cannot keep up with) ...
    stalled, learn_one = threading.Event(), monitor._learn_one

    def slow_learn(item: Any) -> None:
        stalled.wait(10)
        learn_one(item)

    monitor._learn_one = slow_learn  # type: ignore[method-assign]
    for _ in range(8):
        gateway.check(token, READ)
    # ... so calls go unlearned: one alert, and checks fail closed meanwhile.
    assert monitor.dropped > 0
    Admin(gateway).put_policy("unusual.cedar", HOLD_UNUSUAL, actor="t")
    held = gateway.check(token, READ)
    assert held.outcome is Outcome.REQUIRE_APPROVAL
    assert "calls behind" in held.explain()
    deadline = time.monotonic() + 5
    while not [a for a in monitor.alerts.list() if a.kind is AlertKind.MONITOR]:
        assert time.monotonic() < deadline, "no alert said the monitor fell behind"
        time.sleep(0.01)
    (alert,) = [a for a in monitor.alerts.list() if a.kind is AlertKind.MONITOR]
    assert "stopped learning" in alert.summary
    assert [b for b in audit_bodies(gateway, "alert") if b["kind"] == "monitor"]
    # Once it has caught up, the facts are back.
    stalled.set()
    assert monitor.drain()
    back = gateway.check(token, READ)  # judged on its baseline again (still learning)
    assert "calls behind" not in back.explain()
    assert "learning: " in back.explain()
