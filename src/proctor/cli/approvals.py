"""``proctor approvals``: see held calls and answer them as yourself.

Listing and showing read the data directory (as every local command does); approving
and denying need the deciding person's own API key (``--key`` or
``PROCTOR_API_KEY``), because the audit log must say which person decided.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from proctor.approvals import ApprovalRequest, ApprovalScope, ApprovalStatus, request_record
from proctor.cli._common import DataDir, JsonOutput, console, fail, open_gateway, print_json
from proctor.gateway import Gateway
from proctor.people import PERSON_KEY_PREFIX, Person

approvals_app = typer.Typer(
    help="Calls held for a person's approval: list, show, approve, deny.", no_args_is_help=True
)

Reason = Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log).")]
Key = Annotated[
    str,
    typer.Option(
        "--key",
        envvar="PROCTOR_API_KEY",
        help="Your personal API key (ppk_…), or set PROCTOR_API_KEY.",
        show_default=False,
    ),
]
_STYLE = {
    "pending": "yellow",
    "approved": "green",
    "used": "green",
    "denied": "red",
    "expired": "red",
}


@approvals_app.command("list")
def list_approvals(
    status: Annotated[
        ApprovalStatus | None, typer.Option(help="Only this status, e.g. pending.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    data_dir: DataDir = None,
    json_output: JsonOutput = False,
) -> None:
    """Approval requests, newest first."""
    with open_gateway(data_dir) as gateway:
        found = gateway.runtime.approvals.list(status=status, limit=limit)
    if json_output:
        print_json([request_record(request) for request in found])
        return
    if not found:
        console.print("no approval requests" + (f" with status {status.value}" if status else ""))
        return
    table = Table("status", "agent", "requester", "tool", "waiting for", "expires")
    # Ids are what people copy into the next command: never wrapped.
    table.add_column("id", no_wrap=True)
    for request in found:
        style = _STYLE[request.status.value]
        table.add_row(
            f"[{style}]{request.status.value}[/]",
            escape(request.agent_id),
            escape(request.requester),
            escape(request.tool),
            escape(", ".join(request.waiting_for) or "-"),
            f"{request.expires_at:%Y-%m-%d %H:%M}",
            request.id,
        )
    console.print(table)


@approvals_app.command("show")
def show(approval_id: str, data_dir: DataDir = None, json_output: JsonOutput = False) -> None:
    """One request in full: the call, its task and chain, why it was held, who may answer."""
    with open_gateway(data_dir) as gateway:
        request = gateway.runtime.approvals.get(approval_id)
    if json_output:
        print_json(request_record(request))
        return
    _print_request(request)


@approvals_app.command("approve")
def approve(
    approval_id: str,
    reason: Reason = "",
    key: Key = "",
    for_task: Annotated[
        bool,
        typer.Option(
            "--for-task",
            help="Widen: allow this tool for this agent for the rest of the task "
            "(recorded as such). Default: this exact call, once.",
        ),
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Approve as yourself (signs every rule of the request you may answer)."""
    scope = ApprovalScope.TASK_TOOL if for_task else ApprovalScope.CALL
    with open_gateway(data_dir) as gateway:
        person = _person(gateway, key)
        request = gateway.runtime.approvals.approve(approval_id, person, reason, scope=scope)
    if request.status is ApprovalStatus.APPROVED:
        widened = " (for the rest of the task)" if for_task else ""
        console.print(f"[green]approved[/green] {request.id}{widened}", highlight=False)
    else:
        waiting = ", ".join(request.waiting_for)
        console.print(f"signed {request.id}; it still waits for {waiting}", highlight=False)


@approvals_app.command("deny")
def deny(approval_id: str, reason: Reason = "", key: Key = "", data_dir: DataDir = None) -> None:
    """Deny as yourself: the held call will not run."""
    with open_gateway(data_dir) as gateway:
        person = _person(gateway, key)
        request = gateway.runtime.approvals.deny(approval_id, person, reason)
    console.print(f"[red]denied[/red] {request.id}", highlight=False)


def _person(gateway: Gateway, key: str) -> Person:
    if not key:
        fail("approving and denying need your personal API key: --key or PROCTOR_API_KEY")
    if not key.startswith(PERSON_KEY_PREFIX):
        fail(
            "that is not a personal key (ppk_…): approvals are decided by a person, so the "
            "log can say who"
        )
    person, _ = gateway.runtime.people.authenticate(key)
    return person


def _print_request(request: ApprovalRequest) -> None:
    style = _STYLE[request.status.value]
    console.print(
        f"[bold]{request.id}[/bold] [{style}]{request.status.value}[/] "
        f"(decision {request.decision_id}, risk {request.risk})",
        highlight=False,
    )
    rows: list[tuple[str, Any]] = [
        ("chain", " → ".join(request.chain)),
        ("task", f"{request.task_id}: {request.purpose}"),
        ("tool", request.tool),
        ("resource", request.resource or "-"),
        ("expires", f"{request.expires_at:%Y-%m-%d %H:%M:%S} UTC"),
    ]
    for name, value in rows:
        console.print(f"  {name:9} {escape(str(value))}", highlight=False)
    console.print("  held by:", highlight=False)
    for reason in request.reasons:
        console.print(f"    - {escape(str(reason.get('text', '')))}", highlight=False)
    console.print("  approvers:", highlight=False)
    signed = {signoff.rule: signoff for signoff in request.signoffs}
    for rule, named in request.approvers.items():
        who = f"{rule} ({named})" if named else rule
        done = signed.get(rule)
        state = f"signed by {done.by}: {done.reason}" if done else "waiting"
        console.print(f"    - {escape(who)}: {escape(state)}", highlight=False)
    if request.decided_by:
        said = f"  {request.status.value} by {request.decided_by}: {request.decision_reason}"
        console.print(escape(said), highlight=False)
    arguments = json.dumps(dict(request.arguments), indent=2, ensure_ascii=False, sort_keys=True)
    console.print("  arguments:", highlight=False)
    console.print(escape(arguments), highlight=False)
