"""The one path every call takes: facts in Python, judgment in Cedar, record, answer.

``Gateway.check`` is the only place that knows the order of the steps:

1. authenticate — the agent exists and is active, the task exists, is its, and is
   live (facts no policy may override: they deny outright);
2. resolve — tool → action class and label, resource → label and owner;
3. compute facts — what the task grants, whether the call is its deliverable;
4. judge — the Cedar policy set decides among allow / require_approval / deny;
5. record — the decision is appended to the audit log *before* the caller hears it.

Any failure inside those steps is a ``deny`` with code ``internal_error``: Proctor
fails closed.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from proctor.errors import InvalidInput, NotFound, ProctorError
from proctor.inventory import Caller
from proctor.model import (
    UNCLASSIFIED_ACTION,
    ActionClass,
    Agent,
    AgentStatus,
    CheckRequest,
    Decision,
    Outcome,
    OutcomeStatus,
    Reason,
    Task,
    Tool,
)
from proctor.policy import Explanation, Judgment, PolicyInput, ResourceFacts, TaskFacts
from proctor.runtime import Runtime
from proctor.store import ChangeWatch, utcnow

log = logging.getLogger("proctor.gateway")

MAX_NAME_LENGTH = 300
MAX_ARGUMENT_DEPTH = 32
#: RFC 8785 numbers are IEEE doubles: larger integers cannot be recorded exactly.
MAX_EXACT_INTEGER = 2**53 - 1
MAX_ARGUMENT_ITEMS = 10_000
_RECENT_DECISIONS = 100_000
_OUTCOME_LOOKBACK = 100_000

_ACTION_RISK = {
    ActionClass.READ: 10,
    ActionClass.WRITE: 30,
    ActionClass.EXECUTE: 50,
    ActionClass.PUBLISH: 60,
    ActionClass.SEND_EXTERNAL: 70,
    ActionClass.DELETE: 80,
    ActionClass.MODIFY_PERMISSIONS: 80,
    ActionClass.SPEND: 80,
}
_LABEL_RISK = {"public": 0, "internal": 5, "confidential": 15, "restricted": 25}


@dataclass(frozen=True, slots=True)
class OutcomeReceipt:
    """What ``record_outcome`` wrote: the audit entry and whether it was a violation."""

    decision_id: str
    status: OutcomeStatus
    audit_seq: int
    violation: bool


@dataclass(frozen=True, slots=True)
class _DecisionRef:
    agent_id: str
    task_id: str
    tool: str
    outcome: Outcome


class Gateway:
    """Decides, explains and records every agent tool call."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self._recent: OrderedDict[str, _DecisionRef] = OrderedDict()
        self._recent_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._inventory_version = -1
        self._policy_version = runtime.database.version("policies")
        self._policy_watch = ChangeWatch(
            runtime.database, "policies", runtime.settings.inventory_poll_interval_s
        )

    @classmethod
    def open(cls, data_dir: Path | str | None = None) -> Gateway:
        """An in-process gateway on the data directory (created on first start)."""
        return cls(Runtime.open(data_dir))

    def close(self) -> None:
        self.runtime.close()

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- check ----------------------------------------------------------------

    def check(self, request: CheckRequest, *, caller: Caller | None = None) -> Decision:
        """Decide one call and record the decision before returning it.

        ``caller`` says where the call came from (an HTTP peer, say); it is kept when the
        agent turns out to be a shadow agent.
        """
        decision_id = "dec_" + secrets.token_hex(10)
        requester: str | None = None
        try:
            decision, requester = self._decide(decision_id, request, caller)
        except ProctorError as exc:
            decision = _refusal(decision_id, request, exc.code, exc.message)
        except Exception:
            log.exception("check %s failed; denying", decision_id)
            decision = _refusal(
                decision_id,
                request,
                "internal_error",
                "Proctor could not evaluate this call and denies it; the error is in its log",
            )
        return self._record_decision(decision, requester)

    def explain(self, request: CheckRequest) -> tuple[Decision, Explanation | None]:
        """Decide without recording, and say which policies matched and why."""
        decision, _ = self._decide("explain", request, recorded=False)
        policy_input = self._policy_input_or_none(request)
        if policy_input is None:
            return decision, None
        return decision, self.runtime.policies.explain(policy_input)

    def _decide(
        self,
        decision_id: str,
        request: CheckRequest,
        caller: Caller | None = None,
        *,
        recorded: bool = True,
    ) -> tuple[Decision, str | None]:
        """The decision and, when the task is known, its requester."""
        _check_names(request)
        _check_arguments(request.arguments)
        switch = self.runtime.kill_switch.state
        if switch.engaged:
            when = f"{switch.changed_at:%Y-%m-%d %H:%M} UTC" if switch.changed_at else "?"
            message = f"every agent was stopped by {switch.actor} at {when}: {switch.reason}"
            return _refusal(decision_id, request, "all_agents_stopped", message), None
        self._sync()
        snapshot = self.runtime.inventory.snapshot
        agent = snapshot.agents.get(request.agent_id)
        if agent is None:
            if recorded:
                self._record_shadow(request, caller)
            message = f"agent {request.agent_id!r} is not in the inventory; register it first"
            return _refusal(decision_id, request, "unknown_agent", message), None
        task = self.runtime.tasks.find(request.task_id)
        refusal = _authenticate(decision_id, request, agent, task)
        if refusal is not None or task is None:
            return refusal or _refusal(decision_id, request, "unknown_task", "no task"), None
        tool = snapshot.tools.get(request.tool)
        policy_input = self._policy_input(request, agent, task, tool)
        judgment = self.runtime.policies.evaluate(policy_input)
        decision = _decision_from(decision_id, request, judgment, tool, policy_input)
        return decision, task.requester

    def _record_shadow(self, request: CheckRequest, caller: Caller | None) -> None:
        # The call is denied whatever happens here; failing to note it must not change that.
        try:
            self.runtime.shadow_agents.record(
                request.agent_id, tool=request.tool, task=request.task_id, caller=caller
            )
        except Exception:
            log.exception("could not record shadow agent %r", request.agent_id)

    def _policy_input_or_none(self, request: CheckRequest) -> PolicyInput | None:
        snapshot = self.runtime.inventory.snapshot
        agent = snapshot.agents.get(request.agent_id)
        task = self.runtime.tasks.find(request.task_id)
        if agent is None or task is None:
            return None
        return self._policy_input(request, agent, task, snapshot.tools.get(request.tool))

    def _policy_input(
        self, request: CheckRequest, agent: Agent, task: Task, tool: Tool | None
    ) -> PolicyInput:
        capabilities = task.capabilities
        action = tool.action_class.value if tool else UNCLASSIFIED_ACTION
        delivers = bool(
            tool
            and task.deliverable
            and tool.audience
            and tool.action_class in (ActionClass.PUBLISH, ActionClass.SEND_EXTERNAL)
            and tool.audience.rank <= task.deliverable.audience.rank
        )
        task_facts = TaskFacts(
            id=task.id,
            purpose=task.purpose,
            requester=task.requester,
            granted=capabilities.describe(),
            grants_action=bool(tool and capabilities.grants_action(tool.action_class)),
            grants_tool=capabilities.grants_tool(request.tool),
            grants_tool_by_name=capabilities.grants_tool_by_name(request.tool),
            delivers=delivers,
        )
        return PolicyInput(
            agent=agent,
            tool_name=request.tool,
            tool=tool,
            action=action,
            task=task_facts,
            resource=self._resource_facts(request.resource, tool),
        )

    def _resource_facts(self, resource_id: str | None, tool: Tool | None) -> ResourceFacts:
        tool_label = tool.label.value if tool else "restricted"
        if not resource_id:
            return ResourceFacts(id="", known=False, label=tool_label, owner="")
        resource = self.runtime.inventory.snapshot.resources.get(resource_id)
        if resource is None:
            # Unknown data is treated as the most sensitive kind: fail closed.
            return ResourceFacts(id=resource_id, known=False, label="restricted", owner="")
        return ResourceFacts(
            id=resource.id, known=True, label=resource.label.value, owner=resource.owner
        )

    def _sync(self) -> None:
        """Keep the policy engine's view of inventory and policies current."""
        snapshot = self.runtime.inventory.snapshot
        policies_moved = self._policy_watch.moved_since(self._policy_version)
        if snapshot.version == self._inventory_version and not policies_moved:
            return
        with self._sync_lock:
            if policies_moved:
                self.reload_policies()
            if snapshot.version != self._inventory_version:
                self.runtime.policies.set_inventory(
                    snapshot.agents.values(), snapshot.tools.values()
                )
                self._inventory_version = snapshot.version

    def reload_policies(self) -> None:
        """Load the stored policy set now (after a change through the API or CLI)."""
        self._policy_version = self.runtime.database.version("policies")
        self.runtime.policies.load(self.runtime.policy_store.documents())

    # -- record ---------------------------------------------------------------

    def _record_decision(self, decision: Decision, requester: str | None) -> Decision:
        request = decision.request
        assert request is not None
        # A request that failed validation may hold anything: record its shape, not it.
        invalid = decision.code == "invalid_input"
        body = {
            "decision_id": decision.id,
            "outcome": decision.outcome.value,
            "code": decision.code,
            "agent": _recordable(request.agent_id, invalid),
            "task": _recordable(request.task_id, invalid),
            "requester": requester,
            "tool": _recordable(request.tool, invalid),
            "resource": _recordable(request.resource, invalid),
            "arguments": None if invalid else dict(request.arguments),
            "reasons": [_reason_body(reason) for reason in decision.reasons],
            "obligations": [
                {"kind": o.kind, "params": dict(o.params)} for o in decision.obligations
            ],
            "risk": decision.risk,
        }
        try:
            entry = self.runtime.audit.append("decision", body)
        except Exception:
            log.exception("audit append failed for %s; denying", decision.id)
            return _refusal(
                decision.id,
                request,
                "audit_unavailable",
                "the audit log could not record this decision, so the call is denied",
            )
        self._remember(decision.id, request, decision.outcome)
        return replace(decision, audit_seq=entry.seq)

    def record_outcome(
        self, decision_id: str, status: OutcomeStatus, summary: str = ""
    ) -> OutcomeReceipt:
        """Record what happened after a decision; acting on a non-allowed call is a violation."""
        if len(summary) > 4096:
            raise InvalidInput("an outcome summary is at most 4096 characters")
        ref = self._lookup_decision(decision_id)
        violation = status is OutcomeStatus.SUCCEEDED and ref.outcome is not Outcome.ALLOW
        entry = self.runtime.audit.append(
            "outcome",
            {
                "decision_id": decision_id,
                "status": status.value,
                "summary": summary,
                "agent": ref.agent_id,
                "task": ref.task_id,
                "tool": ref.tool,
                "violation": violation,
            },
        )
        if violation:
            log.warning(
                "violation: %s ran %s although it was %s", ref.agent_id, ref.tool, ref.outcome
            )
        return OutcomeReceipt(decision_id, status, entry.seq, violation)

    def _remember(self, decision_id: str, request: CheckRequest, outcome: Outcome) -> None:
        ref = _DecisionRef(request.agent_id, request.task_id, request.tool, outcome)
        with self._recent_lock:
            self._recent[decision_id] = ref
            if len(self._recent) > _RECENT_DECISIONS:
                self._recent.popitem(last=False)

    def _lookup_decision(self, decision_id: str) -> _DecisionRef:
        ref = self._recent.get(decision_id)
        if ref is not None:
            return ref
        head_seq, _ = self.runtime.audit.head()
        start = max(0, head_seq - _OUTCOME_LOOKBACK)
        for entry in self.runtime.audit.iter_entries(after_seq=start, kinds={"decision"}):
            if entry.body.get("decision_id") == decision_id:
                return _DecisionRef(
                    entry.body["agent"],
                    entry.body["task"],
                    entry.body["tool"],
                    Outcome(entry.body["outcome"]),
                )
        raise NotFound(
            f"decision {decision_id!r} is unknown (or older than the last "
            f"{_OUTCOME_LOOKBACK} audit entries)",
            code="unknown_decision",
        )


