"""``proctor audit verify|tail|export``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from proctor.cli._common import DataDir, JsonOutput, console, fail, open_gateway, print_json

audit_app = typer.Typer(help="Read and verify the tamper-evident audit log.", no_args_is_help=True)


@audit_app.command("verify")
def verify(data_dir: DataDir = None, json_output: JsonOutput = False) -> None:
    """Check the hash chain and the signed checkpoints; exit 1 naming the first bad entry."""
    with open_gateway(data_dir) as gateway:
        report = gateway.runtime.audit.verify()
    if json_output:
        print_json(
            {
                "ok": report.ok,
                "entries": report.entries,
                "checkpoints": report.checkpoints,
                "first_bad_seq": report.first_bad_seq,
                "problem": report.problem,
            }
        )
    elif report.ok:
        console.print(
            f"audit verify: OK ({report.entries} entries, {report.checkpoints} signed checkpoints)"
        )
    else:
        console.print(
            f"audit verify: [red]FAILED[/red] at entry {report.first_bad_seq}: {report.problem}",
            highlight=False,
        )
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("tail")
def tail(
    lines: Annotated[int, typer.Option("-n", "--lines", min=1, max=10_000)] = 20,
    data_dir: DataDir = None,
    json_output: JsonOutput = False,
) -> None:
    """Show the newest entries."""
    with open_gateway(data_dir) as gateway:
        entries = gateway.runtime.audit.tail(lines)
    if json_output:
        print_json(
            [
                {"seq": e.seq, "ts": e.ts, "kind": e.kind, "body": e.body, "hash": e.hash}
                for e in entries
            ]
        )
        return
    for e in entries:
        body = e.body
        summary = body.get("outcome") or body.get("status") or body.get("action") or ""
        subject = body.get("tool") or body.get("target") or ""
        console.print(f"{e.seq:>7} {e.ts} {e.kind:<9} {subject} {summary}", highlight=False)


@audit_app.command("export")
def export(
    export_format: Annotated[str, typer.Option("--format", help="Only jsonl for now.")] = "jsonl",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File; default stdout.")
    ] = None,
    after_seq: Annotated[int, typer.Option(help="Only entries after this sequence number.")] = 0,
    data_dir: DataDir = None,
) -> None:
    """Export entries, one JSON object per line, hashes included."""
    if export_format != "jsonl":
        fail(f"unsupported format {export_format!r}: use jsonl")
    with open_gateway(data_dir) as gateway:
        if output is None:
            count = gateway.runtime.audit.export_jsonl(sys.stdout, after_seq=after_seq)
        else:
            with output.open("w", encoding="utf-8") as stream:
                count = gateway.runtime.audit.export_jsonl(stream, after_seq=after_seq)
            console.print(f"exported {count} entries to {output}", highlight=False)
