"""The ``proctor`` command line: Typer app and its exit codes."""

from proctor.cli._app import app, main

__all__ = ["app", "main"]
