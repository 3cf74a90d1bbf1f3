"""Admin changes: every one is validated, applied, and appended to the audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from proctor.directory import GROUP_PREFIX, AccessRule, Grant, TargetKind, put_access
from proctor.errors import Forbidden, InvalidInput, NotFound
from proctor.gateway import Gateway
from proctor.identity import IssuedToken, LedgerToken, SigningKey, public_key_thumbprint
from proctor.inventory import Change, check_agent_id
from proctor.model import (
    Agent,
    AgentStatus,
    Capabilities,
    Deliverable,
    Resource,
    Task,
    Tool,
)
from proctor.policy import InvalidPolicies, argument_types
from proctor.store import utcnow
from proctor.tasks import DEFAULT_TASK_TTL


class Admin:
    """The control plane: what admins (API, CLI, ``proctor apply``) may change."""

    def __init__(self, gateway: Gateway):
        self.gateway = gateway
        self.runtime = gateway.runtime

    def put_agent(self, agent: Agent, *, actor: str) -> Change:
        change = self.runtime.inventory.put_agent(agent)
        self._record(change, "agent.put", actor, agent.id, _agent_body(agent))
        return change

    def set_agent_status(
        self, agent_id: str, status: AgentStatus, *, actor: str, reason: str = ""
    ) -> Agent:
        agent = self.runtime.inventory.set_agent_status(agent_id, status)
        if status is not AgentStatus.ACTIVE:
            # Tokens issued so far stay dead even if the agent is revived later, and
            # so do those delegated through it; reviving needs fresh tokens.
            self.runtime.tokens.revocations.revoke_all_for_agent(
                agent_id, reason or f"agent {status.value}", actor
            )
        self._record(
            Change.UPDATED, "agent.status", actor, agent_id, {"status": status, "reason": reason}
        )
        return agent

    def suspend_agents(self, *, owner: str, actor: str, reason: str) -> list[str]:
        """Suspend every active agent ``owner`` owns; returns their ids."""
        self._require_reason(reason)
        owned = [
            agent
            for agent in self.runtime.inventory.list_agents()
            if agent.owner == owner and agent.status is AgentStatus.ACTIVE
        ]
        for agent in owned:
            self.set_agent_status(agent.id, AgentStatus.SUSPENDED, actor=actor, reason=reason)
        return [agent.id for agent in owned]

    def stop_all_agents(self, *, actor: str, reason: str) -> None:
        """Engage the kill switch: every check is denied until a person releases it."""
        self._require_reason(reason)
        self.runtime.kill_switch.set(True, actor=actor, reason=reason)
        self._record(Change.UPDATED, "kill_switch.engage", actor, "all-agents", {"reason": reason})

    def resume_all_agents(self, *, actor: str, reason: str) -> None:
        """Release the kill switch (suspended agents stay suspended)."""
        self._require_reason(reason)
        self.runtime.kill_switch.set(False, actor=actor, reason=reason)
        self._record(Change.UPDATED, "kill_switch.release", actor, "all-agents", {"reason": reason})

    def rotate_signing_key(self, *, overlap: timedelta, actor: str) -> SigningKey:
        """A new key signs agent credentials; the old one still verifies for ``overlap``."""
        key = self.runtime.signing_keys.rotate(overlap)
        details = {"overlap_seconds": int(overlap.total_seconds())}
        self._record(Change.UPDATED, "signing_key.rotate", actor, key.kid, details)
        return key

    def _refuse_unknown_requester(self, requester: str) -> None:
        check_agent_id(requester, "requester")
        if self.runtime.directory.index.principal(requester) is None:
            kind = "team" if requester.startswith(GROUP_PREFIX) else "requester"
            raise InvalidInput(
                f"{kind} {requester} is not in the directory: add them first, so their agent "
                "is bounded by what they may do (proctor people add, or proctor apply)",
                code="unknown_requester",
            )

    def _refuse_what_they_lack(self, actor: str, capabilities: Capabilities) -> None:
        """A person (``person:<id>``) may give an agent only work they could do."""
        if not actor.startswith("person:"):
            return
        catalog = self.runtime.inventory.snapshot.tools.values()
        classes = {
            action: [(t.label, t.name) for t in catalog if t.action_class is action]
            for action in capabilities.actions
        }
        named = [
            (t.action_class, t.label, t.name) for t in catalog if capabilities.grants_tool(t.name)
        ]
        person = actor.removeprefix("person:")
        problem = self.runtime.directory.index.may_delegate(person, classes, named)
        if problem:
            raise Forbidden(problem, code="grant_exceeds_creator")

    def _refuse_breaking_arguments(self, tool: Tool) -> None:
        catalog = dict(self.runtime.inventory.snapshot.tools)
        before = catalog.get(tool.name)
        if before is not None and before.policy_arguments == tool.policy_arguments:
            return
        catalog[tool.name] = tool
        arguments = argument_types(catalog.values())
        problems = self.runtime.policy_store.problems_with_arguments(arguments)
        if problems:
            raise InvalidPolicies(problems)

    @staticmethod
    def _require_reason(reason: str) -> None:
        if not reason.strip():
            raise InvalidInput("say why: stopping or resuming agents needs a reason for the log")

    def put_tool(self, tool: Tool, *, actor: str) -> Change:
        """Register or update a tool; a change of its policy arguments that a stored
        policy would no longer validate against is refused, changing nothing."""
        self._refuse_breaking_arguments(tool)
        change = self.runtime.inventory.put_tool(tool)
        self._record(change, "tool.put", actor, tool.name, _tool_body(tool))
        return change

    def put_resource(
        self, resource: Resource, *, actor: str, access: tuple[Grant, ...] | None = None
    ) -> Change:
        """Register or update a resource; ``access`` (when given) replaces its own access
        list (who may read, write or administer it)."""
        change = self.runtime.inventory.put_resource(resource)
        body = {
            "owner": resource.owner,
            "label": resource.label,
            "description": resource.description,
        }
        self._record(change, "resource.put", actor, resource.id, body)
        if access is None:
            return change
        rule = AccessRule(TargetKind.RESOURCE, resource.id, access)
        listed = put_access(self, rule, actor=actor)
        if change is Change.UNCHANGED and listed is not Change.UNCHANGED:
            return Change.UPDATED
        return change

    def create_task(
        self,
        *,
        agent_id: str,
        requester: str,
        purpose: str,
        capabilities: Capabilities,
        actor: str,
        deliverable: Deliverable | None = None,
        ttl: timedelta = DEFAULT_TASK_TTL,
        instruction: str = "",
    ) -> Task:
        """A task for a registered, active agent; the requester is the human it serves (or,
        for a service task, ``group:<team>``, its owning team).

        ``instruction`` is the requester's own request text: with the purpose, it is
        what value provenance counts as theirs (only keyed digests are kept).

        The requester must be in the directory; when a person creates the task
        (``actor`` ``person:<id>``), it may grant only what that person could do.
        """
        agent = self.runtime.inventory.snapshot.agents.get(agent_id)
        if agent is None:
            raise NotFound(f"agent {agent_id!r} is not in the inventory; register it first")
        if agent.status is not AgentStatus.ACTIVE:
            raise InvalidInput(f"agent {agent_id} is {agent.status}; it cannot take tasks")
        self._refuse_unknown_requester(requester)
        self._refuse_what_they_lack(actor, capabilities)
        task = self.runtime.tasks.create(
            agent_id=agent_id,
            requester=requester,
            purpose=purpose,
            capabilities=capabilities,
            created_by=actor,
            deliverable=deliverable,
            ttl=ttl,
        )
        self._record(Change.CREATED, "task.create", actor, task.id, _task_body(task))
        # What the requester asked, in their own words: values in it count as theirs.
        self.runtime.provenance.record_instruction(
            task.id, "\n".join(part for part in (task.purpose, instruction) if part)
        )
        return task

    def add_instruction(self, task_id: str, text: str, *, actor: str) -> None:
        """More of the requester's own words for a live task (a follow-up message):
        values in them count as theirs from now on (only keyed digests are kept)."""
        task = self.runtime.tasks.get(task_id)
        if task.is_expired(utcnow()):
            raise InvalidInput(f"task {task.id} expired at {task.expires_at}", code="task_expired")
        if not text.strip():
            raise InvalidInput("an instruction needs some text", code="invalid_instruction")
        self.runtime.provenance.record_instruction(task.id, text)
        self._record(Change.UPDATED, "task.instruction", actor, task.id, {"characters": len(text)})

    def issue_task_token(
        self, task_id: str, *, actor: str, ttl: timedelta | None = None
    ) -> IssuedToken:
        """A root token for the task's agent: what the agent presents on every check.

        The token carries the task's capabilities, may produce the task's
        deliverable, lives ``ttl`` (default: the configured token lifetime) and
        never outlives the task. Issuing is audited with who asked.
        """
        task = self.runtime.tasks.get(task_id)
        if task.is_expired(utcnow()):
            raise InvalidInput(f"task {task.id} expired at {task.expires_at}", code="task_expired")
        self._refuse_what_they_lack(actor, task.capabilities)
        agent = self.runtime.inventory.snapshot.agents.get(task.agent_id)
        if agent is None or agent.status is not AgentStatus.ACTIVE:
            state = agent.status.value if agent else "not in the inventory"
            raise InvalidInput(
                f"agent {task.agent_id} is {state}; it cannot be given a token",
                code="agent_not_active",
            )
        issued = self.runtime.tokens.issue(
            agent_id=task.agent_id,
            task_id=task.id,
            requester=task.requester,
            capabilities=task.capabilities,
            ttl=ttl,
            expires_no_later_than=task.expires_at,
            may_deliver=task.deliverable is not None,
            issued_by=actor,
        )
        claims = issued.claims
        body = {
            "jti": claims.jti,
            "agent": claims.agent_id,
            "expires_at": claims.expires_at.isoformat(),
        }
        self._record(Change.CREATED, "token.issue", actor, task.id, body)
        return issued

    def revoke_token(self, jti: str, *, actor: str, reason: str) -> LedgerToken | None:
        """Revoke one token, and every token delegated from it, saying who and why.

        Returns the ledger's record of the token (now ``revoked``), or ``None`` when
        the ledger does not know the jti: it is revoked all the same, because the
        token may have been issued by a process that kept no ledger, or pruned.
        """
        ledger = self.runtime.ledger
        known = ledger.get(jti)
        self.runtime.tokens.revocations.revoke(
            jti, reason, actor, expires_at=known.expires_at if known is not None else None
        )
        details = {
            "reason": reason,
            "known": known is not None,
            "agent": known.agent_id if known is not None else None,
            "task": known.task_id if known is not None else None,
        }
        self._record(Change.UPDATED, "token.revoke", actor, jti, details)
        return ledger.get(jti) if known is not None else None

    def put_policy(self, name: str, text: str, *, actor: str) -> Change:
        """Store policy text under ``name``, replacing an earlier text of that name.

        Invalid text raises ``InvalidPolicies`` and changes nothing.
        """
        existed = any(record.name == name for record in self.runtime.policy_store.list())
        if not self.runtime.policy_store.put(name, text, actor):
            return Change.UNCHANGED
        self.gateway.reload_policies()
        change = Change.UPDATED if existed else Change.CREATED
        self._record(change, "policy.put", actor, name, {"text": text})
        return change

    def remove_policy(self, name: str, *, actor: str) -> None:
        records = [record for record in self.runtime.policy_store.list() if record.name == name]
        if not records:
            raise NotFound(f"no stored policy named {name!r}")
        for record in records:
            self.runtime.policy_store.remove(record.id)
        self.gateway.reload_policies()
        self._record(Change.UPDATED, "policy.remove", actor, name, {})

    def _record(
        self, change: Change, action: str, actor: str, target: str, details: dict[str, Any]
    ) -> None:
        if change is Change.UNCHANGED:
            return
        self.runtime.audit.append(
            "admin",
            {
                "action": action,
                "change": change.value,
                "actor": actor,
                "target": target,
                "details": {key: _plain(value) for key, value in details.items()},
            },
        )


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list | frozenset | set):
        return sorted(_plain(item) for item in value)
    return value.value if hasattr(value, "value") else value


def _agent_body(agent: Agent) -> dict[str, Any]:
    # The key's RFC 7638 thumbprint names it in the log; the key is in the inventory.
    key = agent.public_key
    return {
        "name": agent.name,
        "owner": agent.owner,
        "purpose": agent.purpose,
        "status": agent.status,
        "groups": agent.groups,
        "public_key": public_key_thumbprint(key) if key is not None else None,
    }


def _tool_body(tool: Tool) -> dict[str, Any]:
    return {
        "action_class": tool.action_class,
        "label": tool.label,
        "audience": tool.audience.value if tool.audience else None,
        "description": tool.description,
    }


def _task_body(task: Task) -> dict[str, Any]:
    return {
        "agent": task.agent_id,
        "requester": task.requester,
        "purpose": task.purpose,
        "actions": task.capabilities.actions,
        "tools": task.capabilities.tools,
        "deliverable": (
            {
                "description": task.deliverable.description,
                "audience": task.deliverable.audience.value,
            }
            if task.deliverable
            else None
        ),
        "expires_at": task.expires_at.isoformat(),
    }
