"""Who makes a call, as its credential says, and the checks no policy may override:
every agent of the delegation chain is active, and the task exists, belongs to the
chain's first agent and is live."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from proctor.gateway._calls import MAX_NAME_LENGTH
from proctor.gateway._decisions import refusal
from proctor.identity import Credential
from proctor.model import (
    ActionClass,
    Agent,
    AgentStatus,
    Capabilities,
    CheckRequest,
    Decision,
    Task,
)
from proctor.store import utcnow

#: Token failures that mean "not a credential of ours": the caller is a shadow agent.
#: Expired, not-yet-valid and revoked tokens were ours; their holders are known.
SHADOW_TOKEN_CODES = frozenset(
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
UNIDENTIFIED = "(unidentified)"


@dataclass(frozen=True, slots=True)
class Acting:
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
    def from_credential(cls, credential: Credential) -> Acting:
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
    def from_task(cls, task: Task) -> Acting:
        """The task's own agent holding everything the task grants (for "what if")."""
        return cls(
            agent_id=task.agent_id,
            task_id=task.id,
            requester=task.requester,
            chain=(task.requester, task.agent_id),
            capabilities=None,
            may_deliver=task.deliverable is not None,
        )


def inactive_chain(
    decision_id: str, request: CheckRequest, acting: Acting, agents: Mapping[str, Agent]
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


def check_task(
    decision_id: str, request: CheckRequest, acting: Acting, task: Task | None
) -> Decision | None:
    """The token's task exists, was given to the chain's first agent, and is live.

    Facts no policy may override; each refusal says what to do about it.
    """
    if task is None:
        return refusal(
            decision_id,
            request,
            "unknown_task",
            f"task {request.task_id!r} does not exist; a human must create a task first",
        )
    if task.agent_id != acting.root_agent:
        return refusal(
            decision_id,
            request,
            "task_agent_mismatch",
            f"task {task.id} belongs to agent {task.agent_id}, not {acting.root_agent}",
        )
    if task.requester != acting.requester:
        return refusal(
            decision_id,
            request,
            "token_task_mismatch",
            f"the token names requester {acting.requester}, but task {task.id} serves "
            f"{task.requester}",
        )
    if task.is_expired(utcnow()):
        return refusal(
            decision_id, request, "task_expired", f"task {task.id} expired at {task.expires_at}"
        )
    return None


def _inactive(
    decision_id: str, request: CheckRequest, agent_id: str, agent: Agent | None, acts_now: bool
) -> Decision | None:
    if agent is None:
        message = f"agent {agent_id!r} of the delegation chain is not in the inventory"
        return refusal(decision_id, request, "unknown_agent", message)
    if agent.status is AgentStatus.ACTIVE:
        return None
    if not acts_now:
        message = (
            f"agent {agent_id}, which delegated this task, is {agent.status.value}; "
            "the agents it handed work to are stopped with it"
        )
        return refusal(decision_id, request, "delegator_suspended", message)
    if agent.status is AgentStatus.SUSPENDED:
        message = f"agent {agent_id} is suspended; a person must revive it to let it act"
        return refusal(decision_id, request, "agent_suspended", message)
    return refusal(decision_id, request, "agent_retired", f"agent {agent_id} is retired")


@dataclass(frozen=True, slots=True)
class Grants:
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

    def resource(self, resource_id: str | None) -> bool:
        return self._both(lambda grant: grant.grants_resource(resource_id))

    def describe(self) -> str:
        if self.token is None or self.token == self.task:
            return self.task.describe()
        return f"{self.token.describe()} (delegated from {self.task.describe()})"


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


def claimed_subject(token: str) -> str:
    subject = _unverified_claims(token).get("sub") if token else None
    if isinstance(subject, str) and 0 < len(subject) <= 200 and subject.isprintable():
        return subject
    return UNIDENTIFIED


def claimed_task(token: str) -> str:
    task = _unverified_claims(token).get("task") if token else None
    return task[:MAX_NAME_LENGTH] if isinstance(task, str) else ""
