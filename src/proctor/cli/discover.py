"""``proctor discover``: MCP servers configured on this machine that bypass Proctor."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from proctor.cli._common import EXIT_ERROR, DataDir, JsonOutput, console, errors, print_json
from proctor.discover import DiscoveryReport, discover_servers

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
    data_dir: DataDir = None,
    json_output: JsonOutput = False,
) -> None:
    """List configured MCP servers not behind Proctor. Exit 0 if all are, 1 if not."""
    del data_dir  # accepted like every command's; discovery reads no store
    report = discover_servers(home or Path.home(), project or [Path.cwd()])
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
