"""Facts about where a call's values come from and where they go: recipients outside
the organization, permission changes that widen access, and the provenance of each
target argument."""

from __future__ import annotations

from collections.abc import Mapping

from proctor.flow import read_change, recipients
from proctor.model import ActionClass, Tool
from proctor.policy import CallFacts, ProvenanceFacts
from proctor.provenance import ArgumentProvenance, Fact
from proctor.runtime import Runtime

_NO_CALL_FACTS = CallFacts()
_NO_TARGETS = ProvenanceFacts()
#: Each declaration's top-level target arguments, by (targets, grantee).
_TARGETS: dict[tuple[tuple[str, ...], str | None], tuple[str, ...]] = {}
_TARGETS_MAX = 4096
#: Worst first: the fact a policy sees is the worst among the target arguments.
_SEVERITY = (Fact.UNTRUSTED, Fact.MIXED, Fact.UNSEEN, Fact.TRUSTED, Fact.USER)
_RANK = {fact: rank for rank, fact in enumerate(_SEVERITY)}
_SUSPICIOUS = frozenset({Fact.UNTRUSTED, Fact.MIXED})
#: Reason clauses by (argument, tool, detail): details are few and repeat.
_PHRASES: dict[tuple[str, str, str], str] = {}
_PHRASES_MAX = 4096
#: Actions whose content arguments are screened for untrusted values (flagged, not held).
_CONTENT_SCREENED = frozenset(
    {ActionClass.PUBLISH, ActionClass.SEND_EXTERNAL, ActionClass.MODIFY_PERMISSIONS}
)


def call_facts(
    runtime: Runtime, tool: Tool, arguments: Mapping[str, object], resource: str | None
) -> CallFacts:
    """What the call's arguments send or grant, and whom the call reaches."""
    audience = tool.audience.value if tool.audience is not None else ""
    if tool.action_class is ActionClass.SEND_EXTERNAL:
        domains = runtime.settings.flow.organization_domains
        found = recipients(arguments, tool.targets, domains)
        if not audience:
            audience = "organization" if found.internal_only else "public"
        if found.outside:
            return CallFacts(
                external_recipient=True,
                audience=audience,
                why=f"{tool.name} sends to {', '.join(found.outside[:3])}, outside "
                + (", ".join(domains) if domains else "the organization (no domains configured)"),
            )
    if tool.action_class is ActionClass.MODIFY_PERMISSIONS:
        change = read_change(
            arguments, tool.permission_arguments, resource, runtime.directory.index
        )
        return CallFacts(widens_access=change.widens, audience=audience, why=change.why)
    if not audience:
        return _NO_CALL_FACTS
    return CallFacts(audience=audience)


def provenance_facts(
    runtime: Runtime, task_id: str, tool: Tool, arguments: Mapping[str, object]
) -> tuple[ProvenanceFacts, tuple[str, ...]]:
    """The worst provenance among the tool's target arguments, and the content
    arguments that carry untrusted values (for a flag, not a hold)."""
    targets = _targets(tool)
    screened = tool.action_class in _CONTENT_SCREENED
    if screened:
        names = list(arguments)
    elif targets:
        names = [name for name in targets if name in arguments]
    else:
        return _NO_TARGETS, ()
    if not names:
        return _NO_TARGETS, ()
    found, overflowed = runtime.provenance.attribute_named(task_id, arguments, names)
    flagged: tuple[str, ...] = ()
    content_why = ""
    if screened:
        flagged = tuple(
            name for name, seen in found.items() if name not in targets and seen.fact in _SUSPICIOUS
        )
        content_why = "; ".join(_phrase(name, tool, found[name].detail) for name in flagged)
    worst = _worst(found, targets)
    if worst is None:
        facts = ProvenanceFacts(
            untrusted_content=bool(flagged),
            overflowed=overflowed,
            flagged=flagged,
            content_why=content_why,
        )
        return facts, flagged
    name, seen = worst
    fact = seen.fact
    if overflowed and fact is Fact.UNSEEN:
        # A value the session had to drop may be one that came from untrusted content.
        fact = Fact.MIXED
    why = _phrase(name, tool, seen.detail)
    facts = ProvenanceFacts(fact.value, bool(flagged), overflowed, why, flagged, content_why)
    return facts, flagged


def _phrase(name: str, tool: Tool, detail: str) -> str:
    """A provenance detail ("argument `x`: the ... came from ....") as a clause of a
    reason: naming the tool, without the detail's own label and full stop."""
    key = (name, tool.name, detail)
    phrase = _PHRASES.get(key)
    if phrase is None:
        label = f"argument `{name[:64]}`: "
        said = detail.removeprefix(label).rstrip(".")
        phrase = f"argument `{name}` of {tool.name}: {said}"
        if len(_PHRASES) >= _PHRASES_MAX:
            _PHRASES.clear()
        _PHRASES[key] = phrase
    return phrase


def _targets(tool: Tool) -> tuple[str, ...]:
    """The top-level arguments a tool names as its targets (worked out once per
    declaration: catalog snapshots keep their tools)."""
    grantee = tool.permission_arguments.grantee if tool.permission_arguments else None
    key = (tool.targets, grantee)
    known = _TARGETS.get(key)
    if known is None:
        names = [*tool.targets, *([grantee] if grantee is not None else [])]
        known = tuple(dict.fromkeys(name.split(".", 1)[0] for name in names))
        if len(_TARGETS) >= _TARGETS_MAX:
            _TARGETS.clear()
        _TARGETS[key] = known
    return known


def _worst(
    found: Mapping[str, ArgumentProvenance], targets: tuple[str, ...]
) -> tuple[str, ArgumentProvenance] | None:
    """The target argument with the worst fact (the first of equals), if any."""
    worst: tuple[str, ArgumentProvenance] | None = None
    worst_rank = len(_SEVERITY)
    for name, seen in found.items():
        if name in targets and _RANK[seen.fact] < worst_rank:
            worst, worst_rank = (name, seen), _RANK[seen.fact]
    return worst
