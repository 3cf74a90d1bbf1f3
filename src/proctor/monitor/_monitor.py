"""The monitor as the gateway uses it: one object that screens a call before Cedar and
learns from it after; learning, trips and alerts happen off the hot path.

Before a call is judged, :meth:`Monitor.before` reads the agent's breaker, counts the
call against the rate limits (exactly, in the caller's thread) and reads the cheap
anomaly facts (memory only, a few µs). After the decision is recorded,
:meth:`Monitor.after` appends the observation to an inbox (a deque append: no lock, no
wake-up). The learner thread empties the inbox in batches every few milliseconds: for
each call, in order, the exact anomaly facts, the baseline update, the breaker rules
and the alert rule. Trips, resets and alerts are written to the audit log and the alert
store (and so to every SSE listener) and sent to the webhook on other background
threads, so a slow store or receiver never delays a call.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from proctor.audit import AuditLog
from proctor.model import ActionClass, Label
from proctor.monitor._alert_store import AlertStore
from proctor.monitor._alerts import Alert, AlertRule, overload_alert, violation_alert
from proctor.monitor._baseline import Baselines
from proctor.monitor._breaker import Breakers, BreakerSettings
from proctor.monitor._events import BreakerEvent, BreakerState, HalfOpen, Reset, Trip
from proctor.monitor._facts import AnomalyFacts, Observation, OutcomeObservation
from proctor.monitor._limits_store import RATE_LIMITS_VERSION_KEY, LimitsChange, RateLimitStore
from proctor.monitor._monitor_store import BaselineStore, BreakerStore
from proctor.monitor._ratelimit_redis import build_rate_limiter
from proctor.monitor._ratelimit_result import CallKey, LimitResult, RateLimiter
from proctor.monitor._ratelimit_rules import RateLimitRule
from proctor.monitor._settings import BaselineSettings
from proctor.notify import Notifier
from proctor.store import ChangeWatch, Database, utcnow

log = logging.getLogger("proctor.monitor")

#: Subjects of alert notifications (delivery attempts are recorded under them).
ALERT_SUBJECT_PREFIX = "alert:"
_UNLIMITED = LimitResult(allowed=True)
_QUEUE_LIMIT = 10_000
#: Observations waiting for the learner; beyond this one is dropped (and logged).
INBOX_LIMIT = 100_000
#: How often the learner looks at its inbox: a batch every this many seconds (the hot
#: path never wakes it: waking a thread per call costs more than learning from it).
LEARN_INTERVAL_S = 0.01


@dataclass(frozen=True, slots=True)
class MonitorSetup:
    """How the monitor runs in a gateway (read from the data directory's settings)."""

    enabled: bool = True
    redis_url: str | None = None
    on_redis_error: str = "deny"
    redis_key_prefix: str = "proctor:rl:"
    alert_threshold: float = 0.7
    alert_quiet_period: timedelta = timedelta(minutes=30)
    breakers: BreakerSettings = field(default_factory=BreakerSettings)
    baselines: BaselineSettings = field(default_factory=BaselineSettings)
    #: Calls waiting for the learner beyond which a call is not learned: the monitor
    #: then alerts once and reports every check's anomaly facts as unavailable (score
    #: 1.0) until the learner is back under half of it.
    inbox_limit: int = INBOX_LIMIT
    #: How often changed baselines are saved (and other processes' limits and
    #: breakers are looked for).
    flush_interval_s: float = 5.0
    poll_interval_s: float = 1.0


@dataclass(frozen=True, slots=True)
class Screen:
    """What the monitor says of a call before it is judged."""

    breaker: BreakerState
    limit: LimitResult
    facts: AnomalyFacts


class Monitor:
    """Rate limits, baselines, breakers and alerts for one gateway process."""

    def __init__(
        self,
        database: Database,
        audit: AuditLog,
        setup: MonitorSetup | None = None,
        *,
        notifier: Notifier | None = None,
        owner_of: Callable[[str], str | None] = lambda _agent: None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.setup = setup or MonitorSetup()
        self._audit = audit
        self._notifier = notifier
        self._owner_of = owner_of
        self._clock = clock
        self.alerts = AlertStore(database)
        self.limit_store = RateLimitStore(database)
        self.baselines = Baselines(BaselineStore(database), self.setup.baselines)
        self.breakers = Breakers(
            self.setup.breakers,
            store=BreakerStore(database),
            clock=clock,
            poll_interval_s=self.setup.poll_interval_s,
        )
        self.alert_rule = AlertRule(
            self.setup.alert_threshold, self.setup.alert_quiet_period, baselines=self.baselines
        )
        self.breakers.listeners.subscribe(self._breaker_event)
        self._limits_lock = threading.Lock()
        self._limits_watch = ChangeWatch(
            database, RATE_LIMITS_VERSION_KEY, self.setup.poll_interval_s
        )
        self._limits_version = database.version(RATE_LIMITS_VERSION_KEY)
        self._limiter = self._build_limiter(self.limit_store.rules())
        self._queue: queue.Queue[Alert | None] = queue.Queue(_QUEUE_LIMIT)
        self._worker = threading.Thread(target=self._run, name="proctor-monitor", daemon=True)
        self._closed = False
        # Calls and outcomes to learn from, in order; appended by callers, emptied by
        # the learner (deque append and popleft are thread-safe).
        self._inbox: deque[Observation | OutcomeObservation] = deque()
        self._learning = False  # the learner is working through a batch
        # Set when the inbox overflowed, cleared when the learner is back under half
        # of it: meanwhile checks get unavailable anomaly facts (fail closed).
        self._overloaded = False
        self._dropped = 0
        # What the learner has done: items learned and its thread's CPU seconds.
        self._learned_items = 0
        self._learner_cpu_s = 0.0
        self._wake = threading.Event()  # drain() and close() hurry the learner
        self._stopping = False
        self._learner = threading.Thread(
            target=self._learn_loop, name="proctor-monitor-learn", daemon=True
        )
        self._worker.start()
        self._learner.start()

    # -- the hot path ------------------------------------------------------------------

    def now(self) -> datetime:
        """The time calls are observed at (the clock the monitor was given)."""
        return self._clock()

    def before(
        self,
        call: CallKey,
        action: ActionClass | None,
        label: Label,
        at: datetime,
        *,
        count: bool = True,
        call_key: str | None = None,
    ) -> Screen:
        """The breaker, the rate limits and the anomaly facts of a call about to be judged.

        ``call_key`` (the call's fingerprint) is not read here: loops are judged by
        the learner, from the observation's key. ``count=False`` (an admin's "what
        if") consumes no rate-limit allowance, and neither does a call a tripped
        breaker stops.
        Facts that cannot be computed are :meth:`AnomalyFacts.unavailable` (score
        1.0): fail closed.
        """
        breaker = self.breakers.state(call.agent, at)
        if not self.setup.enabled:
            return Screen(breaker, _UNLIMITED, _OFF)
        counted = count and not breaker.tripped
        limit = self._limiter_now().hit(call) if counted else _UNLIMITED
        if self._overloaded:
            behind = f"the monitor is {len(self._inbox):,} calls behind"
            return Screen(breaker, limit, AnomalyFacts.unavailable(behind))
        try:
            facts = self.baselines.screen(call.agent, call.tool, action, label, at)
        except Exception as exc:
            log.exception("anomaly facts for %s failed", call.agent)
            facts = AnomalyFacts.unavailable(type(exc).__name__)
        return Screen(breaker, limit, facts)

    def after(self, observation: Observation, facts: AnomalyFacts | None = None) -> None:
        """Hand a decided call to the learner (a deque append, in the caller's thread).

        The learner judges it exactly (the hot path's ``facts`` carry the previous
        call's burst evidence; these are not used), learns from it, counts it against
        the breaker rules and raises its alert, within about
        :data:`LEARN_INTERVAL_S`; :meth:`drain` waits for it.
        """
        if self.setup.enabled:
            self._hand_over(observation)

    def outcome(self, outcome: OutcomeObservation) -> None:
        """Learn whether a call the agent ran failed (on the learner, in order)."""
        if self.setup.enabled:
            self._hand_over(outcome)

    def violation(self, agent: str, tool: str, decision_id: str, problems: list[str]) -> None:
        """Alert the agent's owner that an outcome broke the rules (a call ran that was
        not allowed, or returned data above the requester's clearance)."""
        self._send(violation_alert(agent, tool, decision_id, problems, self._clock()))

    # -- people and admins ---------------------------------------------------------------

    @property
    def rate_limits(self) -> tuple[RateLimitRule, ...]:
        self._limiter_now()
        return self._rules

    def declare_rate_limits(self, rules: tuple[RateLimitRule, ...], *, actor: str) -> LimitsChange:
        """Replace the declared rate limits (every process sharing the store follows
        within its poll interval): ``created``, ``updated`` or ``unchanged``."""
        changed = self.limit_store.put(rules, actor=actor)
        if changed != "unchanged":
            self._audit.append(
                "rate_limits",
                {"actor": actor, "rules": [rule.id for rule in rules]},
            )
            self._reload_limits(force=True)
        return changed

    def reset_breaker(self, agent: str, *, by: str, reason: str) -> Reset:
        """A person closes a tripped breaker (audited by the event listener)."""
        return self.breakers.reset(agent, by=by, reason=reason)

    def drain(self, timeout_s: float = 5.0) -> bool:
        """Wait until every call handed over so far was learned, and every trip, reset
        and alert raised so far was written and sent."""
        deadline = time.monotonic() + timeout_s
        # The learner may trip a breaker, whose event may raise an alert queued behind
        # it: wait for all three to be idle at once.
        while time.monotonic() < deadline:
            if not self._learned(deadline):
                return False
            left = max(0.0, deadline - time.monotonic())
            if not self.breakers.listeners.drain(left):
                return False
            if not self._queue.unfinished_tasks and not self._inbox and not self._learning:
                return True
            time.sleep(0.001)
        return False

    def learner_load(self) -> tuple[int, float]:
        """How many calls and outcomes the learner has learned, and the CPU seconds
        its thread spent on them (what monitoring costs off the hot path)."""
        return self._learned_items, self._learner_cpu_s

    def close(self) -> None:
        """Learn what is handed over, write what is queued, save the baselines, stop
        the threads."""
        if self._closed:
            return
        self._stopping = True
        self._wake.set()
        self._learner.join(timeout=10.0)
        self._closed = True
        self.breakers.close()
        self._queue.put(None)
        self._worker.join(timeout=10.0)
        self._flush(everything=True)
        closer = getattr(self._limiter, "close", None)
        if closer is not None:
            closer()

    # -- the learner: baselines, breaker rules, alert rule ---------------------------

    def _hand_over(self, item: Observation | OutcomeObservation) -> None:
        if self._stopping:
            self._learn_one(item)  # closing: learn in the caller's thread, as before
            return
        if len(self._inbox) >= self.setup.inbox_limit:
            self._overflow(item.agent)
            return
        self._inbox.append(item)

    def _overflow(self, agent: str) -> None:
        """A call the learner has no room for: counted, and the first of an episode
        alerts (the rest are only counted, not logged one by one)."""
        self._dropped += 1
        if self._overloaded:
            return
        self._overloaded = True
        waiting = len(self._inbox)
        log.error(
            "the monitor's learner is %d calls behind; calls are not learned and anomaly "
            "facts are unavailable until it catches up",
            waiting,
        )
        self._send(overload_alert(agent, waiting, self._clock()))

    @property
    def dropped(self) -> int:
        """Calls the learner had no room for (never learned), since the monitor started."""
        return self._dropped

    def _learned(self, deadline: float) -> bool:
        """Wait (until ``deadline``) for the learner to empty its inbox."""
        self._wake.set()
        while self._inbox or self._learning:
            if time.monotonic() >= deadline or not self._learner.is_alive():
                return not self._inbox and not self._learning
            time.sleep(0.0005)
            if self._inbox and not self._learning:
                self._wake.set()  # it was between batches: hurry it again
        return True

    def _learn_loop(self) -> None:
        inbox = self._inbox
        while True:
            self._wake.wait(LEARN_INTERVAL_S)
            self._wake.clear()
            if inbox:
                self._learning = True
                started = time.thread_time()
                self._learn_batch(inbox)
                self._learner_cpu_s += time.thread_time() - started
                self._learning = False
            if self._stopping and not inbox:
                return

    def _learn_batch(self, inbox: deque[Observation | OutcomeObservation]) -> None:
        """Learn until ``inbox`` is empty, in one go: learning in slices with pauses, so
        that a waiting check gets the interpreter lock sooner, was measured to cost
        checks more (every pause ends in a forced hand-off of the lock)."""
        while inbox:
            self._learn_one(inbox.popleft())
            self._learned_items += 1
            if self._overloaded and len(inbox) < self.setup.inbox_limit // 2:
                self._overloaded = False
                log.warning("the monitor's learner caught up; anomaly facts are back")

    def _learn_one(self, item: Observation | OutcomeObservation) -> None:
        try:
            if isinstance(item, OutcomeObservation):
                self.baselines.observe_outcome(item)
                self.breakers.observe_outcome(item)
                return
            item = _keyed(item)
            facts = self.baselines.learn(item)
            self.breakers.observe(item, facts)
            alert = self.alert_rule.consider(item, facts)
        except Exception:
            log.exception("the monitor failed to learn from a call of %s", item.agent)
            return
        if alert is not None:
            self._send(alert)

    # -- the monitor's thread: alerts out, baselines saved -------------------------------

    def _send(self, alert: Alert) -> None:
        if self._closed:
            log.warning("monitor closed; alert %s (%s) not sent", alert.id, alert.summary)
            return
        try:
            self._queue.put_nowait(alert)
        except queue.Full:
            log.error("monitor alert queue full; alert %s (%s) dropped", alert.id, alert.summary)

    def _run(self) -> None:
        next_flush = time.monotonic() + self.setup.flush_interval_s
        while True:
            wait = max(0.0, next_flush - time.monotonic())
            try:
                alert = self._queue.get(timeout=wait)
            except queue.Empty:
                alert = None
            else:
                try:
                    if alert is None:
                        return
                    self._raise(alert)
                except Exception:
                    log.exception("raising alert %s failed", alert.id if alert else "?")
                finally:
                    self._queue.task_done()
            if time.monotonic() >= next_flush:
                self._flush()
                next_flush = time.monotonic() + self.setup.flush_interval_s

    def _flush(self, *, everything: bool = False) -> None:
        try:
            self.baselines.flush(everything=everything)
        except Exception:
            log.exception("saving baselines failed; they are kept for the next flush")

    def _breaker_event(self, event: BreakerEvent) -> None:
        """Audit every trip, half-open and reset; a trip alerts the agent's owner."""
        self._audit.append("breaker", _breaker_body(event))
        if isinstance(event, Trip):
            self._send(self.alert_rule.for_trip(event))

    def _raise(self, alert: Alert) -> None:
        owner = self._owner_of(alert.agent)
        evidence = {**dict(alert.evidence), "owner": owner}
        alert = replace(alert, evidence=evidence)
        self._audit.append("alert", alert.as_dict())
        self.alerts.add(alert)
        if self._notifier is not None:
            self._notifier.send(ALERT_SUBJECT_PREFIX + alert.id, "alert", alert_message(alert))

    # -- rate limits ---------------------------------------------------------------------

    def _limiter_now(self) -> RateLimiter:
        if self._limits_watch.moved_since(self._limits_version):
            self._reload_limits()
        return self._limiter

    def _reload_limits(self, *, force: bool = False) -> None:
        with self._limits_lock:
            version = self.limit_store.database.version(RATE_LIMITS_VERSION_KEY)
            if version == self._limits_version and not force:
                return
            old, self._limiter = self._limiter, self._build_limiter(self.limit_store.rules())
            self._limits_version = version
        closer = getattr(old, "close", None)
        if closer is not None:
            closer()

    def _build_limiter(self, rules: tuple[RateLimitRule, ...]) -> RateLimiter:
        self._rules = rules
        return build_rate_limiter(
            rules,
            redis_url=self.setup.redis_url,
            on_error=self.setup.on_redis_error,
            key_prefix=self.setup.redis_key_prefix,
        )


_OFF = AnomalyFacts(
    learning=False,
    new_tool=False,
    new_action_class=False,
    label_escalation=False,
    rate_zscore=0.0,
    deny_rate=0.0,
    anomaly_score=0.0,
    reasons=("monitoring is off",),
)


def _keyed(observation: Observation) -> Observation:
    """The observation with its fingerprint; without one if it cannot be computed (its
    arguments changed while being read): the call is still learned, by its timing."""
    try:
        return observation.keyed()
    except Exception:
        log.warning("no fingerprint for a call of %s; learned without", observation.agent)
        return replace(observation, call_key=None, call_key_source=None)


def _breaker_body(event: BreakerEvent) -> dict[str, Any]:
    body: dict[str, Any] = {"agent": event.agent, "at": event.at.isoformat()}
    if isinstance(event, Trip):
        body.update(
            event="trip", rule=event.rule, on_trip=str(event.on_trip), evidence=event.evidence
        )
    elif isinstance(event, HalfOpen):
        body.update(event="half_open", rule=event.rule)
    else:
        body.update(event="reset", by=event.by, reason=event.reason, automatic=event.automatic)
    return body


def alert_message(alert: Alert) -> dict[str, Any]:
    """The Slack-compatible webhook body for an alert."""
    owner = alert.evidence.get("owner")
    headline = f"[{alert.severity}] {alert.summary}"
    lines = [f"*Agent* {alert.agent}", f"*Kind* {alert.kind}"]
    if owner:
        lines.append(f"*Owner* {owner} (notified)")
    return {
        "text": headline,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": headline[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
        ],
        "proctor": {"event": f"alert.{alert.kind}", "alert": alert.as_dict()},
    }
