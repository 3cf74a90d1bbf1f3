"""``proctor discover``: MCP servers configured on this machine that bypass Proctor."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from proctor.cli._common import (
    EXIT_ERROR,
    EXIT_USAGE,
    DataDir,
    JsonOutput,
    console,
    errors,
    fail,
    print_json,
)
from proctor.discover import (
    Client,
    ConfigLocation,
    DiscoveryReport,
    Layout,
    Scope,
    discover_servers,
    plan_wrap,
    project_locations,
    user_locations,
    write_wrap,
)
from proctor.errors import ProctorError

#: Exit code when a server is not behind Proctor or a configuration file could not be
#: read: either way, the machine is not shown to route every MCP server through Proctor.
EXIT_NOT_BEHIND_PROCTOR = EXIT_ERROR


def _table(report: DiscoveryReport) -> Table:
    table = Table(title="MCP servers", title_justify="left")
    for column in ("client", "scope", "server", "transport"):
        table.add_column(column)
    # Folded, never cut: the command is what a reviewer needs to recognise the server.
    table.add_column("command / url", overflow="fold")
    table.add_column("behind Proctor")
    for server in report.servers:
        scope = server.scope.value if server.project is None else f"project {server.project}"
        name = f"{server.name} (disabled)" if server.disabled else server.name
        behind = Text("yes", style="green") if server.behind_proctor else Text("no", style="red")
        # Text, not markup: names and commands come from files anyone can write.
        table.add_row(
            Text(server.client.value),
            Text(scope),
            Text(name),
            Text(server.transport.value),
            Text(server.target),
            behind,
        )
    return table


def discover(
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            metavar="PATH",
            help="Home directory whose client configurations to read. Default: yours.",
            show_default=False,
        ),
    ] = None,
    project: Annotated[
        list[Path] | None,
        typer.Option(
            "--project",
            metavar="PATH",
            help="Project directory to read project configurations from (repeatable). "
            "Default: the current directory.",
            show_default=False,
        ),
    ] = None,
    wrap: Annotated[
        Client | None,
        typer.Option(
            "--wrap",
            metavar="CLIENT",
            help="Rewrite this client's configuration so its stdio servers run behind "
            "'proctor mcp-proxy' (a diff first, a backup next to the file).",
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="PATH",
            help="With --wrap: the configuration file to rewrite (needed when the client "
            "has several).",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="With --wrap: show the diff, write nothing.")
    ] = False,
    proxy_arg: Annotated[
        list[str] | None,
        typer.Option(
            "--proxy-arg",
            metavar="ARG",
            help="With --wrap: an option for each proxy, before '--' (repeatable), e.g. "
            "--proxy-arg=--gateway=http://127.0.0.1:8700.",
            show_default=False,
        ),
    ] = None,
    proxy_command: Annotated[
        str,
        typer.Option(
            "--proxy-command",
            metavar="PATH",
            help="With --wrap: how the client starts Proctor (a path if 'proctor' is "
            "not on the client's PATH).",
        ),
    ] = "proctor",
    wrap_http: Annotated[
        bool,
        typer.Option(
            "--wrap-http",
            help="With --wrap: put streamable HTTP servers behind the proxy too (the client "
            "starts the proxy, which calls the URL; an Authorization header moves to env).",
        ),
    ] = False,
    data_dir: DataDir = None,
    json_output: JsonOutput = False,
) -> None:
    """List configured MCP servers not behind Proctor. Exit 0 if all are, 1 if not.

    With --wrap CLIENT: rewrite that client's configuration to put its servers behind
    the proxy.
    """
    del data_dir  # accepted like every command's; discovery reads no store
    projects = project or [Path.cwd()]
    if wrap is not None:
        options = _WrapOptions(config, dry_run, proxy_arg or [], proxy_command, wrap_http)
        _wrap(wrap, home or Path.home(), projects, options)
        return
    if config is not None or dry_run or proxy_arg or wrap_http:
        fail("--config, --dry-run, --proxy-arg and --wrap-http go with --wrap CLIENT", EXIT_USAGE)
    report = discover_servers(home or Path.home(), projects)
    if json_output:
        print_json(report.to_dict())
    else:
        if report.servers:
            console.print(_table(report))
        for problem in report.problems:
            errors.print(
                Text.assemble(("problem: ", "yellow"), f"{problem.location()}: {problem.message}")
            )
        summary = (
            f"{len(report.servers)} servers, {len(report.not_behind_proctor)} not behind Proctor"
        )
        if report.problems:
            summary += f", {len(report.problems)} configuration problems"
        console.print(summary, highlight=False)
    if not report.all_behind_proctor:
        raise typer.Exit(EXIT_NOT_BEHIND_PROCTOR)


@dataclass(frozen=True)
class _WrapOptions:
    config: Path | None
    dry_run: bool
    proxy_args: list[str]
    proxy_command: str
    http: bool


def _wrap(client: Client, home: Path, projects: list[Path], options: _WrapOptions) -> None:
    location = _chosen(client, home, projects, options.config)
    dry_run = options.dry_run
    try:
        plan = plan_wrap(
            location,
            proxy_command=options.proxy_command,
            proxy_args=options.proxy_args,
            http=options.http,
        )
    except ProctorError as exc:
        fail(exc.message)
    for change in plan.changes:
        if change.skipped is not None:
            errors.print(
                Text.assemble(("left as is: ", "yellow"), f"{change.where}: {change.skipped}")
            )
    if not plan.changed:
        console.print(f"{plan.path}: nothing to wrap", highlight=False)
        return
    # The diff goes out as plain text: it is meant for patch-reading eyes and tools.
    sys.stdout.write(plan.diff())
    wrapped = [change.name for change in plan.changes if change.skipped is None]
    if dry_run:
        console.print(f"dry run: would wrap {', '.join(wrapped)}; nothing written", highlight=False)
        return
    backup = write_wrap(plan)
    console.print(
        f"wrapped {', '.join(wrapped)} in {plan.path}\nbackup: {backup}\n"
        "each proxy needs the agent's task token: start the client with PROCTOR_TOKEN set",
        highlight=False,
    )


def _chosen(
    client: Client, home: Path, projects: list[Path], config: Path | None
) -> ConfigLocation:
    """The client's configuration file to rewrite: ``config``, or its only one."""
    known = user_locations(home, sys.platform)
    for project in projects:
        known += project_locations(project)
    mine = [location for location in known if location.client is client]
    if config is not None:
        target = config.expanduser().resolve()
        for location in mine:
            if location.path.expanduser().resolve() == target:
                return location
        if not target.is_file():
            fail(f"{config}: no such file")
        return ConfigLocation(client, target, Scope.PROJECT, _layout_for(client, target))
    present = [location for location in mine if location.path.is_file()]
    if not present:
        fail(f"no {client.value} configuration found; name the file with --config")
    if len(present) > 1:
        listed = "\n  ".join(str(location.path) for location in present)
        fail(
            f"{client.value} has several configuration files; choose one with --config:\n  {listed}"
        )
    return present[0]


def _layout_for(client: Client, path: Path) -> Layout:
    if client is Client.VSCODE:
        return Layout.VSCODE_SETTINGS if path.name == "settings.json" else Layout.VSCODE_SERVERS
    if client is Client.CLAUDE_CODE and path.name == ".claude.json":
        return Layout.CLAUDE_CODE
    return Layout.MCP_SERVERS
