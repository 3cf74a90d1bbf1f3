"""``proctor alerts``, ``proctor breaker`` and ``proctor limits``: what the monitor saw,
which agents it stopped, and the declared rate limits.

Like every local command these read the data directory. A breaker reset is recorded
in the audit log with the actor ``cli``, as ``proctor kill`` is: whoever can open
the data directory holds its admin key anyway.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from proctor.cli._common import DataDir, JsonOutput, console, fail, open_gateway, print_json
from proctor.monitor import (
    MAX_ALERT_PAGE,
    Alert,
    BreakerState,
    BreakerStatus,
    Monitor,
    TripAction,
    format_rate_limit,
)
from proctor.wire import AlertOut, BreakerOut, RateLimitOut

alerts_app = typer.Typer(
    help="Alerts the monitor raised: anomalous episodes and tripped breakers.",
    invoke_without_command=True,
)
breaker_app = typer.Typer(
    help="Circuit breakers: the agents the monitor stopped, and closing one.",
    no_args_is_help=True,
)

_ACTOR = "cli"
_SEVERITY_STYLE = {"medium": "yellow", "high": "red", "critical": "bold red"}
_STATUS_STYLE = {"open": "red", "half_open": "yellow", "closed": "green"}


@alerts_app.callback()
def list_alerts(
    ctx: typer.Context,
    agent: Annotated[str | None, typer.Option(help="Only this agent's alerts.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_ALERT_PAGE)] = 100,
    data_dir: DataDir = None,
    json_output: JsonOutput = False,
) -> None:
    """The newest alerts, oldest first; 'alerts show ID' for one in full."""
    if ctx.invoked_subcommand is not None:
        return
    with open_gateway(data_dir) as gateway:
        found = gateway.runtime.monitor.alerts.list(agent=agent, limit=limit)
    if json_output:
        print_json([AlertOut.from_model(alert).model_dump(mode="json") for alert in found])
        return
    if not found:
        console.print("no alerts" + (f" for {escape(agent)}" if agent else ""), highlight=False)
        return
    table = Table("raised", "severity", "agent", "summary")
    # Ids are what people copy into the next command: never wrapped.
    table.add_column("id", no_wrap=True)
    for alert in found:
        table.add_row(
            f"{alert.created_at:%Y-%m-%d %H:%M:%S}",
            _severity(alert),
            escape(alert.agent),
            escape(alert.summary),
            alert.id,
        )
    console.print(table)


@alerts_app.command("show")
def show_alert(alert_id: str, data_dir: DataDir = None, json_output: JsonOutput = False) -> None:
    """One alert with its evidence: the calls, the threshold or baseline, the owner."""
    with open_gateway(data_dir) as gateway:
        alert = gateway.runtime.monitor.alerts.get(alert_id)
    if alert is None:
        fail(f"no alert {alert_id} [unknown_alert]")
    if json_output:
        print_json(AlertOut.from_model(alert).model_dump(mode="json"))
        return
    console.print(f"[bold]{alert.id}[/bold] {_severity(alert)} {alert.kind}", highlight=False)
    console.print(f"  {escape(alert.summary)}", highlight=False)
    console.print(f"  agent    {escape(alert.agent)}", highlight=False)
    console.print(f"  owner    {escape(str(alert.evidence.get('owner') or '-'))}", highlight=False)
    console.print(f"  raised   {alert.created_at:%Y-%m-%d %H:%M:%S} UTC", highlight=False)
    evidence = {key: value for key, value in alert.evidence.items() if key != "owner"}
    console.print("  evidence:", highlight=False)
    text = json.dumps(evidence, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    console.print(escape(text), highlight=False)


@breaker_app.command("list")
def list_breakers(data_dir: DataDir = None, json_output: JsonOutput = False) -> None:
    """Tripped breakers: open (calls held or denied) and half-open (probing)."""
    with open_gateway(data_dir) as gateway:
        tripped = _tripped(gateway.runtime.monitor)
    if json_output:
        print_json([BreakerOut.from_model(state).model_dump(mode="json") for state in tripped])
        return
    if not tripped:
        console.print("no tripped breakers: every agent's calls flow")
        return
    table = Table("agent", "status", "calls are", "tripped by", "opened", "half-open at")
    for state in tripped:
        table.add_row(
            escape(state.agent),
            _status(state),
            "held" if state.on_trip is TripAction.HOLD else "denied",
            escape(state.rule),
            f"{state.opened_at:%Y-%m-%d %H:%M:%S}" if state.opened_at else "-",
            f"{state.cool_down_until:%H:%M:%S}" if state.cool_down_until else "-",
        )
    console.print(table)


@breaker_app.command("show")
def show_breaker(agent_id: str, data_dir: DataDir = None, json_output: JsonOutput = False) -> None:
    """One agent's breaker, closed or not."""
    with open_gateway(data_dir) as gateway:
        state = gateway.runtime.monitor.breakers.state(agent_id)
        if state.status is BreakerStatus.CLOSED:
            gateway.runtime.inventory.get_agent(agent_id)
    if json_output:
        print_json(BreakerOut.from_model(state).model_dump(mode="json"))
        return
    console.print(f"{escape(agent_id)}: {_status(state)}", highlight=False)
    if state.rule:
        console.print(f"  tripped by {escape(state.rule)}", highlight=False)
    if state.cool_down_until:
        console.print(f"  half-open at {state.cool_down_until:%Y-%m-%d %H:%M:%S} UTC")


@breaker_app.command("reset")
def reset_breaker(
    agent_id: str,
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log).")] = "",
    data_dir: DataDir = None,
) -> None:
    """Close a tripped breaker now: the agent's calls flow again (audited)."""
    with open_gateway(data_dir) as gateway:
        reset = gateway.runtime.monitor.reset_breaker(agent_id, by=_ACTOR, reason=reason)
    console.print(
        f"[green]breaker of {escape(reset.agent)} closed[/green]: its calls flow again "
        f"(by {reset.by}: {escape(reset.reason)})",
        highlight=False,
    )


def limits(data_dir: DataDir = None, json_output: JsonOutput = False) -> None:
    """The rate limits declared in proctor.yaml (rate_limits:), in order."""
    with open_gateway(data_dir) as gateway:
        rules = gateway.runtime.monitor.rate_limits
    if json_output:
        print_json([RateLimitOut.from_model(rule).model_dump(mode="json") for rule in rules])
        return
    if not rules:
        console.print("no rate limits declared (add rate_limits: to proctor.yaml and apply it)")
        return
    named = any(rule.id != format_rate_limit(rule) for rule in rules)
    table = Table()
    table.add_column("rule", no_wrap=True)
    table.add_column("in words")
    if named:
        table.add_column("id")
    for rule in rules:
        row = [escape(format_rate_limit(rule)), rule.describe()]
        table.add_row(*row, *([escape(rule.id)] if named else []))
    console.print(table)


def _tripped(monitor: Monitor) -> list[BreakerState]:
    """Open and half-open breakers by agent, each read as a check reads it (so an open
    breaker whose cool-down is over shows half-open)."""
    states = [monitor.breakers.state(found.agent) for found in monitor.breakers.tripped()]
    return sorted((s for s in states if s.status is not BreakerStatus.CLOSED), key=_agent)


def _agent(state: BreakerState) -> str:
    return state.agent


def _severity(alert: Alert) -> str:
    return f"[{_SEVERITY_STYLE[str(alert.severity)]}]{alert.severity}[/]"


def _status(state: BreakerState) -> str:
    return f"[{_STATUS_STYLE[str(state.status)]}]{state.status}[/]"
