"""The ``proctor`` command line: Typer app and its exit codes.

:func:`main` (the ``proctor`` script) runs ``proctor hook claude-code`` without building
the whole app: Claude Code starts that command before and after every tool call, and
the app's other commands import nearly the whole package.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from proctor._lazy import lazy_exports

if TYPE_CHECKING:
    from proctor.cli._app import app

__all__ = ["app", "main"]


def main() -> None:
    if sys.argv[1:3] == ["hook", "claude-code"]:
        from proctor.cli.hook import main as hook_main

        hook_main()
        return
    from proctor.cli._app import main as app_main

    app_main()


if not TYPE_CHECKING:
    __getattr__ = lazy_exports(__name__, {"_app": ("app",)})
