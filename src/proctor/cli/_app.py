"""The root command: ``serve``, ``demo``, ``check``, ``apply`` and the command groups."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from proctor.admin import Admin
from proctor.cli._common import (
    EXIT_APPROVAL,
    EXIT_DENIED,
    DataDir,
    JsonOutput,
    console,
    errors,
    fail,
    fit_output,
    open_gateway,
    print_json,
)
from proctor.cli._root import root_app
from proctor.cli.approvals import approvals_app
from proctor.cli.audit import audit_app
from proctor.cli.directory import directory_app
from proctor.cli.discover import discover
from proctor.cli.hook import hook_app
from proctor.cli.inventory import agents_app, apply, resources_app, tasks_app, tools_app
from proctor.cli.keys import keys_app
from proctor.cli.kill import kill_app, revive_app
from proctor.cli.mcp_proxy import mcp_app, mcp_proxy
from proctor.cli.monitor import alerts_app, breaker_app, limits
from proctor.cli.people import people_app
from proctor.cli.policy import policy_app
from proctor.cli.tokens import tokens_app
from proctor.errors import ProctorError
from proctor.gateway import Gateway
from proctor.model import Outcome, ToolCall
from proctor.wire import decision_to_wire

app = root_app()


@app.callback()
def _every_command() -> None:
    fit_output()


app.add_typer(agents_app, name="agents")
app.add_typer(tools_app, name="tools")
app.add_typer(resources_app, name="resources")
app.add_typer(tasks_app, name="tasks")
app.add_typer(policy_app, name="policy")
app.add_typer(audit_app, name="audit")
app.add_typer(kill_app, name="kill")
app.add_typer(keys_app, name="keys")
app.add_typer(tokens_app, name="tokens")
app.add_typer(revive_app, name="revive")
app.add_typer(people_app, name="people")
app.add_typer(approvals_app, name="approvals")
app.add_typer(directory_app, name="directory")
app.add_typer(hook_app, name="hook")
app.add_typer(alerts_app, name="alerts")
app.add_typer(breaker_app, name="breaker")
app.command("limits")(limits)
app.command("apply")(apply)
app.command("discover")(discover)
app.command("mcp-proxy")(mcp_proxy)
app.add_typer(mcp_app, name="mcp")


@app.command()
def init(data_dir: DataDir = None) -> None:
    """Create the data directory (store, admin key, audit signing key) if needed."""
    with open_gateway(data_dir) as gateway:
        console.print(f"data directory: {gateway.runtime.home.path}", highlight=False)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8700,
    data_dir: DataDir = None,
) -> None:
    """Run the HTTP gateway on the embedded store."""
    from proctor.server import serve as run_server

    with open_gateway(data_dir) as gateway:
        errors.print(
            f"Proctor gateway on http://{host}:{port} (data: {gateway.runtime.home.path})",
            highlight=False,
        )
        run_server(gateway, host=host, port=port)


@app.command()
def demo(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="An empty or new directory for the demo's store. Default: a new temporary "
            "directory each run, so the demo never touches a real store.",
            show_default=False,
        ),
    ] = None,
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            "--scenario",
            metavar="NAME",
            help="Play only this incident (repeatable): forum, mailbox, toxic-flow, "
            "code-freeze. Default: all four.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Replay real agent incidents against a real gateway, and verify the audit log."""
    from proctor.demo import run_demo

    raise typer.Exit(run_demo(data_dir, console, scenarios=scenario))


@app.command()
def check(
    tool: Annotated[str, typer.Option(help="Tool name, e.g. forum.post.")],
    token: Annotated[
        str | None,
        typer.Option(
            envvar="PROCTOR_TOKEN",
            help="The agent's task token (or set PROCTOR_TOKEN).",
            show_default=False,
        ),
    ] = None,
    task: Annotated[
        str | None,
        typer.Option(
            help="Instead of --token: issue a token for this task's agent now (audited) "
            "and check with it.",
            show_default=False,
        ),
    ] = None,
    resource: Annotated[str | None, typer.Option(help="Resource the call touches.")] = None,
    args: Annotated[str, typer.Option(help="Call arguments as a JSON object.")] = "{}",
    data_dir: DataDir = None,
    json_output: JsonOutput = False,
) -> None:
    """Decide one call made under a task token (recorded in the audit log).

    Exit 0 allow, 3 approval, 4 deny.
    """
    if (token is None) == (task is None):
        fail("give the agent's task token (--token or PROCTOR_TOKEN) or a --task, not both")
    try:
        arguments = json.loads(args)
    except json.JSONDecodeError as exc:
        fail(f"--args is not valid JSON: {exc}")
    if not isinstance(arguments, dict):
        fail("--args must be a JSON object")
    call = ToolCall(tool=tool, arguments=arguments, resource=resource)
    with open_gateway(data_dir) as gateway:
        if task is not None:
            token = _issue_for_task(gateway, task)
        assert token is not None
        decision = gateway.check(token, call)
    if json_output:
        print_json(decision_to_wire(decision).model_dump(mode="json"))
    else:
        style = {"allow": "green", "require_approval": "yellow", "deny": "red"}
        console.print(
            f"[{style[decision.outcome.value]}]{decision.outcome.value}[/] "
            f"({decision.code}) {decision.id}"
        )
        for reason in decision.reasons:
            console.print(f"  - {reason.text} [dim]({reason.policy_id})[/dim]", highlight=False)
    if decision.outcome is Outcome.REQUIRE_APPROVAL:
        raise typer.Exit(EXIT_APPROVAL)
    if decision.outcome is Outcome.DENY:
        raise typer.Exit(EXIT_DENIED)


def _issue_for_task(gateway: Gateway, task_id: str) -> str:
    try:
        return Admin(gateway).issue_task_token(task_id, actor="cli").token
    except ProctorError as exc:
        fail(f"{exc.message} ({exc.code})")


def main() -> None:
    app()
