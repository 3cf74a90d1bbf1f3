"""``proctor keys list|rotate``: the keys that sign agent credentials."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from proctor.admin import Admin
from proctor.cli._common import DataDir, JsonOutput, console, open_gateway, print_json

keys_app = typer.Typer(help="Keys that sign agent credentials.", no_args_is_help=True)


@keys_app.command("list")
def list_keys(data_dir: DataDir = None, json_output: JsonOutput = False) -> None:
    """The signing key and the retired keys that still verify."""
    with open_gateway(data_dir) as gateway:
        keys = gateway.runtime.signing_keys
        keys.current()
        listed = keys.verification_keys()
    if json_output:
        print_json(
            [
                {
                    "kid": key.kid,
                    "created_at": key.created_at.isoformat(),
                    "signs": key.retired_at is None,
                    "verifies_until": key.not_after.isoformat() if key.not_after else None,
                }
                for key in listed
            ]
        )
        return
    table = Table(title="Signing keys", title_justify="left")
    for column in ("kid", "created", "signs", "verifies until"):
        table.add_column(column)
    for key in listed:
        until = key.not_after.isoformat() if key.not_after else "-"
        signs = "yes" if key.retired_at is None else "no"
        table.add_row(key.kid, key.created_at.isoformat(), signs, until)
    console.print(table)


@keys_app.command("rotate")
def rotate(
    overlap_hours: Annotated[
        float, typer.Option(help="How long the old key still verifies (0 if compromised).")
    ] = 24.0,
    data_dir: DataDir = None,
) -> None:
    """Start signing with a new key; tokens signed by the old one verify until the overlap ends."""
    with open_gateway(data_dir) as gateway:
        key = Admin(gateway).rotate_signing_key(overlap=timedelta(hours=overlap_hours), actor="cli")
    console.print(
        f"new signing key {key.kid}; the previous key verifies for {overlap_hours} h",
        highlight=False,
    )
