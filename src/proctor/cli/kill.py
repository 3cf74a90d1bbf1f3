"""``proctor kill`` and ``proctor revive``: a person's hard stop, and its release."""

from __future__ import annotations

from typing import Annotated

import typer

from proctor.admin import Admin
from proctor.cli._common import DataDir, console, fail, open_gateway
from proctor.model import AgentStatus

kill_app = typer.Typer(
    help="Stop agents now: one agent, an owner's agents, or (--all) every agent.",
    invoke_without_command=True,
)
revive_app = typer.Typer(
    help="Undo a stop: one agent, or (--all) release the global kill switch.",
    invoke_without_command=True,
)

Reason = Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log).")]
_ACTOR = "cli"


@kill_app.callback()
def kill(
    ctx: typer.Context,
    all_agents: Annotated[bool, typer.Option("--all", help="Stop every agent.")] = False,
    reason: Reason = "",
    data_dir: DataDir = None,
) -> None:
    """Stop every agent (--all), or use a subcommand for one agent or one owner."""
    if ctx.invoked_subcommand is not None:
        return
    if not all_agents:
        fail("say what to stop: --all, 'kill agent ID' or 'kill owner NAME'", code=2)
    with open_gateway(data_dir) as gateway:
        Admin(gateway).stop_all_agents(actor=_ACTOR, reason=reason)
    console.print(
        "[red]kill switch engaged[/red]: every agent's next call is denied", highlight=False
    )


@kill_app.command("agent")
def kill_agent(agent_id: str, reason: Reason = "", data_dir: DataDir = None) -> None:
    """Suspend one agent: its next call is denied with agent_suspended."""
    with open_gateway(data_dir) as gateway:
        Admin(gateway).set_agent_status(
            agent_id, AgentStatus.SUSPENDED, actor=_ACTOR, reason=reason
        )
    console.print(f"agent {agent_id} suspended", highlight=False)


@kill_app.command("owner")
def kill_owner(owner: str, reason: Reason = "", data_dir: DataDir = None) -> None:
    """Suspend every active agent an owner owns."""
    with open_gateway(data_dir) as gateway:
        stopped = Admin(gateway).suspend_agents(owner=owner, actor=_ACTOR, reason=reason)
    console.print(
        f"{len(stopped)} agent(s) of {owner} suspended: {', '.join(stopped) or '-'}",
        highlight=False,
    )


@revive_app.callback()
def revive(
    ctx: typer.Context,
    all_agents: Annotated[bool, typer.Option("--all", help="Release the kill switch.")] = False,
    reason: Reason = "",
    data_dir: DataDir = None,
) -> None:
    """Release the kill switch (--all), or revive one agent with 'revive agent ID'."""
    if ctx.invoked_subcommand is not None:
        return
    if not all_agents:
        fail("say what to revive: --all or 'revive agent ID'", code=2)
    with open_gateway(data_dir) as gateway:
        Admin(gateway).resume_all_agents(actor=_ACTOR, reason=reason)
    console.print("kill switch released (suspended agents stay suspended)", highlight=False)


@revive_app.command("agent")
def revive_agent(agent_id: str, reason: Reason = "", data_dir: DataDir = None) -> None:
    """Make a suspended agent active again."""
    with open_gateway(data_dir) as gateway:
        Admin(gateway).set_agent_status(agent_id, AgentStatus.ACTIVE, actor=_ACTOR, reason=reason)
    console.print(f"agent {agent_id} active", highlight=False)
