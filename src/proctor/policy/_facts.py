"""The facts the gateway hands to the policy engine, and their Cedar shape.

The gateway computes every fact in Python; this module only translates them into
the entities and context that ``schema.cedarschema`` declares.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from proctor.model import HIGH_RISK_ACTIONS, Agent, Tool

#: The Cedar action group that holds every high-risk action class.
HIGH_RISK_GROUP = "high_risk"
_HIGH_RISK = frozenset(action.value for action in HIGH_RISK_ACTIONS)


@dataclass(frozen=True, slots=True)
class TaskFacts:
    """What the task behind a call grants, as ``context.task``."""

    id: str
    purpose: str
    requester: str
    granted: str
    grants_action: bool
    grants_tool: bool
    grants_tool_by_name: bool
    delivers: bool
    #: The call's resource is within the resources the task (and token) are limited to.
    grants_resource: bool = True


@dataclass(frozen=True, slots=True)
class ResourceFacts:
    """The resource a call names, as ``context.resource``.

    ``id`` and ``owner`` are empty when unknown; ``label`` is the tool's label when
    the call names no resource.
    """

    id: str
    known: bool
    label: str
    owner: str


@dataclass(frozen=True, slots=True)
class RequesterFacts:
    """How far the people behind a call reach, as ``context.requester``.

    ``clearance`` is the lowest clearance among them (empty when one is unknown);
    ``cleared``: they may all see data of the call's label; ``permitted``: they all hold
    the access the call's action needs on what it touches. ``why`` is for reasons only.
    """

    clearance: str
    cleared: bool
    permitted: bool
    why: str = ""


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """What the task's agents have taken in so far, as ``context.session``.

    ``label``: the highest label of data read ("" when none); ``untrusted``: content
    from outside the organization was read; ``injected``: a tool output carried
    instructions aimed at the agent; ``over_clearance``: data above the requester's
    clearance reached the agent.
    """

    label: str = ""
    untrusted: bool = False
    injected: bool = False
    over_clearance: bool = False
    #: For reasons only: the data's owner, and what made the session untrusted.
    owner: str = ""
    why: str = ""


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What the call's own arguments say, as ``context.call``.

    ``audience``: whom this call reaches: the tool's declared audience; for a
    ``send_external`` tool without one, ``organization`` when every recipient is
    inside the organization's domains and ``public`` otherwise; ``""`` when unknown
    (rules count it as the widest). ``external_recipient``: a ``send_external`` call
    reaches an address outside the organization's domains; ``widens_access``: a
    ``modify_permissions`` call gives a wider audience, or a higher level, access to
    its resource.
    """

    external_recipient: bool = False
    widens_access: bool = False
    audience: str = ""
    #: For reasons only: what the call sends or grants, in words.
    why: str = ""


@dataclass(frozen=True, slots=True)
class ProvenanceFacts:
    """Where the call's values came from, as ``context.provenance``.

    ``target``: the worst provenance fact among the tool's target arguments
    (``untrusted`` > ``mixed`` > ``unseen`` > ``trusted`` > ``user``; ``none`` when the
    tool declares no target); ``untrusted_content``: another argument carries untrusted
    content; ``overflowed``: the task's provenance memory overflowed (an ``unseen``
    value may be one that was dropped).
    """

    target: str = "none"
    untrusted_content: bool = False
    overflowed: bool = False
    #: For reasons only: which argument, which source, which earlier call.
    why: str = ""
    #: The content arguments carrying untrusted values (flagged, not held), and why.
    flagged: tuple[str, ...] = ()
    content_why: str = ""


@dataclass(frozen=True, slots=True)
class MonitorFacts:
    """How far the call departs from its agent's normal behaviour, as
    ``context.monitor`` (whole numbers: percents, a z-score rounded toward zero).

    The defaults are for calls nobody monitors (an admin's "what if" without a
    baseline): nothing unusual is claimed.
    """

    learning: bool = False
    new_tool: bool = False
    new_action_class: bool = False
    new_delegate: bool = False
    label_escalation: bool = False
    rate_zscore: int = 0
    deny_rate: int = 0
    anomaly_score: int = 0
    #: For reasons only: why the call looks unusual, most telling first.
    why: str = ""


