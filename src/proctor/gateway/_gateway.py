"""The one path every call takes: facts in Python, judgment in Cedar, record, answer.

``Gateway.check`` is the only place that knows the order of the steps:

1. authenticate — the call's task token is one Proctor signed, unexpired and not
   revoked; every agent in its delegation chain exists and is active; the task
   exists, was given to the chain's first agent, and is live (facts no policy may
   override: they deny outright);
2. resolve — tool → action class and label, resource → label and owner;
3. compute facts — what both the task and the token grant (a delegated token may
   hold less than the task), whether the call is the task's deliverable;
4. judge — the Cedar policy set decides among allow / require_approval / deny; a
   held call is let through on an approval given for exactly it, or opens (or
   points to) the approval request people must answer;
5. record — the decision is appended to the audit log *before* the caller hears it.

Any failure inside those steps is a ``deny`` with code ``internal_error``: Proctor
fails closed.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from proctor.approvals import ApprovalRequest
from proctor.errors import Forbidden, InvalidInput, NotFound, ProctorError, Unauthorized
from proctor.gateway._acting import (
    SHADOW_TOKEN_CODES,
    Acting,
    Grants,
    check_task,
    claimed_subject,
    claimed_task,
    inactive_chain,
)
from proctor.gateway._calls import check_call, recordable
from proctor.gateway._decisions import decision_from, reason_body, refusal
from proctor.gateway._flow import call_facts, provenance_facts
from proctor.gateway._holds import settle_hold
from proctor.gateway._monitoring import Watched, watch
from proctor.gateway._obligations import with_obligations
from proctor.gateway._outcomes import (
    MAX_SUMMARY,
    DecisionRef,
    OutcomeReceipt,
    output_of,
    reading,
    record_values,
    screen,
    take_in,
)
from proctor.gateway._pending import PendingOutcome, PendingOutcomes
from proctor.gateway._visibility import Visibility, visibility
from proctor.identity import Credential
from proctor.inventory import Caller
from proctor.model import (
    UNCLASSIFIED_ACTION,
    ActionClass,
    Agent,
    CheckRequest,
    Decision,
    Label,
    Outcome,
    OutcomeStatus,
    Task,
    Tool,
    ToolCall,
)
from proctor.monitor import OutcomeObservation
from proctor.policy import (
    CallFacts,
    Explanation,
    MonitorFacts,
    PolicyInput,
    ProvenanceFacts,
    RequesterFacts,
    ResourceFacts,
    SessionFacts,
    TaskFacts,
    typed_arguments,
)
from proctor.runtime import Runtime
from proctor.store import ChangeWatch, Transaction, utcnow

log = logging.getLogger("proctor.gateway")

_RECENT_DECISIONS = 100_000
_OUTCOME_LOOKBACK = 100_000
_NOTHING_TAKEN_IN = SessionFacts()
_NO_CALL_FACTS = CallFacts()
_NO_PROVENANCE = ProvenanceFacts()
_NOT_MONITORED = MonitorFacts()
#: The longest an agent may long-poll for an approval in one call.
MAX_APPROVAL_WAIT = timedelta(seconds=60)


class Gateway:
    """Decides, explains and records every agent tool call."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self._recent: OrderedDict[str, DecisionRef] = OrderedDict()
        self._recent_lock = threading.Lock()
        #: Approval requests held calls open, by decision id, until recorded with them.
        self._openings: dict[str, ApprovalRequest] = {}
        #: Outcomes handed over to be recorded after their agent had its answer.
        self.pending_outcomes = PendingOutcomes()
        self._sync_lock = threading.Lock()
        self._inventory_version = -1
        self._policy_version = runtime.database.version("policies")
        self._policy_watch = ChangeWatch(
            runtime.database, "policies", runtime.settings.inventory_poll_interval_s
        )

    @classmethod
    def open(
        cls, data_dir: Path | str | None = None, *, clock: Callable[[], datetime] = utcnow
    ) -> Gateway:
        """An in-process gateway on the data directory (created on first start)."""
        return cls(Runtime.open(data_dir, clock=clock))

    def close(self) -> None:
        self.pending_outcomes.settle_all()
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
        acting: Acting | None = None
        watched: Watched | None = None
        request = CheckRequest(
            agent_id="",
            task_id="",
            tool=call.tool,
            arguments=call.arguments,
            resource=call.resource,
        )
        try:
            check_call(call)
            try:
                credential = self._verify(token, call, caller)
            except Unauthorized:
                self._raise_if_stopped()  # the kill switch outranks every other reason
                raise
            acting = Acting.from_credential(credential)
            request = CheckRequest(
                acting.agent_id, acting.task_id, call.tool, call.arguments, call.resource
            )
            decision, watched = self._decide(decision_id, request, acting, caller, credential)
        except ProctorError as exc:
            decision = refusal(decision_id, request, exc.code, exc.message)
        except Exception:
            log.exception("check %s failed; denying", decision_id)
            decision = refusal(
                decision_id,
                request,
                "internal_error",
                "Proctor could not evaluate this call and denies it; the error is in its log",
            )
        recorded = self._record_decision(decision, acting)
        if watched is not None:
            self.runtime.monitor.after(watched.observation(recorded), watched.facts)
        return recorded

    def explain(self, request: CheckRequest) -> tuple[Decision, Explanation | None]:
        """What would happen if the task's own agent made ``request``: decide without
        recording, and say which policies matched and why (an admin's "what if").
        """
        check_call(ToolCall(request.tool, request.arguments, request.resource))
        task = self.runtime.tasks.find(request.task_id)
        if task is None:
            unknown = refusal(
                "explain", request, "unknown_task", f"task {request.task_id!r} does not exist"
            )
            return unknown, None
        acting = replace(Acting.from_task(task), agent_id=request.agent_id)
        acting = replace(acting, chain=(task.requester, request.agent_id))
        decision, _ = self._decide("explain", request, acting, None, None, recorded=False)
        policy_input = self._policy_input_or_none(request, acting)
        if policy_input is None:
            return decision, None
        return decision, self.runtime.policies.explain(policy_input)

    def visibility(self, token: str, names: Sequence[str]) -> Visibility:
        """Which of ``names`` a policy would deny the holder of ``token`` outright (to hide
        them from listings); judged like ``explain``, recorded nowhere."""
        return visibility(self, token, names)

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
            if exc.code in SHADOW_TOKEN_CODES:
                claimed = claimed_subject(token)
                self._record_shadow(claimed, call, claimed_task(token), caller, exc.code)
            raise
        return credential

    def _decide(
        self,
        decision_id: str,
        request: CheckRequest,
        acting: Acting,
        caller: Caller | None,
        credential: Credential | None,
        *,
        recorded: bool = True,
    ) -> tuple[Decision, Watched | None]:
        """Judge the call; ``credential`` is None only for an admin's "what if".

        The second value is what the monitor saw of the call (None when the call was
        refused before its agent and task were known to be sound).
        """
        self._raise_if_stopped()
        self._sync()
        snapshot = self.runtime.inventory.snapshot
        agent = snapshot.agents.get(acting.agent_id)
        if agent is None:
            if recorded:
                call = ToolCall(request.tool, request.arguments, request.resource)
                self._record_shadow(acting.agent_id, call, acting.task_id, caller, "unknown_agent")
            message = f"agent {acting.agent_id!r} is not in the inventory; register it first"
            return refusal(decision_id, request, "unknown_agent", message), None
        stopped = inactive_chain(decision_id, request, acting, snapshot.agents)
        if stopped is not None:
            return stopped, None
        if credential is not None:
            # After the chain: a suspended agent's revoked token says "agent_suspended".
            self.runtime.tokens.check_revocation(credential)
            self.runtime.ledger.touch(credential.jti)
        task = self.runtime.tasks.find(acting.task_id)
        unfit = check_task(decision_id, request, acting, task)
        if unfit is not None or task is None:
            return unfit or refusal(decision_id, request, "unknown_task", "no task"), None
        if recorded:
            # The task's earlier outcomes say what its agent has seen: judge after them.
            self.pending_outcomes.before_check(task.id)
        tool = snapshot.tools.get(request.tool)
        resource = self._resource_facts(request.resource, tool)
        watched = watch(self.runtime.monitor, acting, request, tool, resource, count=recorded)
        stopped_by_monitor = watched.refusal(decision_id, request)
        if stopped_by_monitor is not None:
            return stopped_by_monitor, watched
        if tool is not None and tool.policy_arguments:
            _, problem = typed_arguments(tool, request.arguments)
            if problem is not None:
                return refusal(decision_id, request, "invalid_input", problem), watched
        policy_input = self._policy_input(
            request, acting, agent, task, tool, monitor=watched.policy_facts(), resource=resource
        )
        judgment = self.runtime.policies.evaluate(policy_input)
        decision = watched.held(decision_from(decision_id, request, judgment, tool, policy_input))
        if recorded and decision.outcome is Outcome.REQUIRE_APPROVAL:
            settled = settle_hold(
                self.runtime, decision, acting, agent, task, policy_input, judgment
            )
            decision = settled.decision
            if settled.opening is not None:
                self._openings[decision_id] = settled.opening
        template = self.runtime.settings.flow.stamp_template
        return with_obligations(decision, tool, policy_input, template), watched

    def approval_for(self, token: str, decision_id: str) -> ApprovalRequest:
        """The approval request a held decision opened, as it stands now.

        Only the agent the decision was made for, holding a live token of its task,
        may look: ``decision_not_yours`` otherwise.
        """
        credential = self.runtime.tokens.verify(token)
        approval = self.runtime.approvals.for_decision(decision_id)
        if approval is None:
            raise NotFound(
                f"decision {decision_id!r} opened no approval request", code="no_approval"
            )
        if (approval.agent_id, approval.task_id) != (credential.agent_id, credential.task_id):
            raise Forbidden(
                f"decision {decision_id} was not made for this token's agent and task",
                code="decision_not_yours",
            )
        return approval

    def wait_for_approval(
        self, token: str, decision_id: str, timeout: timedelta
    ) -> ApprovalRequest:
        """The approval request a held decision opened, once decided or at ``timeout``
        (at most :data:`MAX_APPROVAL_WAIT`; long-polls, never spins).

        Approved means: check the same call again, and it is allowed under the held
        decision's id. Denied or expired means the call must not run.
        """
        if not timedelta(0) <= timeout <= MAX_APPROVAL_WAIT:
            raise InvalidInput(
                f"wait between 0 and {MAX_APPROVAL_WAIT.total_seconds():.0f} seconds",
                code="invalid_wait",
            )
        approval = self.approval_for(token, decision_id)
        return self.runtime.approvals.wait(approval.id, timeout)

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

    def _policy_input_or_none(self, request: CheckRequest, acting: Acting) -> PolicyInput | None:
        snapshot = self.runtime.inventory.snapshot
        agent = snapshot.agents.get(acting.agent_id)
        task = self.runtime.tasks.find(acting.task_id)
        if agent is None or task is None:
            return None
        return self._policy_input(request, acting, agent, task, snapshot.tools.get(request.tool))

    def _policy_input(
        self,
        request: CheckRequest,
        acting: Acting,
        agent: Agent,
        task: Task,
        tool: Tool | None,
        *,
        monitor: MonitorFacts = _NOT_MONITORED,
        resource: ResourceFacts | None = None,
    ) -> PolicyInput:
        grants = Grants(task.capabilities, acting.capabilities)
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
            grants_resource=grants.resource(request.resource),
        )
        if resource is None:
            resource = self._resource_facts(request.resource, tool)
        call, provenance = _NO_CALL_FACTS, _NO_PROVENANCE
        if tool is not None:
            call = call_facts(self.runtime, tool, request.arguments, request.resource)
            provenance, _ = provenance_facts(self.runtime, task.id, tool, request.arguments)
        return PolicyInput(
            agent=agent,
            tool_name=request.tool,
            tool=tool,
            action=action,
            task=task_facts,
            resource=resource,
            requester=self._requester_facts(task, tool, resource, request),
            session=self._session_facts(task),
            call=call,
            provenance=provenance,
            arguments=typed_arguments(tool, request.arguments)[0] if tool else {},
            monitor=monitor,
        )

    def _session_facts(self, task: Task) -> SessionFacts:
        """What the task's agents have taken in so far (from memory)."""
        state = self.runtime.sessions.get(task.id)
        if state.updated_at is None:
            return _NOTHING_TAKEN_IN
        untrusted = state.first("untrusted")
        injected = state.first("injected")
        why = injected or untrusted
        return SessionFacts(
            label=state.label.value if state.label else "",
            untrusted=state.untrusted,
            injected=state.injected,
            over_clearance=state.over_clearance,
            owner=state.label_owner or "",
            why=why.describe() if why else "",
        )

    def _requester_facts(
        self, task: Task, tool: Tool | None, resource: ResourceFacts, request: CheckRequest
    ) -> RequesterFacts:
        """How far the task's requester (or owning team) may reach for this call: the
        delegation chain holds one human, the requester; sub-agents act on their task.

        A tool not in the inventory is denied whatever anyone may do
        (``deny-unknown-tool``), so nothing is said about the requester for it."""
        if tool is None:
            return RequesterFacts("", cleared=True, permitted=True)
        bound = self.runtime.directory.index.bound(
            (task.requester,),
            tool.action_class,
            Label(resource.label),
            request.resource,
            request.tool,
            resource.owner or None,
        )
        clearance = bound.clearance.value if bound.clearance else ""
        return RequesterFacts(clearance, bound.cleared, bound.permitted, bound.why)

    def _resource_facts(self, resource_id: str | None, tool: Tool | None) -> ResourceFacts:
        tool_label = tool.label.value if tool else "restricted"
        if not resource_id:
            return ResourceFacts(id="", known=False, label=tool_label, owner="")
        resource = self.runtime.inventory.snapshot.resource(resource_id)
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

    def _record_decision(self, decision: Decision, acting: Acting | None) -> Decision:
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
            "tool": recordable(request.tool, invalid),
            "resource": recordable(request.resource, invalid),
            "arguments": None if invalid else dict(request.arguments),
            "reasons": [reason_body(reason) for reason in decision.reasons],
            "obligations": [
                {"kind": o.kind, "params": dict(o.params)} for o in decision.obligations
            ],
            "risk": decision.risk,
            "approval_id": decision.approval_id,
        }
        # A request the held call opens is stored with its decision, or not at all.
        opening = self._openings.pop(decision.id, None)
        if opening is not None and opening.id != decision.approval_id:
            opening = None  # the decision no longer names it (refused after the hold)
        try:
            if opening is not None:
                entry = self.runtime.approvals.store(opening, then=("decision", body))[-1]
            else:
                entry = self.runtime.audit.append("decision", body)
        except Exception:
            log.exception("audit append failed for %s; denying", decision.id)
            if opening is not None:
                # Nothing of the held call was stored: record a deny in its place.
                message = "its approval request could not be stored, so the call is denied"
                unheld = refusal(decision.id, request, "approval_unavailable", message)
                return self._record_decision(unheld, acting)
            return refusal(
                decision.id,
                request,
                "audit_unavailable",
                "the audit log could not record this decision, so the call is denied",
            )
        self._remember(decision.id, request, decision.outcome)
        return replace(decision, audit_seq=entry.seq, chain=acting.chain if acting else ())

    def record_outcome(
        self,
        token: str,
        decision_id: str,
        status: OutcomeStatus,
        summary: str = "",
        *,
        label: Label | None = None,
        untrusted: bool | None = None,
        result: object = None,
    ) -> OutcomeReceipt:
        """Record what happened after a decision, and what the call took in.

        ``token`` must be a token of the agent and task the decision was for: nobody
        reports outcomes of another agent's calls. A revoked token (its agent was
        suspended, say) may still report: what a stopped agent did is exactly what
        the log must not miss.

        A call that ran and read data adds its label to the task's session: ``label``
        is the label of what it returned when the caller knows it (else the
        resource's, else the tool's), ``untrusted`` whether it came from outside the
        organization (else what the catalog says of the tool). It is a violation when
        a call ran that was not allowed, or returned data above the requester's
        clearance.

        ``result`` is what the tool returned (JSON-like): it is screened for
        instructions aimed at the agent (a finding marks the task's session, so later
        high-risk calls are held), and its values are recorded, as keyed digests, so a
        later argument can be traced to it (value provenance).
        """
        credential, ref = self._outcome_of(token, decision_id, summary)
        return self._write_outcome(
            credential, decision_id, ref, status, summary, label, untrusted, result
        )

    def record_outcome_later(
        self,
        token: str,
        decision_id: str,
        status: OutcomeStatus,
        summary: str = "",
        *,
        label: Label | None = None,
        untrusted: bool | None = None,
        result: object = None,
    ) -> PendingOutcome:
        """Accept an outcome now and record it soon: :meth:`record_outcome`, in two steps,
        for an enforcement point in this process that answers its agent in between.

        What is checked (the token, the decision, the summary) is checked now, raising
        as :meth:`record_outcome` does. The outcome is recorded by
        :meth:`settle_outcome`, or by the task's next check, whichever comes first: no
        later call of the task is judged before it (a check waits at most
        ``pending_outcomes.wait_s`` for one being recorded elsewhere, then is denied
        with ``outcome_pending``; one that could not be recorded denies the task's
        later checks with ``outcome_not_recorded``).
        """
        credential, ref = self._outcome_of(token, decision_id, summary)

        def write() -> OutcomeReceipt:
            return self._write_outcome(
                credential, decision_id, ref, status, summary, label, untrusted, result
            )

        return self.pending_outcomes.add(decision_id, ref.task_id, write)

    def settle_outcome(self, pending: PendingOutcome) -> None:
        """Record an outcome :meth:`record_outcome_later` accepted, unless a check of its
        task did already; a failure is logged, and denies the task's later checks."""
        self.pending_outcomes.settle(pending)

    def _outcome_of(
        self, token: str, decision_id: str, summary: str
    ) -> tuple[Credential, DecisionRef]:
        """Who reports an outcome of which decision; raises when they may not."""
        if len(summary) > MAX_SUMMARY:
            raise InvalidInput(f"an outcome summary is at most {MAX_SUMMARY} characters")
        credential = self.runtime.tokens.verify(token, check_revocation=False)
        ref = self._lookup_decision(decision_id)
        if (ref.agent_id, ref.task_id) != (credential.agent_id, credential.task_id):
            raise Forbidden(
                f"decision {decision_id} was not made for this token's agent and task",
                code="decision_not_yours",
            )
        return credential, ref

    def _write_outcome(
        self,
        credential: Credential,
        decision_id: str,
        ref: DecisionRef,
        status: OutcomeStatus,
        summary: str,
        label: Label | None,
        untrusted: bool | None,
        result: object,
    ) -> OutcomeReceipt:
        problems: list[str] = []
        if status is OutcomeStatus.SUCCEEDED and ref.outcome is not Outcome.ALLOW:
            problems.append(f"{ref.tool} ran although it was {ref.outcome.value}")
        ran = status is OutcomeStatus.SUCCEEDED
        read = reading(self.runtime, ref, label, untrusted) if ran else None
        # A failed call's output (an error message) reaches the model too: screen it.
        screens = status is not OutcomeStatus.SKIPPED and result is not None
        screening = screen(self.runtime, result) if screens else None
        injected = screening is not None and screening.flagged
        taken = output_of(self.runtime, ref) if injected and read is None else read

        def take(connection: Transaction | None = None) -> None:
            if taken is not None:
                requester = credential.requester
                problems.extend(
                    take_in(
                        self.runtime,
                        decision_id,
                        ref,
                        taken,
                        requester,
                        injected=injected,
                        connection=connection,
                    )
                )

        screened = None
        if screening is not None:
            # The values and the session in one transaction: both are stored, or neither.
            screened = record_values(
                self.runtime, decision_id, ref, read, result, screening, also=take
            )
        else:
            take()
        entry = self.runtime.audit.append(
            "outcome",
            {
                "decision_id": decision_id,
                "status": status.value,
                "summary": summary,
                "agent": ref.agent_id,
                "task": ref.task_id,
                "tool": ref.tool,
                "violation": bool(problems),
                "problems": problems,
                "read": (
                    {"label": taken.label.value, "untrusted": taken.untrusted} if taken else None
                ),
                "screened": screened.record() if screened else None,
            },
        )
        for problem in problems:
            log.warning("violation by %s: %s", ref.agent_id, problem)
        if problems:
            self.runtime.monitor.violation(ref.agent_id, ref.tool, decision_id, problems)
        if status is not OutcomeStatus.SKIPPED:
            failed = status is OutcomeStatus.FAILED
            monitor = self.runtime.monitor
            monitor.outcome(OutcomeObservation(ref.agent_id, ref.tool, failed, monitor.now()))
        injection = screened.screening.summary() if screened and injected else ""
        return OutcomeReceipt(
            decision_id, status, entry.seq, bool(problems), tuple(problems), injection
        )

    def _remember(self, decision_id: str, request: CheckRequest, outcome: Outcome) -> None:
        ref = DecisionRef(
            request.agent_id, request.task_id, request.tool, request.resource, outcome
        )
        with self._recent_lock:
            self._recent[decision_id] = ref
            if len(self._recent) > _RECENT_DECISIONS:
                self._recent.popitem(last=False)

    def _lookup_decision(self, decision_id: str) -> DecisionRef:
        ref = self._recent.get(decision_id)
        if ref is not None:
            return ref
        head_seq, _ = self.runtime.audit.head()
        start = max(0, head_seq - _OUTCOME_LOOKBACK)
        found: DecisionRef | None = None
        for entry in self.runtime.audit.iter_entries(after_seq=start, kinds={"decision"}):
            # The latest entry wins: a held decision is recorded again once approved.
            if entry.body.get("decision_id") == decision_id:
                found = DecisionRef(
                    entry.body["agent"],
                    entry.body["task"],
                    entry.body["tool"],
                    entry.body.get("resource"),
                    Outcome(entry.body["outcome"]),
                )
        if found is not None:
            return found
        raise NotFound(
            f"decision {decision_id!r} is unknown (or older than the last "
            f"{_OUTCOME_LOOKBACK} audit entries)",
            code="unknown_decision",
        )
