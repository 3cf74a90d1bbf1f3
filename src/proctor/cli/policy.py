"""``proctor policy validate|test|explain|list``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from proctor.cli._common import DataDir, JsonOutput, console, fail, open_gateway, print_json
from proctor.errors import InvalidInput
from proctor.model import CheckRequest
from proctor.policy import PolicyDocument, validate_documents
from proctor.policy_cases import run_cases

policy_app = typer.Typer(help="Validate, test and explain Cedar policies.", no_args_is_help=True)


@policy_app.command("validate")
def validate(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="Cedar policy files (.cedar); none: the data directory's policies."),
    ] = None,
    data_dir: DataDir = None,
    json_output: JsonOutput = False,
) -> None:
    """Check policies against the Proctor schema; errors name file, line and column."""
    documents = []
    for path in files or []:
        try:
            documents.append(PolicyDocument(name=str(path), text=path.read_text(encoding="utf-8")))
        except OSError as exc:
            fail(f"cannot read {path}: {exc.strerror}")
    if not files:
        with open_gateway(data_dir) as gateway:
            documents = gateway.runtime.policy_store.documents()
    diagnostics = validate_documents(documents)
    if json_output:
        print_json(
            [
                {
                    "file": d.file,
                    "line": d.line,
                    "column": d.column,
                    "policy_id": d.policy_id,
                    "message": d.message,
                }
                for d in diagnostics
            ]
        )
    else:
        for d in diagnostics:
            console.print(
                f"{d.file}:{d.line}:{d.column}: [red]error[/red] {d.message}", highlight=False
            )
        if not diagnostics:
            console.print(f"{len(documents)} policy document(s) valid")
    if diagnostics:
        raise typer.Exit(1)


@policy_app.command("test")
def run_tests(
    cases: Annotated[Path, typer.Argument(help="A YAML file of cases with expected outcomes.")],
    json_output: JsonOutput = False,
) -> None:
    """Run scripted calls through a scratch gateway and compare outcomes; exit 1 on failure."""
    try:
        results = run_cases(cases)
    except InvalidInput as exc:
        fail(exc.message)
    failed = [result for result in results if not result.passed]
    if json_output:
        print_json(
            [
                {
                    "name": r.case.name,
                    "passed": r.passed,
                    "outcome": r.decision.outcome.value,
                    "code": r.decision.code,
                    "problems": list(r.problems),
                }
                for r in results
            ]
        )
    else:
        table = Table(title=f"policy test: {cases}", title_justify="left")
        for column in ("", "case", "outcome", "reason"):
            table.add_column(column)
        for r in results:
            mark = "[green]PASS[/]" if r.passed else "[red]FAIL[/]"
            detail = "; ".join(r.problems) if r.problems else r.decision.explain()
            table.add_row(mark, r.case.name, r.decision.outcome.value, detail)
        console.print(table)
        console.print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        raise typer.Exit(1)


@policy_app.command("explain")
def explain(
    request_file: Annotated[Path, typer.Argument(help="JSON: agent_id, task_id, tool, ...")],
    data_dir: DataDir = None,
) -> None:
    """Say which policies matched a call and why, without recording a decision."""
    try:
        raw = json.loads(request_file.read_text(encoding="utf-8"))
        request = CheckRequest(
            agent_id=raw["agent_id"],
            task_id=raw["task_id"],
            tool=raw["tool"],
            arguments=raw.get("arguments", {}),
            resource=raw.get("resource"),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        fail(f"{request_file}: expected JSON with agent_id, task_id and tool ({exc})")
    with open_gateway(data_dir) as gateway:
        decision, explanation = gateway.explain(request)
    console.print(f"[bold]{decision.outcome.value}[/bold] ({decision.code}): {decision.explain()}")
    if explanation is not None:
        console.print(explanation.render(), highlight=False)


@policy_app.command("list")
def list_policies(data_dir: DataDir = None, json_output: JsonOutput = False) -> None:
    """List the loaded policies (defaults and stored)."""
    with open_gateway(data_dir) as gateway:
        policies = gateway.runtime.policies.policies()
    if json_output:
        print_json(
            [
                {
                    "id": p.id,
                    "effect": p.effect,
                    "source": p.source,
                    "annotations": dict(p.annotations),
                }
                for p in policies
            ]
        )
        return
    table = Table(title="Policies", title_justify="left")
    for column in ("id", "effect", "source"):
        table.add_column(column)
    for p in policies:
        table.add_row(p.id, str(p.effect), p.source)
    console.print(table)
