"""``proctor tokens list|show|revoke``: the ledger of issued agent credentials."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from proctor.admin import Admin
from proctor.cli._common import DataDir, JsonOutput, console, fail, open_gateway, print_json
from proctor.identity import AgentCredentials, Delegation, LedgerToken, TokenState
from proctor.store import utcnow

tokens_app = typer.Typer(help="Credentials issued to agents.", no_args_is_help=True)

_ACTOR = "cli"
_SHORT_JTI = 8


def token_record(token: LedgerToken) -> dict[str, Any]:
    """Everything the ledger knows of a token, as JSON-ready values."""
    return {
        "jti": token.jti,
        "agent_id": token.agent_id,
        "task_id": token.task_id,
        "requester": token.requester,
        "state": token.state.value,
        "issued_by": token.issued_by,
        "issued_at": token.issued_at.isoformat(),
        "expires_at": token.expires_at.isoformat(),
        "last_used_at": moment(token.last_used_at),
        "depth": token.depth,
        "parent_jti": token.parent_jti,
        "grants": {
            "actions": sorted(action.value for action in token.capabilities.actions),
            "tools": list(token.capabilities.tools),
        },
        "may_deliver": token.may_deliver,
    }


def delegation_record(delegation: Delegation) -> dict[str, Any]:
    return {
        "from_agent": delegation.from_agent,
        "parent_jti": delegation.parent_jti,
        "to_agent": delegation.to_agent,
        "jti": delegation.jti,
        "task_id": delegation.task_id,
        "expires_at": delegation.expires_at.isoformat(),
    }


def moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def short(jti: str | None) -> str:
    """A jti cut to fit a table; ``--json`` has it whole."""
    if jti is None:
        return "-"
    return jti if len(jti) <= _SHORT_JTI else jti[:_SHORT_JTI] + "…"


def relative(value: datetime | None, now: datetime) -> str:
    """``in 14m``, ``3s ago`` or ``never``: what a person reads in a table."""
    if value is None:
        return "never"
    seconds = int((value - now).total_seconds())
    span = _span(abs(seconds))
    return f"in {span}" if seconds > 0 else f"{span} ago"


def _span(seconds: int) -> str:
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _table(title: str, columns: list[str]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, no_wrap=True)
    return table


def tokens_table(title: str, tokens: list[LedgerToken], *, with_agent: bool) -> Table:
    """Tokens, one a row: id (shortened), task, expiry, last use, and either the agent
    (a list of everyone's) or the token it was delegated from (one agent's)."""
    with_state = any(token.state is not TokenState.ACTIVE for token in tokens)
    columns = [
        "id",
        *(["agent"] if with_agent else []),
        "task",
        "expires",
        "last used",
        *([] if with_agent else ["from"]),
        *(["state"] if with_state else []),
    ]
    table = _table(title, columns)
    now = utcnow()
    for token in tokens:
        table.add_row(
            short(token.jti),
            *([token.agent_id] if with_agent else []),
            token.task_id,
            relative(token.expires_at, now),
            relative(token.last_used_at, now),
            *([] if with_agent else [short(token.parent_jti)]),
            *([token.state.value] if with_state else []),
        )
    return table


@tokens_app.command("list")
def tokens_list(
    agent: Annotated[str | None, typer.Option(help="Only this agent's tokens.")] = None,
    include_inactive: Annotated[
        bool, typer.Option("--all", help="Also expired (kept a day) and revoked tokens.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 100,
    data_dir: DataDir = None,
    json_output: JsonOutput = False,
) -> None:
    """Issued tokens, newest first; by default only the active ones."""
    with open_gateway(data_dir) as gateway:
        tokens = gateway.runtime.ledger.list(
            agent_id=agent, include_inactive=include_inactive, limit=limit
        )
    if json_output:
        print_json([token_record(token) for token in tokens])
        return
    title = "Tokens" if include_inactive else "Active tokens"
    console.print(tokens_table(title, tokens, with_agent=agent is None))


@tokens_app.command("show")
def tokens_show(jti: str, data_dir: DataDir = None) -> None:
    """Everything the ledger knows of one token (JSON)."""
    with open_gateway(data_dir) as gateway:
        token = gateway.runtime.ledger.get(jti)
    if token is None:
        fail(f"no issued token {jti!r} in the ledger (expired a day ago, or never issued here)")
    print_json(token_record(token))


@tokens_app.command("revoke")
def tokens_revoke(
    jti: str,
    reason: Annotated[str, typer.Option(help="Why (recorded in the audit log).")],
    data_dir: DataDir = None,
    json_output: JsonOutput = False,
) -> None:
    """Revoke one token and every token delegated from it, from the next check on."""
    with open_gateway(data_dir) as gateway:
        token = Admin(gateway).revoke_token(jti, actor=_ACTOR, reason=reason)
    if json_output:
        record = token_record(token) if token is not None else None
        print_json({"jti": jti, "revoked": True, "known": token is not None, "token": record})
        return
    if token is None:
        console.print(
            f"revoked {jti}; the ledger has no record of it (issued by a process that kept "
            "none, or expired more than a day ago), so nothing more is known about it",
            highlight=False,
        )
        return
    console.print(
        f"revoked {jti} ({token.agent_id}, task {token.task_id}) and every token delegated from it",
        highlight=False,
    )


def credentials_record(held: AgentCredentials, tools: list[str]) -> dict[str, Any]:
    """An agent's credentials, as ``agents show --json`` prints them."""
    return {
        "grants": {
            "actions": sorted(action.value for action in held.grants.actions),
            "tools": list(held.grants.tools),
        },
        "tools": tools,
        "active_tokens": [token_record(token) for token in held.active_tokens],
        "delegations": [delegation_record(item) for item in held.delegations],
        "delegated_by": [delegation_record(item) for item in held.delegated_by],
        "last_seen": moment(held.last_seen),
    }


def print_credentials(held: AgentCredentials) -> None:
    """Tables of an agent's active tokens and of its delegations, both ways."""
    now = utcnow()
    console.print(f"{'last seen':<10} {relative(held.last_seen, now)}", highlight=False)
    console.print(tokens_table("Active tokens", list(held.active_tokens), with_agent=False))
    table = _table("Delegations", ["with", "token", "from", "task", "expires"])
    for item in held.delegations:
        table.add_row(
            f"→ {item.to_agent}",
            short(item.jti),
            short(item.parent_jti),
            item.task_id,
            relative(item.expires_at, now),
        )
    for item in held.delegated_by:
        table.add_row(
            f"← {item.from_agent or '(not in the ledger)'}",
            short(item.jti),
            short(item.parent_jti),
            item.task_id,
            relative(item.expires_at, now),
        )
    console.print(table)