def _authenticate(
    decision_id: str, request: CheckRequest, agent: Agent, task: Task | None
) -> Decision | None:
    """Facts no policy may override; each refusal says what to do about it."""
    if agent.status is AgentStatus.SUSPENDED:
        message = f"agent {agent.id} is suspended; a person must revive it to let it act"
        return _refusal(decision_id, request, "agent_suspended", message)
    if agent.status is AgentStatus.RETIRED:
        return _refusal(decision_id, request, "agent_retired", f"agent {agent.id} is retired")
    if task is None:
        return _refusal(
            decision_id,
            request,
            "unknown_task",
            f"task {request.task_id!r} does not exist; a human must create a task first",
        )
    if task.agent_id != agent.id:
        return _refusal(
            decision_id,
            request,
            "task_agent_mismatch",
            f"task {task.id} belongs to agent {task.agent_id}, not {agent.id}",
        )
    if task.is_expired(utcnow()):
        return _refusal(
            decision_id, request, "task_expired", f"task {task.id} expired at {task.expires_at}"
        )
    return None


def _decision_from(
    decision_id: str,
    request: CheckRequest,
    judgment: Judgment,
    tool: Tool | None,
    policy_input: PolicyInput,
) -> Decision:
    return Decision(
        id=decision_id,
        outcome=judgment.outcome,
        code=judgment.code,
        reasons=judgment.reasons,
        obligations=judgment.obligations,
        risk=_risk(tool, policy_input.resource.label),
        request=request,
        decided_at=utcnow(),
    )


