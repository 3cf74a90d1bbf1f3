"""Agents' credentials for admins: what each agent holds, and revoking one token.

The tokens themselves are never shown: the ledger keeps what they say (jti, task,
expiry, delegation) and when they were last used, not the signed strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from proctor.errors import NotFound
from proctor.identity import AgentCredentials, Delegation, LedgerToken, TokenState
from proctor.model import ActionClass, AgentStatus, Capabilities
from proctor.server._context import Actor, Context, require_admin
from proctor.server._errors import ERROR_RESPONSES
from proctor.wire import Id, Text, WireIn, WireOut

router = APIRouter(
    prefix="/v1", dependencies=[require_admin], responses=ERROR_RESPONSES, tags=["credentials"]
)


class GrantsOut(WireOut):
    """Action classes and tool-name patterns."""

    actions: list[ActionClass]
    tools: list[str]

    @classmethod
    def from_model(cls, capabilities: Capabilities) -> GrantsOut:
        return cls(actions=sorted(capabilities.actions), tools=list(capabilities.tools))


class IssuedTokenOut(WireOut):
    """One issued token as the ledger records it (never the token itself).

    ``state`` is ``active``, ``expired`` or ``revoked`` (the token, one it was
    delegated from, or an agent of its chain); ``last_used_at`` may lag by a few
    seconds for uses seen by another process.
    """

    jti: str
    agent_id: str
    task_id: str
    requester: str
    state: TokenState
    issued_by: str
    issued_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    depth: int
    parent_jti: str | None
    grants: GrantsOut
    may_deliver: bool

    @classmethod
    def from_model(cls, token: LedgerToken) -> IssuedTokenOut:
        return cls(
            jti=token.jti,
            agent_id=token.agent_id,
            task_id=token.task_id,
            requester=token.requester,
            state=token.state,
            issued_by=token.issued_by,
            issued_at=token.issued_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
            depth=token.depth,
            parent_jti=token.parent_jti,
            grants=GrantsOut.from_model(token.capabilities),
            may_deliver=token.may_deliver,
        )


class DelegationOut(WireOut):
    """``from_agent`` handed its token ``parent_jti`` on to ``to_agent`` as ``jti``.

    ``from_agent`` is null when the parent token is not in the ledger.
    """

    from_agent: str | None
    parent_jti: str
    to_agent: str
    jti: str
    task_id: str
    expires_at: datetime

    @classmethod
    def from_model(cls, delegation: Delegation) -> DelegationOut:
        return cls(
            from_agent=delegation.from_agent,
            parent_jti=delegation.parent_jti,
            to_agent=delegation.to_agent,
            jti=delegation.jti,
            task_id=delegation.task_id,
            expires_at=delegation.expires_at,
        )


class CredentialAgentOut(WireOut):
    """Who the agent is and whether it may act."""

    id: str
    name: str
    owner: str
    purpose: str
    status: AgentStatus


class AgentCredentialsOut(WireOut):
    """What an agent holds now.

    ``grants`` is what its active tokens grant together; ``tools`` the registered
    tools those grants cover (by action class or name pattern). Each call is still
    decided by policy: a granted tool may be held for approval or denied.
    ``delegations`` are the active tokens it handed on; ``delegated_by`` who handed
    it each of its active delegated tokens; ``last_seen`` its latest token use.
    """

    agent: CredentialAgentOut
    grants: GrantsOut
    tools: list[str]
    active_tokens: list[IssuedTokenOut]
    delegations: list[DelegationOut]
    delegated_by: list[DelegationOut]
    last_seen: datetime | None


class RevokeTokenIn(WireIn):
    """Why the token is revoked (recorded in the audit log)."""

    reason: Text


class RevokedTokenOut(WireOut):
    """The token is revoked, with every token delegated from it.

    ``known`` is false when the ledger has no record of the jti (issued by a process
    that kept no ledger, or pruned a day after it expired): it is revoked anyway,
    and ``token`` is null.
    """

    jti: str
    revoked: bool
    known: bool
    token: IssuedTokenOut | None


@router.get("/agents/{agent_id}/credentials")
def agent_credentials(agent_id: str, context: Context) -> AgentCredentialsOut:
    """An agent's owner and status, its active tokens, delegations and last use."""
    runtime = context.runtime
    agent = runtime.inventory.get_agent(agent_id)
    held = runtime.ledger.for_agent(agent.id)
    return AgentCredentialsOut(
        agent=CredentialAgentOut(
            id=agent.id,
            name=agent.name,
            owner=agent.owner,
            purpose=agent.purpose,
            status=agent.status,
        ),
        grants=GrantsOut.from_model(held.grants),
        tools=held.granted_tools(runtime.inventory.list_tools()),
        active_tokens=[IssuedTokenOut.from_model(token) for token in held.active_tokens],
        delegations=_delegations(held, outgoing=True),
        delegated_by=_delegations(held, outgoing=False),
        last_seen=held.last_seen,
    )


@router.get("/tokens")
def list_tokens(
    context: Context,
    agent: Annotated[Id | None, Query(description="Only this agent's tokens")] = None,
    include_inactive: Annotated[
        bool, Query(description="Also expired (kept a day) and revoked tokens")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[IssuedTokenOut]:
    """Issued tokens, newest first; by default only the active ones."""
    tokens = context.runtime.ledger.list(
        agent_id=agent, include_inactive=include_inactive, limit=limit
    )
    return [IssuedTokenOut.from_model(token) for token in tokens]


@router.get("/tokens/{jti}")
def get_token(jti: str, context: Context) -> IssuedTokenOut:
    """One issued token by its jti."""
    token = context.runtime.ledger.get(jti)
    if token is None:
        raise NotFound(
            f"no issued token {jti[:64]!r} in the ledger (expired a day ago, or never issued here)",
            code="unknown_token",
        )
    return IssuedTokenOut.from_model(token)


@router.post("/tokens/{jti}/revoke")
def revoke_token(jti: str, body: RevokeTokenIn, context: Context, actor: Actor) -> RevokedTokenOut:
    """Revoke one token and every token delegated from it, from the next check on."""
    token = context.admin.revoke_token(jti, actor=actor, reason=body.reason)
    return RevokedTokenOut(
        jti=jti,
        revoked=True,
        known=token is not None,
        token=IssuedTokenOut.from_model(token) if token is not None else None,
    )


def _delegations(held: AgentCredentials, *, outgoing: bool) -> list[DelegationOut]:
    chosen = held.delegations if outgoing else held.delegated_by
    return [DelegationOut.from_model(delegation) for delegation in chosen]
