"""Policy test cases: scripted calls with expected outcomes, run through a real gateway.

``proctor policy test cases.yaml`` works like ``opa test``: it builds a scratch
gateway from the manifest the case file names (inventory, policy files, matrix),
creates the tasks it declares, checks every case and reports which outcomes differ.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from proctor.admin import Admin
from proctor.errors import InvalidInput, ProctorError
from proctor.gateway import Gateway
from proctor.manifest import apply_manifest, load_manifest
from proctor.model import (
    ActionClass,
    Audience,
    Capabilities,
    CheckRequest,
    Decision,
    Deliverable,
    Outcome,
    Reason,
    ToolCall,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeliverableSpec(_Strict):
    description: str = ""
    audience: Audience


class TaskSpec(_Strict):
    agent: str
    requester: str
    purpose: str
    actions: list[ActionClass] = Field(default_factory=list)
    tools: list[str] = Field(default_factory=list)
    resources: list[str] | None = None
    deliverable: DeliverableSpec | None = None


class CaseSpec(_Strict):
    name: str
    task: str
    tool: str
    resource: str | None = None
    arguments: dict[str, Any] = Field(default_factory=dict)
    #: Another agent making the call: the task's token is handed to it by token exchange.
    agent: str | None = None
    expect: Outcome
    expect_code: str | None = None
    expect_reason: str | None = Field(default=None, description="text a reason must contain")


class CaseFile(_Strict):
    manifest: str
    tasks: dict[str, TaskSpec]
    cases: list[CaseSpec] = Field(min_length=1)


@dataclass(frozen=True)
class CaseResult:
    case: CaseSpec
    decision: Decision
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.problems


def load_case_file(path: Path) -> CaseFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return CaseFile.model_validate(raw)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        raise InvalidInput(f"{path}: {exc.error_count()} problem(s): {exc}") from exc


def run_cases(path: Path) -> list[CaseResult]:
    """Run every case of the file at ``path`` in a scratch data directory."""
    case_file = load_case_file(path)
    loaded = load_manifest((path.parent / case_file.manifest).resolve())
    with tempfile.TemporaryDirectory(prefix="proctor-policy-test-") as scratch:
        gateway = Gateway.open(Path(scratch))
        try:
            admin = Admin(gateway)
            apply_manifest(admin, loaded, actor="policy-test")
            task_ids = {name: _create_task(admin, spec) for name, spec in case_file.tasks.items()}
            return [_run_case(gateway, case, task_ids, case_file) for case in case_file.cases]
        finally:
            gateway.close()


def _create_task(admin: Admin, spec: TaskSpec) -> str:
    deliverable = (
        Deliverable(spec.deliverable.description, spec.deliverable.audience)
        if spec.deliverable
        else None
    )
    task = admin.create_task(
        agent_id=spec.agent,
        requester=spec.requester,
        purpose=spec.purpose,
        capabilities=Capabilities(
            actions=frozenset(spec.actions),
            tools=tuple(spec.tools),
            resources=tuple(spec.resources) if spec.resources is not None else None,
        ),
        deliverable=deliverable,
        ttl=timedelta(minutes=10),
        actor="policy-test",
    )
    return task.id


def _token_for(gateway: Gateway, case: CaseSpec, task_id: str, case_file: CaseFile) -> str:
    """The task's token; handed on by token exchange when the case names another agent."""
    root = Admin(gateway).issue_task_token(task_id, actor="policy-test").token
    task_agent = case_file.tasks[case.task].agent
    if not case.agent or case.agent == task_agent:
        return root
    return gateway.runtime.tokens.exchange(root, to_agent_id=case.agent).token


def _run_case(
    gateway: Gateway, case: CaseSpec, task_ids: dict[str, str], case_file: CaseFile
) -> CaseResult:
    if case.task not in task_ids:
        raise InvalidInput(f"case {case.name!r} names unknown task {case.task!r}")
    call = ToolCall(tool=case.tool, arguments=case.arguments, resource=case.resource)
    try:
        token = _token_for(gateway, case, task_ids[case.task], case_file)
    except ProctorError as exc:
        request = CheckRequest(case.agent or "", task_ids[case.task], case.tool, case.arguments)
        decision = Decision(
            id="not-checked",
            outcome=Outcome.DENY,
            code=exc.code,
            reasons=(Reason(exc.code, exc.message, Outcome.DENY),),
            request=request,
        )
    else:
        decision = gateway.check(token, call)
    problems = []
    if decision.outcome is not case.expect:
        problems.append(f"expected {case.expect.value}, got {decision.outcome.value}")
    if case.expect_code and decision.code != case.expect_code:
        problems.append(f"expected code {case.expect_code}, got {decision.code}")
    if case.expect_reason and not any(case.expect_reason in r.text for r in decision.reasons):
        problems.append(f"no reason contains {case.expect_reason!r}")
    return CaseResult(case=case, decision=decision, problems=tuple(problems))


__all__ = ["CaseFile", "CaseResult", "load_case_file", "run_cases"]
