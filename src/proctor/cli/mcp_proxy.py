"""``proctor mcp-proxy``: an MCP server behind Proctor; ``proctor mcp``: its tools' pins."""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import PurePath
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import anyio
import typer
from rich.table import Table
from rich.text import Text

from proctor.admin import Admin
from proctor.cli._common import (
    EXIT_ERROR,
    EXIT_USAGE,
    DataDir,
    JsonOutput,
    console,
    errors,
    fail,
    open_gateway,
    print_json,
)
from proctor.errors import ProctorError
from proctor.gateway import Gateway
from proctor.sdk import Client

if TYPE_CHECKING:
    # Imported when used: the MCP SDK takes a while to load, and most commands need none of it.
    from proctor.integrations.mcp import Backend, HttpListen, McpCatalog, ProxySettings

mcp_app = typer.Typer(
    help="The tools of MCP servers behind the proxy: pins, changes, accepting them.",
    no_args_is_help=True,
)

_LAUNCHERS = {"uvx", "npx", "bunx", "pnpx"}
_PYTHON = re.compile(r"python[0-9.]*|py")


def server_name_for(command: list[str]) -> str:
    """A server name from its command line: the program, or the package a launcher
    (``uvx``, ``npx``, ``python -m``) runs; ``mcp-server``/``server`` otherwise."""
    if not command:
        return "server"
    program = PurePath(command[0].replace("\\", "/")).name.lower().removesuffix(".exe")
    rest = command[1:]
    name = program
    if program in _LAUNCHERS:
        name = next((arg for arg in rest if not arg.startswith("-")), program)
    elif _PYTHON.fullmatch(program) and "-m" in rest[:-1]:
        name = rest[rest.index("-m") + 1]
    name = PurePath(name.split("@", 1)[0] if not name.startswith("@") else name).name
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-_")
    return cleaned[:64] or "server"


def server_name_for_url(url: str) -> str:
    """A server name from an upstream URL: its host, dots as dashes."""
    host = urlsplit(url).hostname or "server"
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", host).strip("-_")
    return cleaned[:64] or "server"


