"""JSON shapes only the admin API uses: policies, manifests and the audit log.

The shapes the SDK shares with the server live in :mod:`proctor.wire`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, model_validator

from proctor.wire import (
    AccessRuleIn,
    AgentIn,
    GroupIn,
    HumanIn,
    Name,
    PolicyText,
    ResourceIn,
    ToolIn,
    WireIn,
    WireOut,
)


class PolicyOut(WireOut):
    """A loaded policy as an admin sees it."""

    id: str
    effect: str
    source: str
    line: int
    annotations: dict[str, str]
    text: str


class DiagnosticOut(WireOut):
    """One problem in a policy text; ``line`` and ``column`` count from 1."""

    file: str
    line: int
    column: int
    policy_id: str | None
    message: str


class ValidationOut(WireOut):
    ok: bool
    problems: list[DiagnosticOut]


class ApplyIn(WireIn):
    """A manifest as JSON: the structure of ``proctor.yaml``.

    Policy *files* are not read over the API (the server would open paths a client
    names); send their text in ``policies_inline`` instead. The ``matrix`` is stored
    as the policy ``matrix:<name>``, as ``proctor apply`` names it after its file.
    """

    name: Name = "api"
    humans: list[HumanIn] = Field(default_factory=list)
    groups: list[GroupIn] = Field(default_factory=list)
    access: list[AccessRuleIn] = Field(default_factory=list)
    agents: list[AgentIn] = Field(default_factory=list)
    tools: list[ToolIn] = Field(default_factory=list)
    resources: list[ResourceIn] = Field(default_factory=list)
    matrix: list[dict[str, Any]] = Field(default_factory=list)
    policies_inline: dict[Name, PolicyText] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _no_policy_files(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("policies"):
            raise ValueError(
                "policy files cannot be applied over the API; "
                "send their text in policies_inline: {name: text}"
            )
        if isinstance(data, dict) and "policies" in data:
            data = {key: value for key, value in data.items() if key != "policies"}
        return data


class ApplyItemOut(WireOut):
    kind: str
    name: str
    change: str


class ApplyOut(WireOut):
    """What applying a manifest did, item by item."""

    changed: bool
    items: list[ApplyItemOut]


class AuditEntryOut(WireOut):
    seq: int
    ts: datetime
    kind: str
    body: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPageOut(WireOut):
    """Entries in order; pass ``next_after_seq`` as ``after_seq`` for the next page."""

    entries: list[AuditEntryOut]
    next_after_seq: int


class VerifyOut(WireOut):
    """The result of replaying the hash chain and checking every checkpoint."""

    ok: bool
    entries: int
    checkpoints: int
    first_bad_seq: int | None
    problem: str | None


class HealthOut(WireOut):
    status: str
