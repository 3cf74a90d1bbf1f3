"""The ``proctor`` command itself, before any of its commands are added."""

from __future__ import annotations

import typer


def root_app() -> typer.Typer:
    """A new ``proctor`` app with no commands: the full CLI adds them all
    (:mod:`proctor.cli._app`), ``proctor hook claude-code`` only its own group."""
    return typer.Typer(
        name="proctor",
        help="Proctor: decide, explain and record every AI agent tool call.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )
