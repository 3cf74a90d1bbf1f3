"""Policies and manifests over HTTP: list, put, remove, validate, apply."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, status
from fastapi import Path as PathParameter

from proctor.manifest import LoadedManifest, Manifest, apply_manifest
from proctor.policy import (
    Diagnostic,
    InvalidPolicies,
    compile_matrix,
)
from proctor.runtime import Runtime
from proctor.server._context import Actor, Context, require_admin
from proctor.server._errors import ERROR_RESPONSES
from proctor.server._schemas import (
    ApplyIn,
    ApplyItemOut,
    ApplyOut,
    DiagnosticOut,
    PolicyOut,
    ValidationOut,
)
from proctor.wire import PolicyIn, PolicyTextIn

#: A stored policy's name, in the URL; names may contain "/" (``file:policies/x.cedar``).
PolicyName = Annotated[str, PathParameter(min_length=1, max_length=200)]

router = APIRouter(
    prefix="/v1", tags=["policies"], dependencies=[require_admin], responses=ERROR_RESPONSES
)


@router.get("/policies")
def list_policies(context: Context) -> list[PolicyOut]:
    """Every policy in force (the shipped defaults first), as the engine loaded it."""
    return [
        PolicyOut(
            id=info.id,
            effect=info.effect,
            source=info.source,
            line=info.line,
            annotations=dict(info.annotations),
            text=info.text,
        )
        for info in context.runtime.policies.policies()
    ]


@router.post("/policies/validate")
def validate_policy(body: PolicyIn, context: Context) -> ValidationOut:
    """Would this text be accepted under this name? Nothing is stored."""
    problems = _problems(context.runtime, {body.name: body.text})
    return ValidationOut(ok=not problems, problems=[_diagnostic_out(p) for p in problems])


@router.put("/policies/{name:path}")
def put_policy(
    name: PolicyName, body: PolicyTextIn, context: Context, actor: Actor
) -> ApplyItemOut:
    """Store policy text under ``name``, replacing an earlier text of that name.

    Invalid text is refused with 422 ``policy_invalid`` and changes nothing.
    """
    _refuse_invalid(context.runtime, {name: body.text})
    change = context.admin.put_policy(name, body.text, actor=actor)
    return ApplyItemOut(kind="policy", name=name, change=change.value)


@router.delete("/policies/{name:path}", status_code=status.HTTP_204_NO_CONTENT)
def remove_policy(name: PolicyName, context: Context, actor: Actor) -> None:
    """Remove the stored policy text of that name (the defaults cannot be removed)."""
    context.admin.remove_policy(name, actor=actor)


@router.post("/apply")
def apply(body: ApplyIn, context: Context, actor: Actor) -> ApplyOut:
    """Upsert the people, groups, access rules, agents, tools, resources and policies of a
    manifest; report each change.

    Idempotent: applying the same manifest twice changes nothing the second time.
    Every policy text is validated before anything is changed.
    """
    texts = dict(body.policies_inline)
    if body.matrix:
        texts[f"matrix:{body.name}"] = compile_matrix({"matrix": body.matrix}, body.name).text
    manifest = Manifest.model_validate(
        body.model_dump(
            mode="json",
            include={"humans", "groups", "access", "agents", "tools", "resources", "matrix"},
            exclude_unset=True,
        )
    )
    loaded = LoadedManifest(manifest=manifest, source=Path(body.name), policy_texts=texts)
    report = apply_manifest(context.admin, loaded, actor=actor)
    items = [ApplyItemOut(kind=kind, name=name, change=c.value) for kind, name, c in report.items]
    return ApplyOut(changed=report.changed, items=items)


def _problems(runtime: Runtime, texts: dict[str, str]) -> list[Diagnostic]:
    return runtime.policy_store.problems_if_replaced(texts)


def _refuse_invalid(runtime: Runtime, texts: dict[str, str]) -> None:
    # Checked before any change, so an apply never stops half way.
    problems = _problems(runtime, texts)
    if problems:
        raise InvalidPolicies(problems)


def _diagnostic_out(problem: Diagnostic) -> DiagnosticOut:
    return DiagnosticOut(
        file=problem.file,
        line=problem.line,
        column=problem.column,
        policy_id=problem.policy_id,
        message=problem.message,
    )
