"""``proctor directory``: the people agents work for, their groups and access."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from proctor.admin import Admin
from proctor.cli._common import DataDir, JsonOutput, console, fail, open_gateway, print_json
from proctor.directory import export_scim, import_scim
from proctor.inventory import Change
from proctor.wire import AccessRuleIn, GroupIn

directory_app = typer.Typer(
    help="The directory: groups, access rules, SCIM import and export, and what a person may do.",
    no_args_is_help=True,
)
_ACTOR = "cli"


@directory_app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(help="A SCIM 2.0 export (JSON).", exists=True)],
    data_dir: DataDir = None,
    json_output: JsonOutput = False,
) -> None:
    """Load Users and Groups from a SCIM export; nothing changes if any part is invalid."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        fail(f"{path}: not a readable JSON file: {exc}")
    with open_gateway(data_dir) as gateway:
        report = import_scim(Admin(gateway), document, actor=_ACTOR)
    if json_output:
        print_json(
            {
                "people": {k: v.value for k, v in report.people.items()},
                "groups": {k: v.value for k, v in report.groups.items()},
                "disabled": report.disabled,
            }
        )
        return
    for kind, items in (("person", report.people), ("group", report.groups)):
        for name, change in items.items():
            if change is not Change.UNCHANGED:
                console.print(f"{kind}/{escape(name)} {change.value}", highlight=False)
    for name in report.disabled:
        console.print(f"person/{escape(name)} disabled (inactive in the export)", highlight=False)
    counts = ", ".join(f"{report.count(c)} {c.value}" for c in Change)
    console.print(counts, highlight=False)


@directory_app.command("export")
def export_file(
    output: Annotated[Path | None, typer.Option("-o", help="Write here instead.")] = None,
    data_dir: DataDir = None,
) -> None:
    """The directory as a SCIM ListResponse (what ``import`` reads back)."""
    with open_gateway(data_dir) as gateway:
        document = export_scim(Admin(gateway))
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        print(text, end="")
    else:
        output.write_text(text, encoding="utf-8")


@directory_app.command("groups")
def groups(data_dir: DataDir = None, json_output: JsonOutput = False) -> None:
    """Every group with its direct members."""
    with open_gateway(data_dir) as gateway:
        found = gateway.runtime.directory.store.groups()
    if json_output:
        print_json([GroupIn.from_model(group).model_dump(mode="json") for group in found])
        return
    table = Table("id", "name", "people", "groups", "clearance")
    for group in found:
        clearance = group.clearance.value if group.clearance else "-"
        people = ", ".join(group.people) or "-"
        table.add_row(group.id, group.name, people, ", ".join(group.groups) or "-", clearance)
    console.print(table)


@directory_app.command("access")
def access(data_dir: DataDir = None, json_output: JsonOutput = False) -> None:
    """Every access rule: who may read, write or administer which resources and tools."""
    with open_gateway(data_dir) as gateway:
        rules = gateway.runtime.directory.store.rules()
    if json_output:
        print_json([AccessRuleIn.from_model(rule).model_dump(mode="json") for rule in rules])
        return
    table = Table("kind", "pattern", "grants")
    for rule in rules:
        grants = ", ".join(f"{g.subject}: {g.level.value}" for g in rule.grants)
        table.add_row(rule.kind.value, rule.pattern, grants)
    console.print(table)


@directory_app.command("explain")
def explain(
    person: Annotated[str, typer.Option(help="The person (or group:<team>) to ask about.")],
    tool: Annotated[str, typer.Option(help="The tool the call uses.")],
    resource: Annotated[str | None, typer.Option(help="The resource it touches.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Whether an agent working for PERSON could make this call, and if not, why.

    Exit 0 when the person could, 4 when not."""
    with open_gateway(data_dir) as gateway:
        snapshot = gateway.runtime.inventory.snapshot
        known = snapshot.tools.get(tool)
        if known is None:
            fail(f"tool {tool!r} is not in the inventory")
        label = snapshot.data_label(known, resource)
        entry = snapshot.resource(resource) if resource else None
        bound = gateway.runtime.directory.index.bound(
            (person,), known.action_class, label, resource, tool, entry.owner if entry else None
        )
    if bound.cleared and bound.permitted:
        console.print(
            f"[green]yes[/green]: {escape(person)} may {known.action_class.value} via "
            f"{escape(tool)} ({bound.needs.value} access, {label.value} data)",
            highlight=False,
        )
        return
    console.print(f"[red]no[/red]: {escape(bound.why)}", highlight=False)
    raise typer.Exit(4)