def mcp_proxy(
    command: Annotated[
        list[str] | None,
        typer.Argument(help="The upstream MCP server's command, after --.", show_default=False),
    ] = None,
    server: Annotated[
        str | None,
        typer.Option(
            help="The server's name: its tools are '<server>.<tool>' in the inventory. "
            "Default: from the command (mcp-server-git, ...).",
            show_default=False,
        ),
    ] = None,
    agent: Annotated[
        str | None,
        typer.Option(
            help="The agent this proxy serves; must be the task token's agent.",
            show_default=False,
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="PROCTOR_TOKEN",
            help="The agent's task token (or set PROCTOR_TOKEN).",
            show_default=False,
        ),
    ] = None,
    gateway_url: Annotated[
        str | None,
        typer.Option(
            "--gateway",
            metavar="URL",
            help="A gateway behind 'proctor serve' instead of the data directory.",
            show_default=False,
        ),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(
            envvar="PROCTOR_API_KEY",
            help="With --gateway: an admin (or admin-role personal) key, to register the "
            "server's tools (or set PROCTOR_API_KEY).",
            show_default=False,
        ),
    ] = None,
    unannotated: Annotated[
        str,
        typer.Option(
            help="What a first-seen tool that declares no hints gets: require_approval "
            "(held for an admin), deny (not registered, hidden), or an action class.",
        ),
    ] = "require_approval",
    approval_wait: Annotated[
        float,
        typer.Option(
            help="Seconds a call held for approval waits for people; 0 answers 'pending' "
            "at once with the decision id.",
        ),
    ] = 0.0,
    record_after_answer: Annotated[
        bool,
        typer.Option(
            "--record-after-answer",
            help="With the gateway in this process: answer a call as soon as its result "
            "comes and record its outcome right after (the task's next check waits for "
            "it). Faster; a proxy killed in between loses that outcome. Off by default.",
        ),
    ] = False,
    upstream: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="An upstream MCP server over streamable HTTP (https://.../mcp) instead of "
            "a command.",
            show_default=False,
        ),
    ] = None,
    upstream_url_env: Annotated[
        str | None,
        typer.Option(
            metavar="VAR",
            help="The --upstream URL is in $VAR (a URL that carries a key stays off the "
            "command line).",
            show_default=False,
        ),
    ] = None,
    listen: Annotated[
        str | None,
        typer.Option(
            metavar="HOST:PORT",
            help="Serve agents over streamable HTTP on this address (endpoint /mcp) instead "
            "of stdio; needs --upstream. Port 0 picks a free one.",
            show_default=False,
        ),
    ] = None,
    allow_remote_listen: Annotated[
        bool,
        typer.Option(
            help="Allow --listen on an address other than loopback (anyone who reaches "
            "it acts with the agent's token).",
        ),
    ] = False,
    allow_origin: Annotated[
        list[str] | None,
        typer.Option(
            help="A browser origin allowed to call the proxy, besides its own (repeatable).",
            show_default=False,
        ),
    ] = None,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            help="A Host header value allowed besides the proxy's own address, such as "
            "proxy.internal:8765 (repeatable).",
            show_default=False,
        ),
    ] = None,
    forward_authorization: Annotated[
        bool,
        typer.Option(
            help="With --listen: pass the agent's Authorization header on to the upstream.",
        ),
    ] = False,
    upstream_auth_env: Annotated[
        str | None,
        typer.Option(
            metavar="VAR",
            help="Send the upstream 'Authorization: <value of $VAR>' (such as 'Bearer ...'); "
            "the agent never sees it.",
            show_default=False,
        ),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Run an MCP server behind Proctor: every tools/call is checked first.

    proctor mcp-proxy --agent forum-bot --server git -- mcp-server-git --repository .

    proctor mcp-proxy --agent forum-bot --listen 127.0.0.1:8765 --upstream https://mcp.example.com/mcp
    """
    if upstream_url_env is not None:
        if upstream is not None:
            fail("give --upstream or --upstream-url-env, not both", EXIT_USAGE)
        upstream = _from_environment(upstream_url_env, "--upstream-url-env")
    if not command and upstream is None:
        fail(
            "give the upstream server's command after -- (proctor mcp-proxy -- CMD ...) "
            "or its --upstream URL",
            EXIT_USAGE,
        )
    if listen is not None and upstream is None:
        fail("--listen serves an upstream over HTTP: give its --upstream URL", EXIT_USAGE)
    if forward_authorization and listen is None:
        fail("--forward-authorization needs --listen (over stdio there is none)", EXIT_USAGE)
    if not token:
        fail("the proxy acts for one agent: give its task token (--token or PROCTOR_TOKEN)")
    from proctor.integrations.mcp import (
        HttpListen,
        HttpUpstream,
        LocalBackend,
        ProxySettings,
        RemoteBackend,
        parse_listen,
        parse_unannotated,
    )

    name = server or (server_name_for_url(upstream) if upstream else server_name_for(command or []))
    try:
        http = None
        if upstream is not None:
            http = HttpUpstream(
                upstream,
                forward_authorization=forward_authorization,
                authorization=_upstream_credential(upstream_auth_env),
            )
        settings = ProxySettings(
            server=name,
            command=command or (),
            upstream=http,
            unannotated=parse_unannotated(unannotated),
            approval_wait=approval_wait,
            record_after_answer=record_after_answer,
        )
        listening = None
        if listen is not None:
            host, port = parse_listen(listen)
            listening = HttpListen(
                host=host,
                port=port,
                allow_remote=allow_remote_listen,
                allowed_origins=tuple(allow_origin or ()),
                allowed_hosts=tuple(allow_host or ()),
            )
    except ProctorError as exc:
        fail(exc.message, EXIT_USAGE)
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="proctor: %(message)s")
    if gateway_url is not None:
        if not key:
            fail(
                "--gateway needs an admin or admin-role personal key (--key or "
                "PROCTOR_API_KEY) to register the server's tools"
            )
        with Client(gateway_url, key) as client:
            try:
                status = _run(RemoteBackend(client), token, agent, settings, listening)
            except ProctorError as exc:
                fail(f"{exc.message} [{exc.code}]")
            raise typer.Exit(status)
    with open_gateway(data_dir) as gateway:
        raise typer.Exit(_run(LocalBackend(gateway), token, agent, settings, listening))


def _upstream_credential(variable: str | None) -> str | None:
    if variable is None:
        return None
    return _from_environment(variable, "--upstream-auth-env")


def _from_environment(variable: str, option: str) -> str:
    value = os.environ.get(variable, "").strip()
    if not value:
        fail(f"{option} {variable}: that variable is not set", EXIT_USAGE)
    return value


def _run(
    backend: Backend,
    token: str,
    agent: str | None,
    settings: ProxySettings,
    listening: HttpListen | None = None,
) -> int:
    from proctor.integrations.mcp import RelayEnd, serve_http, serve_stdio

    try:
        holder = backend.visibility(token, [])
    except ProctorError as exc:
        fail(f"the task token cannot be used: {exc.message} [{exc.code}]")
    if agent is not None and agent != holder.agent_id:
        fail(
            f"--agent {agent} does not match the task token, which is agent "
            f"{holder.agent_id}'s; refusing to start"
        )
    errors.print(
        f"proctor mcp-proxy: agent {holder.agent_id}, task {holder.task_id}; tools of "
        f"{settings.server} are '{settings.server}.<tool>' in the inventory",
        highlight=False,
    )
    if listening is not None:
        try:
            anyio.run(serve_http, backend, token, settings, listening)
        except ProctorError as exc:
            fail(exc.message)
        except KeyboardInterrupt:
            pass
        return 0
    try:
        end = anyio.run(serve_stdio, backend, token, settings)
    except ProctorError as exc:
        fail(exc.message)
    if end is RelayEnd.UPSTREAM_CLOSED:
        errors.print(
            f"proctor mcp-proxy: the upstream server {settings.server} exited; "
            "its pending requests were answered with an error",
            highlight=False,
        )
        return EXIT_ERROR
    return 0


@mcp_app.command("tools")
def list_tools(
    server: Annotated[str | None, typer.Argument(help="Only this server's tools.")] = None,
    data_dir: DataDir = None,
    json_output: JsonOutput = False,
) -> None:
    """Pinned MCP tools, and those whose definition changed (held until accepted)."""
    with open_gateway(data_dir) as gateway:
        pins = _catalog(gateway).pins.list(server)
        reviews = {
            pin.inventory_name: tool.review
            for pin in pins
            if (tool := gateway.runtime.inventory.snapshot.tools.get(pin.inventory_name))
        }
    if json_output:
        print_json([pin.to_dict() | {"review": reviews.get(pin.inventory_name)} for pin in pins])
        return
    table = Table(title="MCP tools", title_justify="left")
    for column in ("server", "tool", "inventory name", "pin", "accepted by", "state"):
        table.add_column(column)
    for pin in pins:
        if pin.changed:
            state = Text("changed: held until accepted", style="red")
        elif reviews.get(pin.inventory_name):
            state = Text("under review", style="yellow")
        else:
            state = Text("accepted", style="green")
        table.add_row(
            Text(pin.server),
            Text(pin.tool),
            Text(pin.inventory_name),
            Text(pin.pin[:12]),
            Text(pin.accepted_by),
            state,
        )
    console.print(table)


@mcp_app.command("accept")
def accept(
    server: Annotated[str, typer.Argument(help="The server's name (--server of its proxy).")],
    tool: Annotated[str, typer.Argument(help="The tool's name as the server lists it.")],
    reason: Annotated[str, typer.Option(help="Why you accept it (recorded).")],
    data_dir: DataDir = None,
) -> None:
    """Accept a changed (or unannotated) MCP tool: pin what the server lists now and
    lift the hold on its calls. Audited as mcp.tool_accepted."""
    with open_gateway(data_dir) as gateway:
        pin = _catalog(gateway).accept(server, tool, actor="cli", reason=reason)
    console.print(f"accepted {pin.inventory_name} (pin {pin.pin[:12]})", highlight=False)


def _catalog(gateway: Gateway) -> McpCatalog:
    from proctor.integrations.mcp import McpCatalog

    return McpCatalog(Admin(gateway))
