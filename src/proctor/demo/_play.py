"""Play a scenario against a real gateway: register its world through ``Admin``, give
the agent its task, then make every call through ``Gateway.check``.

The agent runs a call only when it is allowed, and reports what happened with
``record_outcome`` (with what the tool returned, so it is screened and its values are
kept for provenance). People answer held calls through the approvals store, as
``proctor approvals deny`` does. Each step is compared with what it expects; the
differences are the step's surprises.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from proctor.admin import Admin
from proctor.approvals import ApprovalRequest
from proctor.demo._story import Scenario, Step
from proctor.demo._timeline import Timeline
from proctor.directory import put_access, put_human
from proctor.gateway import Gateway, OutcomeReceipt
from proctor.model import AgentStatus, Decision, Outcome, OutcomeStatus, Task, Tool, ToolCall
from proctor.monitor import Alert


@dataclass(frozen=True, slots=True)
class Played:
    """What one step got: the decision, the outcome recorded for it, and the approval
    request people answered (as it stood after their answer)."""

    step: Step
    decision: Decision
    receipt: OutcomeReceipt
    approval: ApprovalRequest | None
    #: How the decision differs from what the step expects (empty when it does not).
    surprises: tuple[str, ...]
    #: The alerts the monitor raised once it had learnt from the call.
    alerts: tuple[Alert, ...] = ()

    @property
    def policy_ids(self) -> tuple[str, ...]:
        return tuple(reason.policy_id for reason in self.decision.reasons)

    @property
    def approval_rules(self) -> tuple[str, ...]:
        """Who the decision's holds name as approvers (``requester``, ``data_owner``…)."""
        return tuple(sorted({r.approver for r in self.decision.reasons if r.approver}))


@dataclass(frozen=True, slots=True)
class Replay:
    """A played scenario: its task and every step, in order."""

    scenario: Scenario
    task: Task
    played: tuple[Played, ...]

    def __getitem__(self, key: str) -> Played:
        for played in self.played:
            if played.step.key == key:
                return played
        raise KeyError(key)

    @property
    def surprises(self) -> tuple[str, ...]:
        return tuple(surprise for played in self.played for surprise in played.surprises)

    @property
    def outcomes(self) -> Counter[Outcome]:
        return Counter(played.decision.outcome for played in self.played)


def play(gateway: Gateway, scenario: Scenario, timeline: Timeline | None = None) -> Replay:
    """Set the scenario up in ``gateway`` and make every call of it, in order."""
    shown = timeline or Timeline(None)
    admin = Admin(gateway)
    task, token = _set_up(admin, scenario, shown)
    played: list[Played] = []
    for step in scenario.steps:
        played.append(_attempt(gateway, token, scenario, step, played, shown))
    return Replay(scenario, task, tuple(played))


def _set_up(admin: Admin, scenario: Scenario, timeline: Timeline) -> tuple[Task, str]:
    """Register the scenario's people, access, agent, tools, resources and policies,
    create the task, and return it with the token the agent is handed."""
    for person in scenario.people:
        put_human(admin, person, actor="admin")
        roles = ", ".join(sorted(role.value for role in person.roles)) or "no role"
        timeline.event(
            "admin",
            f"adds {person.id} ({person.name}) to the directory: {roles}, "
            f"cleared for {person.clearance.value} data",
        )
    for rule in scenario.access:
        put_access(admin, rule, actor="admin")
        grants = ", ".join(f"{grant.subject} {grant.level.value}" for grant in rule.grants)
        timeline.event("admin", f"grants {grants} on {rule.pattern}")
    agent = scenario.agent
    admin.put_agent(agent, actor=agent.owner)
    for tool in scenario.tools:
        admin.put_tool(tool, actor=agent.owner)
    tools = "; ".join(_describe_tool(tool) for tool in scenario.tools)
    timeline.event(agent.owner, f"registers agent {agent.id} with its tools: {tools}")
    for resource in scenario.resources:
        admin.put_resource(resource, actor=resource.owner)
        timeline.event(resource.owner, f"registers {resource.id} ({resource.label.value} data)")
    for policy in scenario.policies:
        admin.put_policy(policy.name, policy.text, actor=policy.author)
        timeline.event(policy.author, f"installs policy {policy.name}:")
        timeline.text(policy.text)
    requester = scenario.requester
    task = admin.create_task(
        agent_id=agent.id,
        requester=requester,
        purpose=scenario.purpose,
        capabilities=scenario.capabilities,
        deliverable=scenario.deliverable,
        instruction=scenario.instruction,
        actor=requester,
    )
    granted = scenario.capabilities.describe()
    timeline.event(requester, f'creates task {task.id}: "{scenario.purpose}" (grants {granted})')
    if scenario.instruction:
        timeline.event(requester, f'tells the agent: "{scenario.instruction}"')
    issued = admin.issue_task_token(task.id, actor=requester)
    timeline.event(
        requester,
        f"hands {agent.id} its task token (id {issued.claims.jti[:8]}…, expires "
        f"{issued.claims.expires_at:%H:%M:%S} UTC); every call below presents it",
    )
    return task, issued.token


def _describe_tool(tool: Tool) -> str:
    parts = [tool.action_class.value]
    if tool.audience:
        parts.append(f"audience {tool.audience.value}")
    if tool.untrusted_output:
        parts.append("untrusted output")
    return f"{tool.name} ({', '.join(parts)})"


