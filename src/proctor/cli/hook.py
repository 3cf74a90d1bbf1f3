"""``proctor hook claude-code``: the command Claude Code runs before and after each tool call."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from proctor.cli._root import root_app
from proctor.home import HOME_ENV, Home, is_private, resolve_home
from proctor.integrations.claude_code import ClaudeCodeHook, HookResult
from proctor.integrations.claude_code._hook import MAX_INPUT, refuse
from proctor.integrations.claude_code._setup import (
    HOOK_COMMAND,
    inventory_manifest,
    settings_snippet,
)
from proctor.integrations.claude_code._stamps import STAMPS_ENV, parse_stamps

if TYPE_CHECKING:
    from proctor.sdk import Checker

hook_app = typer.Typer(help="Hooks that put coding agents behind Proctor.", no_args_is_help=True)
claude_app = typer.Typer(
    help="Claude Code's PreToolUse / PostToolUse hook: reads the event on stdin, answers "
    "on stdout. Run without a subcommand from Claude Code's settings; see "
    "'init' for the settings snippet.",
    invoke_without_command=True,
)
hook_app.add_typer(claude_app, name="claude-code")


def main() -> None:
    """``proctor hook ...`` as the full CLI runs it, with only this group added: what
    :func:`proctor.cli.main` runs for ``proctor hook claude-code``, so the process
    that answers every tool call imports the HTTP client, not the gateway."""
    app = root_app()
    app.add_typer(hook_app, name="hook")
    app()


@claude_app.callback()
def claude_code(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Option(
            envvar="PROCTOR_URL", help="The gateway's URL (proctor serve).", show_default=False
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            envvar=HOME_ENV,
            help="Decide in-process on this data directory (when no URL is given).",
            show_default=False,
        ),
    ] = None,
    token_file: Annotated[
        Path | None,
        typer.Option(
            envvar="PROCTOR_TOKEN_FILE",
            help="A file holding the task token (mode 0600); PROCTOR_TOKEN wins when set.",
            show_default=False,
        ),
    ] = None,
    on_hold: Annotated[
        str, typer.Option(help="A call held for approval: 'ask' the user, or 'deny' it.")
    ] = "ask",
    wait: Annotated[
        float, typer.Option(help="Seconds a held call waits for people before --on-hold applies.")
    ] = 0.0,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the gateway.")] = 5.0,
    stamps: Annotated[
        str,
        typer.Option(
            envvar=STAMPS_ENV,
            help="Where allowed publish/send_external calls carry their provenance stamp: "
            "'tool=argument,...' (tool: mcp__<server>__<tool> or its inventory name).",
            show_default=False,
        ),
    ] = "",
) -> None:
    """Answer one Claude Code hook event (stdin → stdout); failing closed."""
    if ctx.invoked_subcommand is not None:
        return
    checker: Checker | None = None
    try:
        stdin = sys.stdin.buffer.read(MAX_INPUT + 1)
        if on_hold not in ("ask", "deny"):
            result = refuse(f"--on-hold must be 'ask' or 'deny', not {on_hold!r}")
        else:
            checker, problem = _checker(url, data_dir, timeout)
            token, token_problem = _token(token_file)
            hook = ClaudeCodeHook(
                checker,
                token,
                on_hold="ask" if on_hold == "ask" else "deny",
                wait_for=timedelta(seconds=wait) if wait > 0 else None,
                problem=problem or token_problem,
                stamps=parse_stamps(stamps),
            )
            result = hook.handle(stdin)
    except Exception as exc:  # never a traceback where Claude Code reads the answer
        result = refuse(f"the hook could not start ({type(exc).__name__}: {exc})")
    finally:
        _close(checker)
    _emit(result)


@claude_app.command("init")
def init(
    command: Annotated[
        str, typer.Option(help="The command Claude Code runs for each hook.")
    ] = HOOK_COMMAND,
) -> None:
    """Print the "hooks" block for .claude/settings.json (JSON on stdout)."""
    sys.stdout.write(json.dumps(settings_snippet(command), indent=2) + "\n")


@claude_app.command("inventory")
def inventory(
    agent: Annotated[str, typer.Option(help="The agent id Claude Code runs as.")] = "claude-code",
    owner: Annotated[str, typer.Option(help="Who owns the agent.")] = "platform-team",
) -> None:
    """Print the inventory manifest of the tools the hook checks (for proctor apply -f)."""
    sys.stdout.write(inventory_manifest(agent, owner))


def _checker(url: str | None, data_dir: Path | None, timeout: float) -> tuple[Checker | None, str]:
    """The gateway to ask, or None and why there is none. Each way imports only what it
    uses: this process starts for every tool call."""
    if url:
        from proctor.sdk import Client

        return Client(url, timeout=timeout), ""
    if data_dir is None:
        return None, (
            "no gateway is configured: set PROCTOR_URL to the gateway's URL, or pass "
            "--data-dir (PROCTOR_HOME) to decide in-process"
        )
    home = Home(resolve_home(data_dir))
    if not home.exists():
        return None, f"no Proctor data directory at {home.path} (run 'proctor init' there first)"
    from proctor.gateway import Gateway

    return Gateway.open(home.path), ""


def _token(token_file: Path | None) -> tuple[str | None, str]:
    import os

    token = os.environ.get("PROCTOR_TOKEN", "").strip()
    if token:
        return token, ""
    if token_file is None:
        return None, ""
    try:
        if not is_private(token_file):
            return None, f"the token file {token_file} is readable by others: chmod 600 it"
        return token_file.read_text(encoding="utf-8").strip() or None, ""
    except OSError as exc:
        return None, f"cannot read the token file {token_file}: {exc.strerror}"


def _close(checker: Checker | None) -> None:
    close = getattr(checker, "close", None)
    if callable(close):
        try:
            close()
        except Exception:  # closing must not turn an answer into a traceback
            return


def _emit(result: HookResult) -> None:
    sys.stdout.write(result.stdout())
    sys.stdout.flush()
    if result.stderr:
        sys.stderr.write(result.stderr + "\n")
    raise typer.Exit(result.exit_code)