def _risk(tool: Tool | None, label: str) -> int:
    """A 0-100 score: what the action could do plus how sensitive the data is."""
    if tool is None:
        return 100
    return min(100, _ACTION_RISK[tool.action_class] + _LABEL_RISK.get(label, 25))


def _refusal(decision_id: str, request: CheckRequest, code: str, message: str) -> Decision:
    return Decision(
        id=decision_id,
        outcome=Outcome.DENY,
        code=code,
        reasons=(Reason(policy_id=code, text=message, effect=Outcome.DENY),),
        risk=100,
        request=request,
        decided_at=utcnow(),
    )


def _recordable(value: object, invalid: bool) -> object:
    """``value`` as the audit log may hold it: an invalid request's fields are cut short."""
    if not invalid:
        return value
    return value[:MAX_NAME_LENGTH] if isinstance(value, str) else repr(value)[:MAX_NAME_LENGTH]


def _reason_body(reason: Reason) -> dict[str, Any]:
    body: dict[str, Any] = {
        "policy_id": reason.policy_id,
        "text": reason.text,
        "effect": reason.effect.value,
    }
    if reason.approver:
        body["approver"] = reason.approver
    return body


def _check_names(request: CheckRequest) -> None:
    """Identifiers are short strings; anything else is refused before it is recorded."""
    for field, value in (
        ("agent_id", request.agent_id),
        ("task_id", request.task_id),
        ("tool", request.tool),
        ("resource", request.resource or ""),
    ):
        if not isinstance(value, str) or len(value) > MAX_NAME_LENGTH:
            raise InvalidInput(f"{field} must be a string of at most {MAX_NAME_LENGTH} characters")


