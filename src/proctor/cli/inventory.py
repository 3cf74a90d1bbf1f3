"""``proctor agents|tools|resources|tasks`` and ``proctor apply``."""

from __future__ import annotations

import sys
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from proctor.admin import Admin
from proctor.cli._common import (
    DataDir,
    JsonOutput,
    console,
    errors,
    fail,
    open_gateway,
    print_json,
)
from proctor.cli.tokens import credentials_record, print_credentials
from proctor.errors import InvalidInput
from proctor.identity import IssuedToken
from proctor.inventory import Change
from proctor.manifest import apply_manifest, load_manifest
from proctor.model import ActionClass, Audience, Capabilities, Deliverable, Task
from proctor.wire import credential_to_wire

agents_app = typer.Typer(help="Agents in the inventory.", no_args_is_help=True)
tools_app = typer.Typer(help="Tools in the inventory.", no_args_is_help=True)
resources_app = typer.Typer(help="Resources in the inventory.", no_args_is_help=True)
tasks_app = typer.Typer(help="Tasks humans gave agents.", no_args_is_help=True)

_ACTOR = "cli"


def _plain(record: Any) -> dict[str, Any]:
    return {key: _value(value) for key, value in asdict(record).items()}


def _value(value: Any) -> Any:
    if isinstance(value, frozenset | set):
        return sorted(_value(item) for item in value)
    if isinstance(value, tuple | list):
        return [_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _value(item) for key, item in value.items()}
    return value.value if hasattr(value, "value") else value


