"""What a credential says, its JWT claims, and the rule that delegation only narrows."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from proctor.errors import Unauthorized
from proctor.model import ActionClass, Capabilities

#: The longest delegation chain a token may carry, whatever a caller asks for.
MAX_DELEGATION_DEPTH = 8
_WILDCARDS = frozenset("*?[]")


@dataclass(frozen=True, slots=True)
class DelegationLink:
    """One earlier token in a delegation chain: who held it and when it was issued."""

    jti: str
    agent_id: str
    issued_at: datetime


@dataclass(frozen=True, slots=True)
class Credential:
    """A verified credential: one agent, one task, one requester, until ``expires_at``.

    ``chain`` is the delegation chain as people read it: the requester, then each
    agent that handed the task on, ending with ``agent_id``. ``lineage`` holds the
    earlier tokens of that chain (root first); revoking any of them revokes this one.
    """

    agent_id: str
    task_id: str
    requester: str
    capabilities: Capabilities
    issued_at: datetime
    expires_at: datetime
    jti: str
    chain: tuple[str, ...]
    kid: str
    lineage: tuple[DelegationLink, ...] = ()
    #: Whether the holder may produce the task's deliverable (publish or send it to
    #: the deliverable's audience). A delegator can keep this from a sub-agent.
    may_deliver: bool = False

    @property
    def parent_jti(self) -> str | None:
        return self.lineage[-1].jti if self.lineage else None

    @property
    def depth(self) -> int:
        """How many delegations separate this token from the one issued for the task."""
        return len(self.lineage)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A freshly signed token and what it says."""

    token: str = field(repr=False)
    claims: Credential


def narrowing_refusal(granted: Capabilities, requested: Capabilities) -> str | None:
    """Why ``requested`` is not provably within ``granted``, or ``None`` when it is.

    Action classes must be a subset. A requested tool pattern is covered only when
    it is identical to a granted pattern, or is a literal tool name (no ``* ? [ ]``)
    that a granted pattern matches. Anything else (``files.*`` under ``*``, say)
    might be narrower, but proving that pattern containment holds in general is not
    worth the risk of getting it wrong, so it is refused.
    """
    extra_actions = requested.actions - granted.actions
    if extra_actions:
        names = ", ".join(sorted(action.value for action in extra_actions))
        return f"action classes not granted to the delegator: {names}"
    for pattern in requested.tools:
        if not _covered(pattern, granted.tools):
            return f"tool pattern {pattern!r} is not covered by the delegator's grant"
    if granted.resources is not None:
        if requested.resources is None:
            return "the delegator is limited to some resources; the delegated token must be too"
        for pattern in requested.resources:
            if not _covered(pattern, granted.resources):
                return f"resource pattern {pattern!r} is not covered by the delegator's grant"
    return None


def _covered(pattern: str, granted: tuple[str, ...]) -> bool:
    """Whether ``pattern`` is one of ``granted``, or a literal name one of them matches."""
    if pattern in granted:
        return True
    return _WILDCARDS.isdisjoint(pattern) and any(
        fnmatch.fnmatchcase(pattern, grant) for grant in granted
    )


def capabilities_claim(capabilities: Capabilities) -> dict[str, list[str]]:
    claim = {
        "actions": sorted(action.value for action in capabilities.actions),
        "tools": list(capabilities.tools),
    }
    if capabilities.resources is not None:
        claim["resources"] = list(capabilities.resources)
    return claim


def act_claim(actors: tuple[str, ...]) -> dict[str, Any] | None:
    """RFC 8693 §4.1 ``act`` for delegators listed oldest first; outermost is the latest.

    ``act`` is informational for other readers of the token; what Proctor enforces
    is ``ancestors``, which also carries the jtis that revocation cascades through.
    """
    claim: dict[str, Any] | None = None
    for actor in actors:
        claim = {"sub": actor} if claim is None else {"sub": actor, "act": claim}
    return claim


def ancestors_claim(lineage: tuple[DelegationLink, ...]) -> list[dict[str, Any]]:
    return [
        {"jti": link.jti, "sub": link.agent_id, "iat": int(link.issued_at.timestamp())}
        for link in lineage
    ]


def credential_from_claims(claims: Mapping[str, Any], kid: str) -> Credential:
    """Read Proctor's claims after the signature and registered claims were checked."""
    lineage = _lineage(claims.get("ancestors", []))
    actors = _actors(claims.get("act"))
    if actors != tuple(link.agent_id for link in lineage):
        raise _invalid("the act claim does not match the delegation ancestry")
    agent_id = _text(claims, "sub")
    requester = _text(claims, "requester")
    may_deliver = claims.get("dlv", False)
    if not isinstance(may_deliver, bool):
        raise _invalid("dlv must be true or false")
    return Credential(
        agent_id=agent_id,
        task_id=_text(claims, "task"),
        requester=requester,
        capabilities=_capabilities(claims.get("caps")),
        issued_at=_moment(claims["iat"]),
        expires_at=_moment(claims["exp"]),
        jti=_text(claims, "jti"),
        chain=(requester, *actors, agent_id),
        kid=kid,
        lineage=lineage,
        may_deliver=may_deliver,
    )


def _capabilities(value: object) -> Capabilities:
    if not isinstance(value, dict) or set(value) - {"resources"} != {"actions", "tools"}:
        raise _invalid("caps must be an object with 'actions', 'tools' and maybe 'resources'")
    actions, tools = value["actions"], value["tools"]
    resources = value.get("resources")
    if not _strings(actions) or not _strings(tools):
        raise _invalid("caps.actions and caps.tools must be lists of strings")
    if resources is not None and not _strings(resources):
        raise _invalid("caps.resources must be a list of strings")
    try:
        granted = frozenset(ActionClass(action) for action in actions)
    except ValueError as exc:
        raise _invalid(f"caps.actions names an unknown action class: {exc}") from exc
    limited = tuple(resources) if resources is not None else None
    return Capabilities(actions=granted, tools=tuple(tools), resources=limited)


def _lineage(value: object) -> tuple[DelegationLink, ...]:
    if not isinstance(value, list) or len(value) > MAX_DELEGATION_DEPTH:
        raise _invalid(f"ancestors must be a list of at most {MAX_DELEGATION_DEPTH} links")
    links = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"jti", "sub", "iat"}:
            raise _invalid("each ancestor is an object with jti, sub and iat")
        if not isinstance(item["jti"], str) or not isinstance(item["sub"], str):
            raise _invalid("an ancestor's jti and sub must be strings")
        links.append(DelegationLink(item["jti"], item["sub"], _moment(item["iat"])))
    return tuple(links)


def _actors(value: object) -> tuple[str, ...]:
    latest_first: list[str] = []
    while value is not None:
        if not isinstance(value, dict) or not isinstance(value.get("sub"), str):
            raise _invalid("act must nest objects with a string sub")
        if set(value) - {"sub", "act"} or len(latest_first) >= MAX_DELEGATION_DEPTH:
            raise _invalid("act holds unexpected members or nests too deep")
        latest_first.append(value["sub"])
        value = value.get("act")
    return tuple(reversed(latest_first))


def _text(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value or len(value) > 200:
        raise _invalid(f"claim {name!r} must be a non-empty string (max 200)")
    return value


def _moment(value: object) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid("times must be whole seconds since the epoch")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise _invalid(f"time {value} is out of range") from exc


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _invalid(message: str) -> Unauthorized:
    return Unauthorized(f"the token's claims are not valid: {message}", code="token_claims_invalid")
