"""Value types every module shares: the vocabulary of a decision.

Everything here is an immutable value. Modules own their storage and logic;
they exchange these types.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ActionClass(StrEnum):
    """What a tool does, from a fixed vocabulary; the Cedar action of a call."""

    READ = "read"
    WRITE = "write"
    PUBLISH = "publish"
    MODIFY_PERMISSIONS = "modify_permissions"
    DELETE = "delete"
    EXECUTE = "execute"
    SEND_EXTERNAL = "send_external"
    SPEND = "spend"


#: Action classes whose ungranted use may be lifted by a human rather than denied.
HIGH_RISK_ACTIONS: frozenset[ActionClass] = frozenset(
    {
        ActionClass.PUBLISH,
        ActionClass.MODIFY_PERMISSIONS,
        ActionClass.DELETE,
        ActionClass.SEND_EXTERNAL,
        ActionClass.SPEND,
    }
)

#: The Cedar action used for a tool that is not in the inventory.
UNCLASSIFIED_ACTION = "unclassified"


class Label(StrEnum):
    """Sensitivity of data, ordered from least to most sensitive."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"

    @property
    def rank(self) -> int:
        return _LABEL_ORDER.index(self)


_LABEL_ORDER = list(Label)


class Audience(StrEnum):
    """Who can see what a sink publishes or sends, ordered from narrowest to widest."""

    REQUESTER = "requester"
    TEAM = "team"
    ORGANIZATION = "organization"
    PUBLIC = "public"

    @property
    def rank(self) -> int:
        return _AUDIENCE_ORDER.index(self)


_AUDIENCE_ORDER = list(Audience)


class AgentStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    RETIRED = "retired"


class Outcome(StrEnum):
    """The three answers of a check. Deny overrides approval; approval overrides allow."""

    ALLOW = "allow"
    REQUIRE_APPROVAL = "require_approval"
    DENY = "deny"


class OutcomeStatus(StrEnum):
    """What happened when the caller acted (or did not act) on a decision."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Agent:
    id: str
    name: str
    owner: str
    purpose: str = ""
    status: AgentStatus = AgentStatus.ACTIVE
    groups: tuple[str, ...] = ()
    #: The agent's public JWK (OKP/Ed25519 or EC/P-256), for its signed assertions.
    public_key: Mapping[str, str] | None = field(default=None, hash=False)


@dataclass(frozen=True, slots=True)
class PermissionArguments:
    """Which arguments of a ``modify_permissions`` tool name who gets access and how much."""

    grantee: str
    level: str | None = None


@dataclass(frozen=True, slots=True)
class Tool:
    """A tool in the catalog: what it does (its action class), how sensitive the data it
    touches is, and who sees what it publishes or sends (its sink audience)."""

    name: str
    action_class: ActionClass
    label: Label = Label.INTERNAL
    description: str = ""
    audience: Audience | None = None
    #: MCP tool annotations as declared (``readOnlyHint``, ``destructiveHint``, ...).
    annotations: tuple[tuple[str, bool], ...] = ()
    #: What it returns comes from outside the organization's control (web pages,
    #: inbound e-mail, public issues): it may carry instructions aimed at the agent.
    untrusted_output: bool = False
    #: The arguments that are the call's target (recipient, account, grantee, URL...).
    targets: tuple[str, ...] = ()
    #: For ``modify_permissions`` tools: the grantee and level arguments.
    permission_arguments: PermissionArguments | None = None
    #: When set, every call is held for an admin, with this as the reason (an
    #: unannotated MCP tool, a description that changed since it was pinned...).
    review: str | None = None
    #: Arguments policies may judge, by name and type (``long``, ``string``, ``bool``):
    #: they appear, typed, in ``context.args``.
    policy_arguments: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Resource:
    id: str
    owner: str
    label: Label = Label.INTERNAL
    description: str = ""


@dataclass(frozen=True, slots=True)
class Deliverable:
    """What the task is meant to produce, and the widest audience it may reach."""

    description: str
    audience: Audience


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a task grants: action classes and/or tool-name patterns (fnmatch style),
    and optionally the resources it may touch (resource-id patterns).

    Empty actions and tools mean nothing is granted, never everything. ``resources``
    None means the task is not limited to particular resources; a tuple (even empty)
    limits every call that names a resource to those matching one of its patterns.
    """

    actions: frozenset[ActionClass] = frozenset()
    tools: tuple[str, ...] = ()
    resources: tuple[str, ...] | None = None

    def grants_action(self, action: ActionClass) -> bool:
        return action in self.actions

    def grants_tool(self, tool_name: str) -> bool:
        return any(fnmatch.fnmatchcase(tool_name, pattern) for pattern in self.tools)

    def grants_tool_by_name(self, tool_name: str) -> bool:
        return tool_name in self.tools

    def grants_resource(self, resource_id: str | None) -> bool:
        """Whether a call on ``resource_id`` stays within the task's resources (a call
        naming no resource does; so does any call of a task not limited to some)."""
        if self.resources is None or resource_id is None:
            return True
        return any(fnmatch.fnmatchcase(resource_id, pattern) for pattern in self.resources)

    def describe(self) -> str:
        parts = sorted(a.value for a in self.actions) + list(self.tools)
        granted = ", ".join(parts) if parts else "nothing"
        if self.resources is not None:
            on = ", ".join(self.resources) or "no resource"
            granted += f" on {on}"
        return granted


@dataclass(frozen=True, slots=True)
class Task:
    id: str
    agent_id: str
    requester: str
    purpose: str
    capabilities: Capabilities
    created_at: datetime
    expires_at: datetime
    deliverable: Deliverable | None = None
    created_by: str = ""

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call an agent wants to make; who makes it is said by its credential."""

    tool: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    resource: str | None = None


@dataclass(frozen=True, slots=True)
class CheckRequest:
    """A tool call attributed to an agent and a task.

    A check builds one from a verified credential; ``explain`` and policy tests
    name the agent and task directly, to ask "what would happen if".
    """

    agent_id: str
    task_id: str
    tool: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    resource: str | None = None


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a decision came out as it did, tied to the policy that said so."""

    policy_id: str
    text: str
    effect: Outcome
    approver: str | None = None


@dataclass(frozen=True, slots=True)
class Obligation:
    """Something the caller must do when acting on an allowed call."""

    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    id: str
    outcome: Outcome
    code: str
    reasons: tuple[Reason, ...]
    obligations: tuple[Obligation, ...] = ()
    risk: int = 0
    request: CheckRequest | None = None
    decided_at: datetime | None = None
    audit_seq: int | None = None
    #: Who acted, as people read it: requester → agent → each sub-agent (when known).
    chain: tuple[str, ...] = ()
    #: The approval request a held call opened (or the approval that let it through).
    approval_id: str | None = None
    #: Who approved the call, when people let it through.
    reviewed_by: tuple[str, ...] = ()
    #: Rate limited: whole seconds until the call may be made again.
    retry_after_s: int | None = None

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOW

    def explain(self) -> str:
        """The reasons in one line a person can act on."""
        return "; ".join(reason.text for reason in self.reasons) or self.outcome.value