def _attempt(
    gateway: Gateway,
    token: str,
    scenario: Scenario,
    step: Step,
    earlier: list[Played],
    timeline: Timeline,
) -> Played:
    """Check the call; the agent runs it only when allowed, and reports what happened."""
    agent, requester = scenario.agent.id, scenario.requester
    if step.stop_agent_first:
        why = "it acted outside its task; stop it until someone has reviewed it"
        Admin(gateway).set_agent_status(agent, AgentStatus.SUSPENDED, actor=requester, reason=why)
        timeline.event(requester, f"hits the kill switch: proctor kill agent {agent}")
    decision = gateway.check(token, ToolCall(step.tool, step.arguments, step.resource))
    timeline.call(agent, requester, step.what, step.tool, decision)
    approval = None
    if decision.outcome is Outcome.REQUIRE_APPROVAL and decision.approval_id:
        request = gateway.runtime.approvals.get(decision.approval_id)
        timeline.approvers(request)
        approval = _answer(gateway, scenario, step, request, timeline)
    if decision.allowed:
        receipt = gateway.record_outcome(
            token,
            decision.id,
            OutcomeStatus.SUCCEEDED,
            step.summary,
            label=step.label,
            untrusted=step.untrusted,
            result=step.result,
        )
        timeline.event(agent, f"ran {step.tool}: {step.summary}")
        if receipt.injection:
            timeline.event("proctor", f"screened what {step.tool} returned: {receipt.injection}")
    else:
        receipt = gateway.record_outcome(
            token, decision.id, OutcomeStatus.SKIPPED, "not run: not allowed"
        )
    alerts = _raised(gateway, agent, earlier)
    for alert in alerts:
        timeline.alert(alert)
    surprises = _surprises(step, decision, receipt, earlier) + _alert_surprises(step, alerts)
    return Played(step, decision, receipt, approval, surprises, alerts)


def _raised(gateway: Gateway, agent: str, earlier: list[Played]) -> tuple[Alert, ...]:
    """The alerts raised on ``agent`` since the earlier steps, once the monitor has
    learnt from the call (it does so in the background: waiting for it here also makes
    the next call see the agent's breaker as this call left it)."""
    monitor = gateway.runtime.monitor
    monitor.drain()
    seen = {alert.id for played in earlier for alert in played.alerts}
    return tuple(alert for alert in monitor.alerts.list(agent=agent) if alert.id not in seen)


def _answer(
    gateway: Gateway, scenario: Scenario, step: Step, request: ApprovalRequest, timeline: Timeline
) -> ApprovalRequest | None:
    """The requester is shown the held call (as ``proctor approvals show`` shows it) and
    answers as the step says; None when nobody answers."""
    if not (step.denied_because or step.approved_because):
        return None
    requester = scenario.requester
    approvals = gateway.runtime.approvals
    person = gateway.runtime.people.get(requester)
    timeline.event(
        requester,
        f"is shown approval request {request.id}: {request.tool} by "
        f"{' → '.join(request.chain)}, with its arguments and reasons",
    )
    if step.denied_because:
        answered = approvals.deny(request.id, person, step.denied_because)
        verb = "denies"
        command = "deny"
    else:
        answered = approvals.approve(request.id, person, step.approved_because or "")
        verb = "approves"
        command = "approve"
    why = answered.decision_reason or step.approved_because or ""
    timeline.event(requester, f'{verb} it: "{why}" (proctor approvals {command} {request.id})')
    return answered


def _surprises(
    step: Step, decision: Decision, receipt: OutcomeReceipt, earlier: list[Played]
) -> tuple[str, ...]:
    """How the decision (and what the screen made of the result) differs from what the
    step expects."""
    where = f"{step.key} ({step.tool})"
    found: list[str] = []
    if decision.outcome not in step.expected:
        wanted = " or ".join(sorted(outcome.value for outcome in step.expected))
        found.append(f"{where}: expected {wanted}, got {decision.outcome} ({decision.explain()})")
        return tuple(found)
    if step.code is not None and decision.code != step.code:
        found.append(f"{where}: expected code {step.code}, got {decision.code}")
    ids = {reason.policy_id for reason in decision.reasons}
    missing = sorted(step.expected_policies - ids)
    if missing:
        found.append(f"{where}: no reason from {', '.join(missing)} ({', '.join(sorted(ids))})")
    explained = decision.explain()
    found.extend(
        f"{where}: no reason says {text!r} ({explained})"
        for text in step.reasons
        if text not in explained
    )
    if step.traced_to is not None:
        source = next(p for p in earlier if p.step.key == step.traced_to).decision.id
        if source not in explained:
            found.append(f"{where}: no reason traces a value to {step.traced_to} ({source})")
    rules = {reason.approver for reason in decision.reasons if reason.approver}
    if decision.outcome is Outcome.REQUIRE_APPROVAL:
        absent = sorted(set(step.held_for) - rules)
        if absent:
            found.append(f"{where}: held for {', '.join(sorted(rules))}, not {', '.join(absent)}")
    if step.injection is not None and bool(receipt.injection) != step.injection:
        said = receipt.injection or "nothing"
        found.append(f"{where}: expected the screen to flag {step.injection}, it said {said}")
    return tuple(found)


def _alert_surprises(step: Step, alerts: tuple[Alert, ...]) -> tuple[str, ...]:
    """The alerts the step expects and did not get, or got and did not expect."""
    where = f"{step.key} ({step.tool})"
    said = " | ".join(alert.summary for alert in alerts)
    if alerts and not step.alerts:
        return (f"{where}: raised an alert the step does not expect: {said}",)
    return tuple(
        f"{where}: no alert says {text!r} ({said or 'no alert'})"
        for text in step.alerts
        if text not in said
    )
