"""The JSON shapes of the HTTP API, shared by the server and the SDK client.

Inputs refuse unknown fields (a typo is an error, never silently ignored) and bound
every string; outputs ignore unknown fields, so an older client keeps working
against a newer gateway. The converters translate to and from the value types in
:mod:`proctor.model`.

The shapes of one call (check, decision, outcome, the approval request a held call waits
on, visibility) and the bases are defined in :mod:`proctor._wire_calls` and re-exported
here: a client that only checks calls imports that module alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Generic, TypeVar

from pydantic import ConfigDict, Field, StringConstraints

from proctor._wire_calls import ApprovalOut as ApprovalOut
from proctor._wire_calls import CheckIn as CheckIn
from proctor._wire_calls import DecisionOut as DecisionOut
from proctor._wire_calls import ErrorOut as ErrorOut
from proctor._wire_calls import ExplainIn as ExplainIn
from proctor._wire_calls import ExplainOut as ExplainOut
from proctor._wire_calls import Id as Id
from proctor._wire_calls import Name as Name
from proctor._wire_calls import ObligationOut as ObligationOut
from proctor._wire_calls import OutcomeIn as OutcomeIn
from proctor._wire_calls import OutcomeOut as OutcomeOut
from proctor._wire_calls import ReasonOut as ReasonOut
from proctor._wire_calls import SignoffOut as SignoffOut
from proctor._wire_calls import Text as Text
from proctor._wire_calls import ToolName as ToolName
from proctor._wire_calls import VisibilityIn as VisibilityIn
from proctor._wire_calls import VisibilityOut as VisibilityOut
from proctor._wire_calls import WireIn as WireIn
from proctor._wire_calls import WireOut as WireOut
from proctor._wire_calls import check_from_wire as check_from_wire
from proctor._wire_calls import check_to_wire as check_to_wire
from proctor._wire_calls import decision_from_wire as decision_from_wire
from proctor._wire_calls import decision_to_wire as decision_to_wire
from proctor._wire_calls import explain_from_wire as explain_from_wire
from proctor.approvals import ApprovalScope
from proctor.directory import (
    AccessLevel,
    AccessRule,
    Group,
    TargetKind,
    check_pattern,
    grants_from,
)
from proctor.errors import InvalidInput
from proctor.identity import IssuedToken
from proctor.inventory import (
    action_class_from_annotations,
    check_annotations,
    check_policy_arguments,
    untrusted_from_annotations,
)
from proctor.model import (
    ActionClass,
    Agent,
    AgentStatus,
    Audience,
    Capabilities,
    Deliverable,
    Label,
    PermissionArguments,
    Resource,
    Task,
    Tool,
)
from proctor.monitor import (
    Alert,
    AlertKind,
    BreakerState,
    BreakerStatus,
    RateLimitRule,
    Scope,
    Severity,
    TripAction,
    format_rate_limit,
)
from proctor.people import Role

#: Cedar policy text.
PolicyText = Annotated[str, StringConstraints(max_length=1_048_576)]

ItemT = TypeVar("ItemT")


# -- inventory and tasks -------------------------------------------------------------


class AgentIn(WireIn):
    """An agent to register or update; ``name`` defaults to the id."""

    id: Id
    name: Name | None = None
    owner: Id
    purpose: Text = ""
    status: AgentStatus = AgentStatus.ACTIVE
    groups: list[Id] = Field(default_factory=list, max_length=100)
    #: The agent's public JWK (OKP/Ed25519 or EC/P-256), for the workload path;
    #: never a private key. Omitting it removes a key registered earlier.
    public_key: dict[Annotated[str, StringConstraints(max_length=20)], Text] | None = Field(
        default=None, max_length=10
    )

    def to_model(self) -> Agent:
        return Agent(
            id=self.id,
            name=self.name or self.id,
            owner=self.owner,
            purpose=self.purpose,
            status=self.status,
            groups=tuple(sorted(self.groups)),
            public_key=self.public_key,
        )


class AgentOut(WireOut):
    """A registered agent."""

    id: str
    name: str
    owner: str
    purpose: str
    status: AgentStatus
    groups: list[str]
    public_key: dict[str, str] | None = None

    @classmethod
    def from_model(cls, agent: Agent) -> AgentOut:
        return cls(
            id=agent.id,
            name=agent.name,
            owner=agent.owner,
            purpose=agent.purpose,
            status=agent.status,
            groups=list(agent.groups),
            public_key=dict(agent.public_key) if agent.public_key is not None else None,
        )


class AgentStatusIn(WireIn):
    """Suspend, retire or reactivate an agent, saying why."""

    status: AgentStatus
    reason: Text = ""


class ShadowAgentOut(WireOut):
    """An unregistered agent that tried to act: every call was denied."""

    agent_id: str
    first_seen: datetime
    last_seen: datetime
    count: int
    last_tool: str
    last_task: str
    last_client: str | None
    last_user_agent: str | None
    last_problem: str | None = None


class PermissionArgumentsWire(WireIn):
    """For a ``modify_permissions`` tool: the arguments naming the grantee and the level
    (a dotted name reaches into a nested object: ``policy.members``)."""

    grantee: Name
    level: Name | None = None


class ToolIn(WireIn):
    """A tool to register or update: what it does, how sensitive, who sees its output.

    ``action_class`` may be left out when MCP ``annotations`` are given: the class then
    follows from them by the documented rule (an explicit class always wins).
    ``untrusted_output`` defaults to what the annotations say (open world), else false.
    """

    name: ToolName
    action_class: ActionClass | None = None
    label: Label = Label.INTERNAL
    audience: Audience | None = None
    description: Text = ""
    annotations: dict[Annotated[str, StringConstraints(max_length=40)], bool] = Field(
        default_factory=dict, max_length=10
    )
    untrusted_output: bool | None = None
    targets: list[Name] = Field(default_factory=list, max_length=20)
    permission_arguments: PermissionArgumentsWire | None = None
    review: Text | None = None
    #: Arguments policies may judge, typed (``long``, ``string``, ``bool``):
    #: ``context.args.<name>`` (test ``context.args has <name>`` first).
    policy_arguments: dict[Annotated[str, StringConstraints(max_length=64)], str] = Field(
        default_factory=dict, max_length=32
    )

    def to_model(self) -> Tool:
        annotations = check_annotations(self.annotations)
        hints = dict(annotations)
        action_class = self.action_class
        if action_class is None:
            if not hints:
                raise InvalidInput(
                    f"tool {self.name}: give an action_class, or MCP annotations to derive it",
                    code="invalid_input",
                )
            action_class = action_class_from_annotations(hints)
        untrusted = self.untrusted_output
        if untrusted is None:
            untrusted = bool(hints) and untrusted_from_annotations(hints)
        arguments = self.permission_arguments
        return Tool(
            name=self.name,
            action_class=action_class,
            label=self.label,
            audience=self.audience,
            description=self.description,
            annotations=annotations,
            untrusted_output=untrusted,
            targets=tuple(self.targets),
            permission_arguments=(
                PermissionArguments(arguments.grantee, arguments.level) if arguments else None
            ),
            review=self.review,
            policy_arguments=check_policy_arguments(self.name, self.policy_arguments),
        )


class ToolOut(WireOut):
    """A registered tool."""

    name: str
    action_class: ActionClass
    label: Label
    audience: Audience | None = None
    description: str = ""
    annotations: dict[str, bool] = Field(default_factory=dict)
    untrusted_output: bool = False
    targets: list[str] = Field(default_factory=list)
    permission_arguments: PermissionArgumentsWire | None = None
    review: str | None = None
    policy_arguments: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def from_model(cls, tool: Tool) -> ToolOut:
        arguments = tool.permission_arguments
        return cls(
            name=tool.name,
            action_class=tool.action_class,
            label=tool.label,
            audience=tool.audience,
            description=tool.description,
            annotations=dict(tool.annotations),
            untrusted_output=tool.untrusted_output,
            targets=list(tool.targets),
            permission_arguments=(
                PermissionArgumentsWire(grantee=arguments.grantee, level=arguments.level)
                if arguments
                else None
            ),
            review=tool.review,
            policy_arguments=dict(tool.policy_arguments),
        )


#: Who may do what: ``{"group:engineering": "read", "dana": "admin"}``.
AccessMap = dict[Annotated[str, StringConstraints(min_length=1, max_length=210)], AccessLevel]


class ResourceIn(WireIn):
    """A resource to register or update: its owner, sensitivity label and, optionally,
    its access list (who may read, write or administer it; replaces the list it had)."""

    id: Id
    owner: Id
    label: Label = Label.INTERNAL
    description: Text = ""
    access: AccessMap | None = Field(default=None, max_length=10_000)

    def to_model(self) -> Resource:
        return Resource(
            id=self.id, owner=self.owner, label=self.label, description=self.description
        )


class ResourceOut(ResourceIn, WireOut):
    """A registered resource (the fields of :class:`ResourceIn`, read leniently;
    ``access`` is its own list, without what patterns add)."""

    model_config = ConfigDict(extra="ignore", frozen=False)

    @classmethod
    def from_model(
        cls, resource: Resource, access: dict[str, AccessLevel] | None = None
    ) -> ResourceOut:
        return cls(
            id=resource.id,
            owner=resource.owner,
            label=resource.label,
            description=resource.description,
            access=access,
        )


class HumanIn(WireIn):
    """A person in the directory: who they are, their roles and their clearance (the
    highest label of data they may see; their groups may raise it)."""

    id: Id
    name: Name
    email: Annotated[str, StringConstraints(max_length=320)] | None = None
    roles: list[Role] = Field(default_factory=list, max_length=len(Role))
    clearance: Label = Label.INTERNAL


class GroupIn(WireIn):
    """A group of people and other groups; replaces its members when it exists."""

    id: Id
    name: Name
    people: list[Id] = Field(default_factory=list, max_length=100_000)
    groups: list[Id] = Field(default_factory=list, max_length=10_000)
    clearance: Label | None = None
    description: Text = ""

    def to_model(self) -> Group:
        return Group(
            id=self.id,
            name=self.name,
            people=tuple(sorted(set(self.people))),
            groups=tuple(sorted(set(self.groups))),
            clearance=self.clearance,
            description=self.description,
        )

    @classmethod
    def from_model(cls, group: Group) -> GroupIn:
        return cls(
            id=group.id,
            name=group.name,
            people=list(group.people),
            groups=list(group.groups),
            clearance=group.clearance,
            description=group.description,
        )


class AccessRuleIn(WireIn):
    """Grants on every resource (``resources``) or tool (``tools``) whose id matches the
    pattern (fnmatch style: ``repo:acme/*``, ``hr.*``); replaces that pattern's grants."""

    resources: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = None
    tools: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = None
    grant: AccessMap = Field(max_length=10_000)

    def to_model(self) -> AccessRule:
        if (self.resources is None) == (self.tools is None):
            raise InvalidInput(
                "an access rule names either resources: or tools:, not both or neither",
                code="invalid_access",
            )
        kind = TargetKind.RESOURCE if self.resources is not None else TargetKind.TOOL
        pattern = check_pattern(self.resources or self.tools or "")
        return AccessRule(kind, pattern, grants_from(self.grant))

    @classmethod
    def from_model(cls, rule: AccessRule) -> AccessRuleIn:
        grant = {g.subject: g.level for g in rule.grants}
        if rule.kind is TargetKind.RESOURCE:
            return cls(resources=rule.pattern, grant=grant)
        return cls(tools=rule.pattern, grant=grant)


class Put(WireOut, Generic[ItemT]):
    """What an upsert did (``created``, ``updated`` or ``unchanged``) and the item now."""

    change: str
    item: ItemT


class DeliverableWire(WireIn):
    """What a task is meant to produce, and the widest audience it may reach."""

    description: Text
    audience: Audience

    def to_model(self) -> Deliverable:
        return Deliverable(description=self.description, audience=self.audience)


class TaskIn(WireIn):
    """A task a human gives an agent: what it is for and what it may do."""

    agent_id: Id
    #: The human the task serves; defaults to the person creating it.
    requester: Id | None = None
    purpose: Text
    actions: list[ActionClass] = Field(default_factory=list)
    tools: list[ToolName] = Field(default_factory=list, max_length=100)
    #: The resources the task is limited to (id patterns); leave out for no limit.
    resources: list[Id] | None = Field(default=None, max_length=100)
    deliverable: DeliverableWire | None = None
    ttl_seconds: int = Field(default=3600, ge=1, le=86_400)
    #: The requester's own words (their request), beside the purpose: values in it count
    #: as theirs when an argument later reuses them (value provenance). Never stored as
    #: text; only keyed digests of the values in it are kept.
    instruction: Annotated[str, StringConstraints(max_length=65_536)] = ""

    def capabilities(self) -> Capabilities:
        resources = tuple(self.resources) if self.resources is not None else None
        return Capabilities(
            actions=frozenset(self.actions), tools=tuple(self.tools), resources=resources
        )

    def ttl(self) -> timedelta:
        return timedelta(seconds=self.ttl_seconds)


class CredentialOut(WireOut):
    """A task token to hand to the agent, and what it says."""

    token: str
    jti: str
    agent_id: str
    task_id: str
    expires_at: datetime
    chain: list[str]


class TaskOut(WireOut):
    """A task as stored; tasks never change after they are created.

    ``credential`` is set only in the answer that created the task (or issued a
    fresh token for it): the token the agent presents on every check.
    """

    id: str
    agent_id: str
    requester: str
    purpose: str
    actions: list[ActionClass]
    tools: list[str]
    resources: list[str] | None = None
    deliverable: DeliverableWire | None
    created_at: datetime
    expires_at: datetime
    created_by: str
    credential: CredentialOut | None = None

    @classmethod
    def from_model(cls, task: Task) -> TaskOut:
        deliverable = task.deliverable
        return cls(
            id=task.id,
            agent_id=task.agent_id,
            requester=task.requester,
            purpose=task.purpose,
            actions=sorted(task.capabilities.actions),
            tools=list(task.capabilities.tools),
            resources=(
                list(task.capabilities.resources)
                if task.capabilities.resources is not None
                else None
            ),
            deliverable=(
                DeliverableWire(description=deliverable.description, audience=deliverable.audience)
                if deliverable
                else None
            ),
            created_at=task.created_at,
            expires_at=task.expires_at,
            created_by=task.created_by,
        )


class PolicyIn(WireIn):
    """A named Cedar policy text."""

    name: Name
    text: PolicyText


class PolicyTextIn(WireIn):
    """The body of ``PUT /v1/policies/{name}``."""

    text: PolicyText


# -- approvals -----------------------------------------------------------------------

#: Why a person decided as they did (recorded in the audit log).
ApprovalReason = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class ApproveIn(WireIn):
    """A person's yes. ``scope`` ``task_tool`` widens it to this tool for the rest of
    the task (recorded as such); the default is this exact call, once."""

    reason: ApprovalReason
    scope: ApprovalScope = ApprovalScope.CALL


class DenyIn(WireIn):
    """A person's no."""

    reason: ApprovalReason


class DeliveryOut(WireOut):
    """One attempt at delivering a notification."""

    delivery_id: str
    event: str
    target: str
    attempt: int
    attempted_at: datetime
    status_code: int | None
    error: str | None
    delivered: bool


# -- monitoring ----------------------------------------------------------------------


class AlertOut(WireOut):
    """Something an agent's owner should look at: an anomalous episode or a trip."""

    id: str
    agent: str
    kind: AlertKind
    severity: Severity
    summary: str
    #: The calls involved, the baseline or threshold they crossed, and ``owner``.
    evidence: dict[str, Any]
    created_at: datetime

    @classmethod
    def from_model(cls, alert: Alert) -> AlertOut:
        return cls(
            id=alert.id,
            agent=alert.agent,
            kind=alert.kind,
            severity=alert.severity,
            summary=alert.summary,
            evidence=dict(alert.evidence),
            created_at=alert.created_at,
        )


class BreakerOut(WireOut):
    """An agent's circuit breaker: ``closed``, ``open`` (its calls are held or denied,
    as ``on_trip`` says) or ``half_open`` (its next calls are probes)."""

    agent: str
    status: BreakerStatus
    on_trip: TripAction
    #: The rule that tripped it; None while closed.
    rule: str | None = None
    opened_at: datetime | None = None
    #: When an open breaker turns half-open by itself.
    cool_down_until: datetime | None = None

    @classmethod
    def from_model(cls, state: BreakerState) -> BreakerOut:
        return cls(
            agent=state.agent,
            status=state.status,
            on_trip=state.on_trip,
            rule=state.rule or None,
            opened_at=state.opened_at,
            cool_down_until=state.cool_down_until,
        )


class BreakerResetIn(WireIn):
    """A person closes a tripped breaker; the reason is required (an empty one is
    refused with ``reason_required``) and recorded in the audit log."""

    reason: Text = ""


class BreakerResetOut(WireOut):
    """Who closed the breaker, why and when, and the breaker now."""

    agent: str
    by: str
    reason: str
    at: datetime
    breaker: BreakerOut


class RateLimitOut(WireOut):
    """A declared rate limit: at most ``limit`` calls of tools matching ``tool`` per
    ``period_s`` seconds, counted ``per`` scope, at most ``burst`` at once."""

    id: str
    #: The compact form ``proctor.yaml`` accepts, e.g. ``forum.post: 5/hour per agent``.
    text: str
    description: str
    tool: str
    limit: int
    period_s: int
    per: Scope
    burst: int

    @classmethod
    def from_model(cls, rule: RateLimitRule) -> RateLimitOut:
        return cls(
            id=rule.id,
            text=format_rate_limit(rule),
            description=rule.describe(),
            tool=rule.tool,
            limit=rule.limit,
            period_s=int(rule.period.total_seconds()),
            per=rule.per,
            burst=rule.allowance,
        )


# -- converters ----------------------------------------------------------------------


def credential_to_wire(issued: IssuedToken) -> CredentialOut:
    """The answer that hands out a token."""
    claims = issued.claims
    return CredentialOut(
        token=issued.token,
        jti=claims.jti,
        agent_id=claims.agent_id,
        task_id=claims.task_id,
        expires_at=claims.expires_at,
        chain=list(claims.chain),
    )


# -- MCP proxy ---------------------------------------------------------------------------

#: An MCP tool's text (descriptions can be long; the pin covers all of it).
McpText = Annotated[str, StringConstraints(max_length=65_536)]


class McpToolIn(WireIn):
    """One tool as an upstream MCP server lists it (the fields its pin covers)."""

    name: ToolName
    description: McpText = ""
    input_schema: dict[str, Any] = Field(default_factory=dict)
    annotations: dict[str, Any] | None = None


class McpToolsIn(WireIn):
    """An upstream server's ``tools/list`` answer, for the catalog to register and pin.

    ``unannotated``: what a first-seen tool without hints gets (``require_approval``,
    ``deny``, or an action class).
    """

    tools: list[McpToolIn] = Field(max_length=1000)
    unannotated: Name = "require_approval"


class McpToolViewOut(WireOut):
    """Where one listed tool stands, and the definition to show the agent."""

    name: str
    inventory_name: str | None
    status: str
    definition: dict[str, Any]


class McpToolsOut(WireOut):
    tools: list[McpToolViewOut]


class McpAcceptIn(WireIn):
    """Why an admin accepts a changed (or unannotated) MCP tool."""

    reason: Text


class McpPinOut(WireOut):
    """An upstream MCP tool's pin: the accepted definition and any change waiting."""

    server: str
    tool: str
    inventory_name: str
    pin: str
    registered: bool
    first_seen: datetime
    accepted_by: str
    accepted_at: datetime
    changed_pin: str | None = None
    changed_at: datetime | None = None