def _check_arguments(arguments: Mapping[str, Any]) -> None:
    """Arguments must be plain JSON (they are canonicalized into the audit log)."""
    if not isinstance(arguments, Mapping):
        raise InvalidInput("call arguments must be a JSON object (name → value)")
    budget = [MAX_ARGUMENT_ITEMS]

    def walk(value: Any, depth: int) -> None:
        budget[0] -= 1
        if budget[0] < 0:
            raise InvalidInput(f"call arguments hold more than {MAX_ARGUMENT_ITEMS} values")
        if depth > MAX_ARGUMENT_DEPTH:
            raise InvalidInput(f"call arguments nest deeper than {MAX_ARGUMENT_DEPTH} levels")
        if value is None or isinstance(value, str | bool):
            return
        if isinstance(value, int):
            if abs(value) > MAX_EXACT_INTEGER:
                raise InvalidInput(
                    "integers beyond 2**53 cannot be recorded exactly; send them as strings"
                )
            return
        if isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise InvalidInput("call arguments may not hold NaN or infinity")
            return
        if isinstance(value, list | tuple):
            for item in value:
                walk(item, depth + 1)
            return
        if isinstance(value, Mapping):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise InvalidInput("argument names must be strings")
                walk(item, depth + 1)
            return
        raise InvalidInput(f"call arguments must be JSON values, not {type(value).__name__}")

    walk(arguments, 0)
