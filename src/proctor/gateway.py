"""The one path every call takes: facts in Python, judgment in Cedar, record, answer.

``Gateway.check`` is the only place that knows the order of the steps:

1. authenticate — the call's task token is one Proctor signed, unexpired and not
   revoked; every agent in its delegation chain exists and is active; the task
   exists, was given to the chain's first agent, and is live (facts no policy may
   override: they deny outright);
2. resolve — tool → action class and label, resource → label and owner;
3. compute facts — what both the task and the token grant (a delegated token may
   hold less than the task), whether the call is the task's deliverable;
4. judge — the Cedar policy set decides among allow / require_approval / deny;
5. record — the decision is appended to the audit log *before* the caller hears it.

Any failure inside those steps is a ``deny`` with code ``internal_error``: Proctor
fails closed.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from proctor.errors import Forbidden, InvalidInput, NotFound, ProctorError, Unauthorized
from proctor.identity import Credential
from proctor.inventory import Caller
from proctor.model import (
    UNCLASSIFIED_ACTION,
    ActionClass,
    Agent,
    AgentStatus,
    Capabilities,
    CheckRequest,
    Decision,
    Outcome,
    OutcomeStatus,
    Reason,
    Task,
    Tool,
    ToolCall,
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
#: Token failures that mean "not a credential of ours": the caller is a shadow agent.
#: Expired, not-yet-valid and revoked tokens were ours; their holders are known.
_SHADOW_TOKEN_CODES = frozenset(
    {
        "missing_token",
        "token_malformed",
        "token_alg_not_allowed",
        "token_unknown_key",
        "token_bad_signature",
        "token_wrong_issuer",
        "token_wrong_audience",
        "token_claims_invalid",
    }
)
_UNIDENTIFIED = "(unidentified)"


@dataclass(frozen=True, slots=True)
class OutcomeReceipt:
    """What ``record_outcome`` wrote: the audit entry and whether it was a violation."""

    decision_id: str
    status: OutcomeStatus
    audit_seq: int
    violation: bool


@dataclass(frozen=True, slots=True)
class _Acting:
    """Who makes a call: the agent, its task and what it holds, as a credential says."""

    agent_id: str
    task_id: str
    requester: str
    chain: tuple[str, ...]
    capabilities: Capabilities | None
    may_deliver: bool
    jti: str | None = None

    @property
    def root_agent(self) -> str:
        """The agent the task was given to (the first after the requester)."""
        return self.chain[1]

    @classmethod
    def from_credential(cls, credential: Credential) -> _Acting:
        return cls(
            agent_id=credential.agent_id,
            task_id=credential.task_id,
            requester=credential.requester,
            chain=credential.chain,
            capabilities=credential.capabilities,
            may_deliver=credential.may_deliver,
            jti=credential.jti,
        )

    @classmethod
    def from_task(cls, task: Task) -> _Acting:
        """The task's own agent holding everything the task grants (for "what if")."""
        return cls(
            agent_id=task.agent_id,
            task_id=task.id,
            requester=task.requester,
            chain=(task.requester, task.agent_id),
            capabilities=None,
            may_deliver=task.deliverable is not None,
        )


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

    def check(self, token: str, call: ToolCall, *, caller: Caller | None = None) -> Decision:
        """Decide one call made under the task token ``token``; record it, then return it.

        The token says who calls (agent, task, requester, delegation chain) and what
        it holds; nothing in ``call`` can claim otherwise. ``caller`` says where the
        call came from (an HTTP peer, say); it is kept when the caller turns out to be
        a shadow agent.
        """
        decision_id = "dec_" + secrets.token_hex(10)
        acting: _Acting | None = None
        request = CheckRequest(
            agent_id="",
            task_id="",
            tool=call.tool,
            arguments=call.arguments,
            resource=call.resource,
        )
        try:
            _check_call(call)
            try:
                credential = self._verify(token, call, caller)
            except Unauthorized:
                self._raise_if_stopped()  # the kill switch outranks every other reason
                raise
            acting = _Acting.from_credential(credential)
            request = CheckRequest(
                acting.agent_id, acting.task_id, call.tool, call.arguments, call.resource
            )
            decision = self._decide(decision_id, request, acting, caller, credential)
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
        return self._record_decision(decision, acting)

    def explain(self, request: CheckRequest) -> tuple[Decision, Explanation | None]:
        """What would happen if the task's own agent made ``request``: decide without
        recording, and say which policies matched and why (an admin's "what if").
        """
        _check_call(ToolCall(request.tool, request.arguments, request.resource))
        task = self.runtime.tasks.find(request.task_id)
        if task is None:
            refusal = _refusal(
                "explain", request, "unknown_task", f"task {request.task_id!r} does not exist"
            )
            return refusal, None
        acting = replace(_Acting.from_task(task), agent_id=request.agent_id)
        acting = replace(acting, chain=(task.requester, request.agent_id))
        decision = self._decide("explain", request, acting, None, None, recorded=False)
        policy_input = self._policy_input_or_none(request, acting)
        if policy_input is None:
            return decision, None
        return decision, self.runtime.policies.explain(policy_input)

    def _raise_if_stopped(self) -> None:
        switch = self.runtime.kill_switch.state
        if switch.engaged:
            when = f"{switch.changed_at:%Y-%m-%d %H:%M} UTC" if switch.changed_at else "?"
            raise Forbidden(
                f"every agent was stopped by {switch.actor} at {when}: {switch.reason}",
                code="all_agents_stopped",
            )

    def _verify(self, token: str, call: ToolCall, caller: Caller | None) -> Credential:
        """The credential ``token`` carries; a token that is not ours marks a shadow agent."""
        try:
            if not token:
                raise Unauthorized(
                    "the call carries no task token; an agent gets one when a person "
                    "gives it a task",
                    code="missing_token",
                )
            if token.startswith(("prk_", "ppk_")):
                raise Unauthorized(
                    "an API key belongs to a person, not an agent: agents call with the task "
                    "token they were given",
                    code="api_key_not_accepted",
                )
            credential = self.runtime.tokens.verify(token, check_revocation=False)
        except Unauthorized as exc:
            if exc.code in _SHADOW_TOKEN_CODES:
                claimed = _claimed_subject(token)
                self._record_shadow(claimed, call, _claimed_task(token), caller, exc.code)
            raise
        return credential

    def _decide(
        self,
        decision_id: str,
        request: CheckRequest,
        acting: _Acting,
        caller: Caller | None,
        credential: Credential | None,
        *,
        recorded: bool = True,
    ) -> Decision:
        """Judge the call; ``credential`` is None only for an admin's "what if"."""
        self._raise_if_stopped()
        self._sync()
        snapshot = self.runtime.inventory.snapshot
        agent = snapshot.agents.get(acting.agent_id)
        if agent is None:
            if recorded:
                call = ToolCall(request.tool, request.arguments, request.resource)
                self._record_shadow(acting.agent_id, call, acting.task_id, caller, "unknown_agent")
            message = f"agent {acting.agent_id!r} is not in the inventory; register it first"
            return _refusal(decision_id, request, "unknown_agent", message)
        refusal = _inactive_chain(decision_id, request, acting, snapshot.agents)
        if refusal is not None:
            return refusal
        if credential is not None:
            # After the chain: a suspended agent's revoked token says "agent_suspended".
            self.runtime.tokens.check_revocation(credential)
            self.runtime.ledger.touch(credential.jti)
        task = self.runtime.tasks.find(acting.task_id)
        refusal = _check_task(decision_id, request, acting, task)
        if refusal is not None or task is None:
            return refusal or _refusal(decision_id, request, "unknown_task", "no task")
        tool = snapshot.tools.get(request.tool)
        policy_input = self._policy_input(request, acting, agent, task, tool)
        judgment = self.runtime.policies.evaluate(policy_input)
        return _decision_from(decision_id, request, judgment, tool, policy_input)

    def _record_shadow(
        self, agent_id: str, call: ToolCall, task: str, caller: Caller | None, problem: str
    ) -> None:
        # The call is denied whatever happens here; failing to note it must not change that.
        try:
            self.runtime.shadow_agents.record(
                agent_id, tool=call.tool, task=task, caller=caller, problem=problem
            )
        except Exception:
            log.exception("could not record shadow agent %r", agent_id)

    def _policy_input_or_none(self, request: CheckRequest, acting: _Acting) -> PolicyInput | None:
        snapshot = self.runtime.inventory.snapshot
        agent = snapshot.agents.get(acting.agent_id)
        task = self.runtime.tasks.find(acting.task_id)
        if agent is None or task is None:
            return None
        return self._policy_input(request, acting, agent, task, snapshot.tools.get(request.tool))

    def _policy_input(
        self, request: CheckRequest, acting: _Acting, agent: Agent, task: Task, tool: Tool | None
    ) -> PolicyInput:
        grants = _Grants(task.capabilities, acting.capabilities)
        action = tool.action_class.value if tool else UNCLASSIFIED_ACTION
        delivers = bool(
            acting.may_deliver
            and tool
            and task.deliverable
            and tool.audience
            and tool.action_class in (ActionClass.PUBLISH, ActionClass.SEND_EXTERNAL)
            and tool.audience.rank <= task.deliverable.audience.rank
        )
        task_facts = TaskFacts(
            id=task.id,
            purpose=task.purpose,
            requester=task.requester,
            granted=grants.describe(),
            grants_action=bool(tool and grants.action(tool.action_class)),
            grants_tool=grants.tool(request.tool),
            grants_tool_by_name=grants.tool_by_name(request.tool),
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

    def _record_decision(self, decision: Decision, acting: _Acting | None) -> Decision:
        request = decision.request
        assert request is not None
        # A request that failed validation may hold anything: record its shape, not it.
        invalid = decision.code == "invalid_input"
        body = {
            "decision_id": decision.id,
            "outcome": decision.outcome.value,
            "code": decision.code,
            # None: the token did not verify, so nobody is known to have made the call.
            "agent": acting.agent_id if acting else None,
            "task": acting.task_id if acting else None,
            "requester": acting.requester if acting else None,
            "chain": list(acting.chain) if acting else [],
            "token": acting.jti if acting else None,
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
        return replace(decision, audit_seq=entry.seq, chain=acting.chain if acting else ())

    def record_outcome(
        self, token: str, decision_id: str, status: OutcomeStatus, summary: str = ""
    ) -> OutcomeReceipt:
        """Record what happened after a decision; acting on a non-allowed call is a violation.

        ``token`` must be a token of the agent and task the decision was for: nobody
        reports outcomes of another agent's calls. A revoked token (its agent was
        suspended, say) may still report: what a stopped agent did is exactly what
        the log must not miss.
        """
        if len(summary) > 4096:
            raise InvalidInput("an outcome summary is at most 4096 characters")
        credential = self.runtime.tokens.verify(token, check_revocation=False)
        ref = self._lookup_decision(decision_id)
        if (ref.agent_id, ref.task_id) != (credential.agent_id, credential.task_id):
            raise Forbidden(
                f"decision {decision_id} was not made for this token's agent and task",
                code="decision_not_yours",
            )
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


def _inactive_chain(
    decision_id: str, request: CheckRequest, acting: _Acting, agents: Mapping[str, Agent]
) -> Decision | None:
    """Every agent of the delegation chain must still be active: suspending an agent
    stops the sub-agents it handed work to on their very next call."""
    for position, agent_id in enumerate(acting.chain[1:], start=1):
        agent = agents.get(agent_id)
        acts_now = position == len(acting.chain) - 1
        refusal = _inactive(decision_id, request, agent_id, agent, acts_now)
        if refusal is not None:
            return refusal
    return None


def _check_task(
    decision_id: str, request: CheckRequest, acting: _Acting, task: Task | None
) -> Decision | None:
    """The token's task exists, was given to the chain's first agent, and is live.

    Facts no policy may override; each refusal says what to do about it.
    """
    if task is None:
        return _refusal(
            decision_id,
            request,
            "unknown_task",
            f"task {request.task_id!r} does not exist; a human must create a task first",
        )
    if task.agent_id != acting.root_agent:
        return _refusal(
            decision_id,
            request,
            "task_agent_mismatch",
            f"task {task.id} belongs to agent {task.agent_id}, not {acting.root_agent}",
        )
    if task.requester != acting.requester:
        return _refusal(
            decision_id,
            request,
            "token_task_mismatch",
            f"the token names requester {acting.requester}, but task {task.id} serves "
            f"{task.requester}",
        )
    if task.is_expired(utcnow()):
        return _refusal(
            decision_id, request, "task_expired", f"task {task.id} expired at {task.expires_at}"
        )
    return None


def _inactive(
    decision_id: str, request: CheckRequest, agent_id: str, agent: Agent | None, acts_now: bool
) -> Decision | None:
    if agent is None:
        message = f"agent {agent_id!r} of the delegation chain is not in the inventory"
        return _refusal(decision_id, request, "unknown_agent", message)
    if agent.status is AgentStatus.ACTIVE:
        return None
    if not acts_now:
        message = (
            f"agent {agent_id}, which delegated this task, is {agent.status.value}; "
            "the agents it handed work to are stopped with it"
        )
        return _refusal(decision_id, request, "delegator_suspended", message)
    if agent.status is AgentStatus.SUSPENDED:
        message = f"agent {agent_id} is suspended; a person must revive it to let it act"
        return _refusal(decision_id, request, "agent_suspended", message)
    return _refusal(decision_id, request, "agent_retired", f"agent {agent_id} is retired")


@dataclass(frozen=True, slots=True)
class _Grants:
    """What a call may use: granted by the task *and* by the token (which may hold less)."""

    task: Capabilities
    token: Capabilities | None

    def _both(self, check: Callable[[Capabilities], bool]) -> bool:
        return check(self.task) and (self.token is None or check(self.token))

    def action(self, action: ActionClass) -> bool:
        return self._both(lambda grant: grant.grants_action(action))

    def tool(self, name: str) -> bool:
        return self._both(lambda grant: grant.grants_tool(name))

    def tool_by_name(self, name: str) -> bool:
        return self._both(lambda grant: grant.grants_tool_by_name(name))

    def describe(self) -> str:
        if self.token is None or self.token == self.task:
            return self.task.describe()
        return f"{self.token.describe()} (delegated from {self.task.describe()})"


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


def _check_call(call: ToolCall) -> None:
    """Names are short strings and arguments plain JSON; else refused before recording."""
    for field, value in (("tool", call.tool), ("resource", call.resource or "")):
        if not isinstance(value, str) or len(value) > MAX_NAME_LENGTH:
            raise InvalidInput(f"{field} must be a string of at most {MAX_NAME_LENGTH} characters")
    _check_arguments(call.arguments)


def _unverified_claims(token: str) -> dict[str, Any]:
    """The payload of a token that failed verification, only to say who it claims to be.

    Nothing read here is trusted: it names the row of the shadow-agent register.
    """
    try:
        payload = token.split(".")[1]
        decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, AttributeError, UnicodeDecodeError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _claimed_subject(token: str) -> str:
    subject = _unverified_claims(token).get("sub") if token else None
    if isinstance(subject, str) and 0 < len(subject) <= 200 and subject.isprintable():
        return subject
    return _UNIDENTIFIED


def _claimed_task(token: str) -> str:
    task = _unverified_claims(token).get("task") if token else None
    return task[:MAX_NAME_LENGTH] if isinstance(task, str) else ""


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