@dataclass(frozen=True, slots=True)
class PolicyInput:
    """One call to judge: who, which tool (``tool`` is None if not in the inventory),
    which action class (``unclassified`` for an unknown tool), and the facts."""

    agent: Agent
    tool_name: str
    tool: Tool | None
    action: str
    task: TaskFacts
    resource: ResourceFacts
    requester: RequesterFacts
    session: SessionFacts = SessionFacts()
    call: CallFacts = CallFacts()
    provenance: ProvenanceFacts = ProvenanceFacts()
    #: The call's arguments the catalog declares for policies, typed (``context.args``).
    arguments: Mapping[str, object] = field(default_factory=dict)
    #: How unusual the call is for its agent (``context.monitor``, see MonitorFacts).
    monitor: MonitorFacts = MonitorFacts()
    approved: bool = False


def action_groups(action: str) -> tuple[str, ...]:
    """The Cedar action groups ``action`` belongs to."""
    return (HIGH_RISK_GROUP,) if action in _HIGH_RISK else ()


#: One step into a record: ``.name``, `` has name`` or ``["name"]``.
_STEP = r'(?:\s*\.\s*([A-Za-z_]\w*)|\s+has\s+([A-Za-z_]\w*)|\s*\[\s*"([^"\\]*)"\s*\])'
#: Every way a policy can name a context attribute (and, optionally, one of its
#: fields); anything else after ``context`` (a use this does not recognise) makes
#: the whole context go to Cedar.
_CONTEXT_USE = re.compile(rf"\bcontext\b(?:{_STEP}(?:{_STEP})?)?")
#: The first step was a presence test (``context has x``): nothing reads into ``x``.
_PRESENCE = 2

#: What of the context loaded policies read: for each top-level attribute, the
#: fields read from it, or None for the whole value. None overall: everything.
ContextShape = Mapping[str, frozenset[str] | None]


def context_keys(texts: Iterable[str]) -> ContextShape | None:
    """The context attributes ``texts`` (policies) read, down to the fields of each
    record, or None when some use of ``context`` is not a plain attribute access
    (then Cedar gets all of it).

    Cedar converts every context value on every call (one to three µs each), so what
    no loaded policy reads is left out of the request. An attribute used as a whole
    (``context.task == ...``, ``context.task has x`` aside) is sent whole. A policy
    that reads a left-out field anyway would fail to evaluate, which denies: the
    cautious direction.
    """
    fields: dict[str, set[str] | None] = {}
    for text in texts:
        for use in _CONTEXT_USE.finditer(text):
            groups = use.groups()
            key = groups[0] or groups[1] or groups[2]
            if key is None:
                return None
            field_name = groups[3] or groups[4] or groups[5]
            if groups[1] is not None:
                fields.setdefault(key, set())  # ``context has key``: its presence only
            elif field_name is None:
                fields[key] = None  # read as a whole
            elif key not in fields or fields[key] is not None:
                known = fields.setdefault(key, set())
                assert known is not None
                known.add(field_name)
    return {key: None if read is None else frozenset(read) for key, read in fields.items()}


def _pruned(context: dict[str, Any], shape: ContextShape) -> dict[str, Any]:
    """``context`` cut down to ``shape`` (see :func:`context_keys`)."""
    kept: dict[str, Any] = {}
    for key, read in shape.items():
        if key not in context:
            continue
        value = context[key]
        if read is not None and isinstance(value, dict):
            value = {name: value[name] for name in read if name in value}
        kept[key] = value
    return kept