def _table(title: str, columns: list[str], rows: list[list[str]]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    return table


@agents_app.command("list")
def agents_list(
    shadow: Annotated[
        bool, typer.Option("--shadow", help="Unknown agents that tried to act instead.")
    ] = False,
    data_dir: DataDir = None,
    json_output: JsonOutput = False,
) -> None:
    """List registered agents (or, with --shadow, unregistered ones that tried to act)."""
    if shadow:
        _shadow_list(data_dir, json_output)
        return
    with open_gateway(data_dir) as gateway:
        agents = gateway.runtime.inventory.list_agents()
    if json_output:
        print_json([_plain(agent) for agent in agents])
        return
    rows = [[a.id, a.name, a.owner, a.status.value, ", ".join(a.groups)] for a in agents]
    console.print(_table("Agents", ["id", "name", "owner", "status", "groups"], rows))


def _shadow_list(data_dir: Path | None, json_output: bool) -> None:
    with open_gateway(data_dir) as gateway:
        shadows = gateway.runtime.shadow_agents.list()
    if json_output:
        print_json([_plain(shadow) for shadow in shadows])
        return
    rows = [
        [
            s.agent_id,
            str(s.count),
            s.first_seen.isoformat(timespec="seconds"),
            s.last_seen.isoformat(timespec="seconds"),
            s.last_tool,
            s.last_client or "-",
            s.last_user_agent or "-",
        ]
        for s in shadows
    ]
    columns = ["agent", "calls", "first seen", "last seen", "last tool", "client", "user agent"]
    console.print(_table("Shadow agents (denied: not in the inventory)", columns, rows))


@agents_app.command("show")
def agents_show(agent_id: str, data_dir: DataDir = None, json_output: JsonOutput = False) -> None:
    """Show one agent: owner, status, purpose, its active tokens and delegations."""
    with open_gateway(data_dir) as gateway:
        runtime = gateway.runtime
        agent = runtime.inventory.get_agent(agent_id)
        held = runtime.ledger.for_agent(agent.id)
        tools = held.granted_tools(runtime.inventory.list_tools())
    if json_output:
        print_json({**_plain(agent), "credentials": credentials_record(held, tools)})
        return
    console.print(f"[bold]{agent.id}[/bold] ({agent.name})")
    for label, value in (
        ("owner", agent.owner),
        ("status", agent.status.value),
        ("purpose", agent.purpose or "-"),
        ("tools", ", ".join(tools) or "none granted by an active token"),
    ):
        console.print(f"{label:<10} {value}", highlight=False)
    print_credentials(held)


@tools_app.command("list")
def tools_list(data_dir: DataDir = None, json_output: JsonOutput = False) -> None:
    """List registered tools."""
    with open_gateway(data_dir) as gateway:
        tools = gateway.runtime.inventory.list_tools()
    if json_output:
        print_json([_plain(tool) for tool in tools])
        return
    rows = [
        [t.name, t.action_class.value, t.label.value, t.audience.value if t.audience else "-"]
        for t in tools
    ]
    console.print(_table("Tools", ["name", "action class", "label", "audience"], rows))


@tools_app.command("show")
def tools_show(name: str, data_dir: DataDir = None) -> None:
    """Show one tool."""
    with open_gateway(data_dir) as gateway:
        print_json(_plain(gateway.runtime.inventory.get_tool(name)))


@resources_app.command("list")
def resources_list(data_dir: DataDir = None, json_output: JsonOutput = False) -> None:
    """List registered resources."""
    with open_gateway(data_dir) as gateway:
        resources = gateway.runtime.inventory.list_resources()
    if json_output:
        print_json([_plain(resource) for resource in resources])
        return
    rows = [[r.id, r.owner, r.label.value] for r in resources]
    console.print(_table("Resources", ["id", "owner", "label"], rows))


@resources_app.command("show")
def resources_show(resource_id: str, data_dir: DataDir = None) -> None:
    """Show one resource."""
    with open_gateway(data_dir) as gateway:
        print_json(_plain(gateway.runtime.inventory.get_resource(resource_id)))


def task_record(task: Task) -> dict[str, Any]:
    record = _plain(task)
    record["created_at"] = task.created_at.isoformat()
    record["expires_at"] = task.expires_at.isoformat()
    return record


@tasks_app.command("list")
def tasks_list(
    agent: Annotated[str | None, typer.Option(help="Only this agent's tasks.")] = None,
    data_dir: DataDir = None,
    json_output: JsonOutput = False,
) -> None:
    """List recent tasks."""
    with open_gateway(data_dir) as gateway:
        tasks = gateway.runtime.tasks.list(agent_id=agent)
    if json_output:
        print_json([task_record(task) for task in tasks])
        return
    rows = [
        [t.id, t.agent_id, t.requester, t.capabilities.describe(), t.expires_at.isoformat()]
        for t in tasks
    ]
    console.print(_table("Tasks", ["id", "agent", "requester", "grants", "expires"], rows))


@tasks_app.command("show")
def tasks_show(task_id: str, data_dir: DataDir = None) -> None:
    """Show one task."""
    with open_gateway(data_dir) as gateway:
        print_json(task_record(gateway.runtime.tasks.get(task_id)))


@tasks_app.command("create")
def tasks_create(
    agent: Annotated[str, typer.Option(help="The agent that will do the task.")],
    requester: Annotated[str, typer.Option(help="The human the agent works for.")],
    purpose: Annotated[str, typer.Option(help="What the agent is asked to do.")],
    action: Annotated[list[str] | None, typer.Option(help="Granted action class.")] = None,
    tool: Annotated[list[str] | None, typer.Option(help="Granted tool name or pattern.")] = None,
    resource: Annotated[
        list[str] | None,
        typer.Option(help="Limit the task to this resource id or pattern (repeatable)."),
    ] = None,
    instruction: Annotated[
        str, typer.Option(help="The requester's own words: values in it count as theirs.")
    ] = "",
    deliverable: Annotated[str | None, typer.Option(help="What the task produces.")] = None,
    audience: Annotated[str | None, typer.Option(help="Widest audience of it.")] = None,
    ttl_minutes: Annotated[int, typer.Option(help="Lifetime in minutes (max 1440).")] = 60,
    data_dir: DataDir = None,
    json_output: JsonOutput = False,
) -> None:
    """Create a task for an agent, on behalf of a requester."""
    try:
        actions = frozenset(ActionClass(value) for value in action or [])
        target = Deliverable(deliverable or "", Audience(audience)) if audience else None
    except ValueError as exc:
        fail(str(exc))
    with open_gateway(data_dir) as gateway:
        admin = Admin(gateway)
        task = admin.create_task(
            agent_id=agent,
            requester=requester,
            purpose=purpose,
            capabilities=Capabilities(
                actions=actions,
                tools=tuple(tool or []),
                resources=tuple(resource) if resource else None,
            ),
            deliverable=target,
            ttl=timedelta(minutes=ttl_minutes),
            actor=_ACTOR,
            instruction=instruction,
        )
        issued = admin.issue_task_token(task.id, actor=_ACTOR)
    if json_output:
        print_json({**task_record(task), "credential": _credential_record(issued)})
        return
    console.print(f"created task [bold]{task.id}[/bold] for {agent} (expires {task.expires_at})")
    _print_token(issued)


@tasks_app.command("token")
def tasks_token(
    task_id: str,
    ttl_seconds: Annotated[
        int | None,
        typer.Option(help="Token lifetime (default: the configured one; never past the task)."),
    ] = None,
    data_dir: DataDir = None,
    json_output: JsonOutput = False,
) -> None:
    """Issue a fresh token for a task's agent, e.g. when the last one expired (audited)."""
    with open_gateway(data_dir) as gateway:
        ttl = timedelta(seconds=ttl_seconds) if ttl_seconds is not None else None
        issued = Admin(gateway).issue_task_token(task_id, actor=_ACTOR, ttl=ttl)
    if json_output:
        print_json(_credential_record(issued))
        return
    _print_token(issued)


def _credential_record(issued: IssuedToken) -> dict[str, Any]:
    return credential_to_wire(issued).model_dump(mode="json")


def _print_token(issued: IssuedToken) -> None:
    """The token alone on stdout (for ``$(...)``); what it is, on stderr."""
    claims = issued.claims
    errors.print(
        f"task token for {claims.agent_id} on {claims.task_id}, expires "
        f"{claims.expires_at.isoformat(timespec='seconds')}; hand it to the agent "
        "(e.g. as PROCTOR_TOKEN) and keep it out of logs",
        highlight=False,
    )
    # Plain write: a console would wrap the long token across lines.
    sys.stdout.write(issued.token + "\n")


_STYLE = {Change.CREATED: "green", Change.UPDATED: "yellow", Change.UNCHANGED: "dim"}


def apply(
    file: Annotated[Path, typer.Option("-f", "--file", help="The manifest (proctor.yaml).")],
    data_dir: DataDir = None,
    json_output: JsonOutput = False,
) -> None:
    """Create or update what the manifest declares; repeat runs change nothing."""
    try:
        loaded = load_manifest(file)
    except InvalidInput as exc:
        fail(exc.message)
    with open_gateway(data_dir) as gateway:
        report = apply_manifest(Admin(gateway), loaded, actor=f"cli:apply:{file.name}")
    if json_output:
        print_json([{"kind": k, "name": n, "change": c.value} for k, n, c in report.items])
        return
    for kind, name, change in report.items:
        console.print(f"{kind}/{name} [{_STYLE[change]}]{change.value}[/]", highlight=False)
    console.print(
        f"{report.count(Change.CREATED)} created, {report.count(Change.UPDATED)} updated, "
        f"{report.count(Change.UNCHANGED)} unchanged"
    )
