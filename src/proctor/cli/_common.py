"""What every command shares: the data-dir option, opening the gateway, output, exit codes."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from proctor.errors import ProctorError
from proctor.gateway import Gateway
from proctor.home import HOME_ENV

#: Exit codes, documented in docs/cli.md.
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_APPROVAL = 3
EXIT_DENIED = 4

console = Console()
errors = Console(stderr=True)


def fit_output() -> None:
    """Size both consoles for this invocation: ``COLUMNS`` as set now, else the
    terminal's width (a Rich console otherwise keeps the ``COLUMNS`` of the moment it
    was made, which in one process running several commands is another command's).
    Output to a pipe or file is not wrapped, so a path or a message reaches a script
    whole; tables still fit the width."""
    width = shutil.get_terminal_size().columns
    for each in (console, errors):
        each.width = width
        each.soft_wrap = not each.is_terminal


DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar=HOME_ENV,
        help="Data directory (store, keys, settings). Default: $PROCTOR_HOME or "
        "~/.local/share/proctor.",
        show_default=False,
    ),
]
JsonOutput = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    # escape: the message may hold "[code]" or text a user typed, never markup.
    errors.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code)


@contextmanager
def open_gateway(data_dir: Path | None) -> Iterator[Gateway]:
    """Open the gateway on the data directory, announcing a first start."""
    try:
        gateway = Gateway.open(data_dir)
    except ProctorError as exc:
        fail(exc.message)
    try:
        announce_first_start(gateway)
        yield gateway
    except ProctorError as exc:
        fail(f"{exc.message} [{exc.code}]")
    finally:
        gateway.close()


def announce_first_start(gateway: Gateway) -> None:
    runtime = gateway.runtime
    if runtime.created:
        errors.print(
            f"Created data directory {runtime.home.path}\n"
            f"Admin key written to {runtime.home.admin_key_path} (mode 0600)",
            highlight=False,
        )


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str, ensure_ascii=False) + "\n")