def request(
    facts: PolicyInput, *, approved: bool, keys: ContextShape | None = None
) -> dict[str, Any]:
    """The Cedar request for ``facts``; ``approved`` overrides the input's flag;
    ``keys`` (see :func:`context_keys`) limits the context to what policies read."""
    task, resource, requester, session = facts.task, facts.resource, facts.requester, facts.session
    context = {
        "task": {
            "id": task.id,
            "requester": task.requester,
            "grants_action": task.grants_action,
            "grants_tool": task.grants_tool,
            "grants_tool_by_name": task.grants_tool_by_name,
            "delivers": task.delivers,
            "grants_resource": task.grants_resource,
        },
        "resource": {
            "id": resource.id,
            "known": resource.known,
            "label": str(resource.label),
            "owner": resource.owner,
        },
        "requester": {
            "clearance": requester.clearance,
            "cleared": requester.cleared,
            "permitted": requester.permitted,
        },
        "session": {
            "label": session.label,
            "untrusted": session.untrusted,
            "injected": session.injected,
            "over_clearance": session.over_clearance,
        },
        "call": {
            "external_recipient": facts.call.external_recipient,
            "widens_access": facts.call.widens_access,
            "audience": facts.call.audience,
        },
        "provenance": {
            "target": facts.provenance.target,
            "untrusted_content": facts.provenance.untrusted_content,
            "overflowed": facts.provenance.overflowed,
        },
        "args": dict(facts.arguments),
        "monitor": {
            "learning": facts.monitor.learning,
            "new_tool": facts.monitor.new_tool,
            "new_action_class": facts.monitor.new_action_class,
            "new_delegate": facts.monitor.new_delegate,
            "label_escalation": facts.monitor.label_escalation,
            "rate_zscore": facts.monitor.rate_zscore,
            "deny_rate": facts.monitor.deny_rate,
            "anomaly_score": facts.monitor.anomaly_score,
        },
        "approved": approved,
    }
    if keys is not None:
        context = _pruned(context, keys)
    return {
        "principal": {"type": "Agent", "id": facts.agent.id},
        "action": {"type": "Action", "id": facts.action},
        "resource": {"type": "Tool", "id": facts.tool_name},
        "context": context,
    }


def agent_entities(agent: Agent) -> list[dict[str, Any]]:
    """The agent and the groups it belongs to, as Cedar JSON entities."""
    groups = [{"type": "AgentGroup", "id": group} for group in agent.groups]
    entity = {
        "uid": {"type": "Agent", "id": agent.id},
        "attrs": {"name": agent.name, "owner": agent.owner, "status": str(agent.status)},
        "parents": groups,
    }
    return [entity, *({"uid": group, "attrs": {}, "parents": []} for group in groups)]


def tool_entity(
    name: str, tool: Tool | None, action: str, patterns: Iterable[str]
) -> dict[str, Any]:
    """A tool as a Cedar JSON entity, a member of each ``ToolPattern`` it matches.

    A tool missing from the inventory still gets an entity, so that policies read
    the same attributes (empty label and audience) for every call.
    """
    if tool is None:
        attrs: dict[str, Any] = {
            "action_class": action,
            "label": "",
            "audience": "",
            "known": False,
            "under_review": False,
            "untrusted_output": False,
        }
    else:
        audience = str(tool.audience) if tool.audience is not None else ""
        attrs = {
            "action_class": str(tool.action_class),
            "label": str(tool.label),
            "audience": audience,
            "known": True,
            "under_review": tool.review is not None,
            "untrusted_output": tool.untrusted_output,
        }
    parents = [{"type": "ToolPattern", "id": pattern} for pattern in patterns]
    return {"uid": {"type": "Tool", "id": name}, "attrs": attrs, "parents": parents}


def pattern_entities(patterns: Iterable[str]) -> list[dict[str, Any]]:
    """The ``ToolPattern`` entities a policy set references."""
    return [
        {"uid": {"type": "ToolPattern", "id": pattern}, "attrs": {}, "parents": []}
        for pattern in patterns
    ]
