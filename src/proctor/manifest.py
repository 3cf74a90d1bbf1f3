"""The declarative file: ``proctor apply -f proctor.yaml``, idempotent, like kubectl apply.

A manifest lists the people and groups of the directory and their access rules,
agents, tools, resources, Cedar policy files, a permission matrix and rate limits. Applying it
upserts each item and reports what changed; applying the same file twice changes
nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from proctor.admin import Admin
from proctor.directory import Human, grants_from, put_access, put_group, put_human
from proctor.errors import InvalidInput
from proctor.inventory import Change
from proctor.monitor import RateLimitRule, parse_rate_limits
from proctor.people import parse_roles
from proctor.policy import InvalidPolicies, argument_types, compile_matrix
from proctor.wire import AccessRuleIn, AgentIn, GroupIn, HumanIn, ResourceIn, ToolIn


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PolicyFileSpec(_Strict):
    file: str


class Manifest(_Strict):
    """The whole file; unknown keys are errors, so a typo never silently does nothing.

    Every entry has the same shape (and limits) as in the HTTP API.
    """

    humans: list[HumanIn] = Field(default_factory=list)
    groups: list[GroupIn] = Field(default_factory=list)
    access: list[AccessRuleIn] = Field(default_factory=list)
    agents: list[AgentIn] = Field(default_factory=list)
    tools: list[ToolIn] = Field(default_factory=list)
    resources: list[ResourceIn] = Field(default_factory=list)
    policies: list[PolicyFileSpec] = Field(default_factory=list)
    matrix: list[dict[str, Any]] = Field(default_factory=list)
    #: Replaces every declared rate limit when present (``[]`` removes them all);
    #: left out, the limits stay as they are.
    rate_limits: list[str | dict[str, Any]] | None = None


@dataclass
class ApplyReport:
    """One line per item: kind, name and what happened to it."""

    items: list[tuple[str, str, Change]] = field(default_factory=list)

    def add(self, kind: str, name: str, change: Change) -> None:
        self.items.append((kind, name, change))

    def count(self, change: Change) -> int:
        return sum(1 for _, _, item_change in self.items if item_change is change)

    @property
    def changed(self) -> bool:
        return any(change is not Change.UNCHANGED for _, _, change in self.items)


@dataclass(frozen=True)
class LoadedManifest:
    manifest: Manifest
    source: Path
    policy_texts: dict[str, str]
    rate_limits: tuple[RateLimitRule, ...] | None = None


def load_manifest(path: Path) -> LoadedManifest:
    """Parse and validate a manifest and read the policy files it names."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise InvalidInput(f"{path}: the top level must be a mapping (agents:, tools:, ...)")
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput(f"{path}: {_describe(exc)}") from exc
    texts: dict[str, str] = {}
    for spec in manifest.policies:
        policy_path = (path.parent / spec.file).resolve()
        try:
            texts[f"file:{spec.file}"] = policy_path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"{path}: policy file {spec.file}: {exc.strerror}") from exc
    if manifest.matrix:
        document = compile_matrix({"matrix": manifest.matrix}, f"{path.name}")
        texts[f"matrix:{path.name}"] = document.text
    limits = None
    if manifest.rate_limits is not None:
        try:
            limits = parse_rate_limits(manifest.rate_limits)
        except InvalidInput as exc:
            raise InvalidInput(f"{path}: {exc.message}", code=exc.code) from None
    return LoadedManifest(manifest=manifest, source=path, policy_texts=texts, rate_limits=limits)


def apply_manifest(admin: Admin, loaded: LoadedManifest, *, actor: str) -> ApplyReport:
    """Upsert everything in the manifest; items it does not mention are left alone.

    Every policy text is validated before anything changes, so a bad policy never
    leaves the inventory half applied.
    """
    catalog = dict(admin.runtime.inventory.snapshot.tools)
    catalog.update({tool.name: tool.to_model() for tool in loaded.manifest.tools})
    arguments = argument_types(catalog.values())
    problems = admin.runtime.policy_store.problems_if_replaced(loaded.policy_texts, arguments)
    if problems:
        raise InvalidPolicies(problems)
    report = ApplyReport()
    manifest = loaded.manifest
    rules = [rule.to_model() for rule in manifest.access]
    for human in manifest.humans:
        spec = Human(human.id, human.name, human.email, parse_roles(human.roles), human.clearance)
        report.add("human", human.id, put_human(admin, spec, actor=actor))
    for group in manifest.groups:
        report.add("group", group.id, put_group(admin, group.to_model(), actor=actor))
    for rule in rules:
        report.add(f"access/{rule.kind.value}", rule.pattern, put_access(admin, rule, actor=actor))
    for agent in manifest.agents:
        report.add("agent", agent.id, admin.put_agent(agent.to_model(), actor=actor))
    for tool in manifest.tools:
        report.add("tool", tool.name, admin.put_tool(tool.to_model(), actor=actor))
    for resource in manifest.resources:
        access = grants_from(resource.access) if resource.access is not None else None
        change = admin.put_resource(resource.to_model(), actor=actor, access=access)
        report.add("resource", resource.id, change)
    for name, text in loaded.policy_texts.items():
        report.add("policy", name, admin.put_policy(name, text, actor=actor))
    if loaded.rate_limits is not None:
        changed = admin.runtime.monitor.declare_rate_limits(loaded.rate_limits, actor=actor)
        count = len(loaded.rate_limits)
        name = f"{count} rule{'' if count == 1 else 's'}"
        report.add("rate_limits", name, Change(changed))
    return report


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        problems.append(f"{where}: {item['msg']}")
    return "; ".join(problems)
