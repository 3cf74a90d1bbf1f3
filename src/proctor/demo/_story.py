"""What an incident replay is made of: the people, the agent and its tools, the task,
and the calls the agent attempts, each with the decision it must get.

A scenario is data. Playing it (``_play``) registers everything through the same
admin paths a deployment uses, then makes each call through ``Gateway.check``; the
expectations here are what makes the replay a test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from proctor.directory import AccessRule, Human
from proctor.errors import InvalidInput, NotFound
from proctor.model import Agent, Capabilities, Deliverable, Label, Outcome, Resource, Tool

ALLOW = frozenset({Outcome.ALLOW})
HELD = frozenset({Outcome.REQUIRE_APPROVAL})
DENIED = frozenset({Outcome.DENY})


@dataclass(frozen=True, slots=True)
class Step:
    """One tool call the agent attempts, what it returns when it runs, what people do
    about it, and what counts as the right decision.

    ``key`` names the step for tests and for later steps (``traced_to``). When the call
    is allowed it runs: the outcome is recorded with ``result`` (screened for
    instructions aimed at the agent, its values kept for provenance), ``label`` and
    ``untrusted``. When it is held, the requester is shown the request and denies it
    (``denied_because``) or approves it (``approved_because``). Once the monitor has
    learnt from the call, the alerts it raised are compared with ``alerts``.
    """

    key: str
    what: str
    tool: str
    expected: frozenset[Outcome]
    arguments: Mapping[str, Any] = field(default_factory=dict)
    resource: str | None = None
    #: What the tool returns when it runs (JSON-like); ``None``: nothing worth screening.
    result: object = None
    #: The label of what it returned, when it differs from the resource's (or tool's).
    label: Label | None = None
    #: Whether what it returned came from outside the organization (else the tool says).
    untrusted: bool | None = None
    summary: str = "done"
    #: The decision's code (``policy_denied``, ``approval_denied``…), when it matters.
    code: str | None = None
    #: Policy ids that must be among the decision's reasons.
    expected_policies: frozenset[str] = frozenset()
    #: Texts the decision's reasons must contain (each somewhere among them).
    reasons: tuple[str, ...] = ()
    #: Approval rules (``requester``, ``resource_owner``, ``data_owner``…) that must all
    #: be among the approvers when the call is held.
    held_for: tuple[str, ...] = ()
    #: The key of an earlier step whose decision id one of the reasons must name (the
    #: call an argument's value was traced back to).
    traced_to: str | None = None
    #: Whether the injection screen must flag ``result`` (None: either way).
    injection: bool | None = None
    #: The requester stops the agent (``proctor kill agent``) before this call.
    stop_agent_first: bool = False
    #: When the call is held: the requester denies it, saying why.
    denied_because: str | None = None
    #: When the call is held: the requester approves it, saying why.
    approved_because: str | None = None
    #: Texts the alerts the monitor raises on this call must contain (each in one of
    #: them); an alert raised on a step that expects none is a surprise.
    alerts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AdminPolicy:
    """A Cedar policy someone installs before the task starts (``proctor policy put``)."""

    name: str
    text: str
    author: str


@dataclass(frozen=True, slots=True)
class Scenario:
    """One incident: who is involved, what the agent may use, the task it was given,
    and the calls it makes, in order."""

    name: str
    title: str
    #: One paragraph: what happened in the real incident, and what the replay shows.
    story: str
    agent: Agent
    tools: tuple[Tool, ...]
    resources: tuple[Resource, ...]
    people: tuple[Human, ...]
    requester: str
    purpose: str
    capabilities: Capabilities
    steps: tuple[Step, ...]
    deliverable: Deliverable | None = None
    #: The requester's own words (values in them count as theirs for provenance).
    instruction: str = ""
    access: tuple[AccessRule, ...] = ()
    policies: tuple[AdminPolicy, ...] = ()

    def __post_init__(self) -> None:
        if self.requester not in {person.id for person in self.people}:
            raise InvalidInput(f"scenario {self.name}: requester {self.requester} is not cast")
        seen: set[str] = set()
        for step in self.steps:
            if step.key in seen:
                raise InvalidInput(f"scenario {self.name}: step {step.key!r} appears twice")
            if step.traced_to is not None and step.traced_to not in seen:
                raise InvalidInput(
                    f"scenario {self.name}: step {step.key!r} is traced to "
                    f"{step.traced_to!r}, which is not an earlier step"
                )
            if not step.expected:
                raise InvalidInput(f"scenario {self.name}: step {step.key!r} expects nothing")
            if step.denied_because and step.approved_because:
                raise InvalidInput(
                    f"scenario {self.name}: step {step.key!r} is both denied and approved"
                )
            seen.add(step.key)

    def step(self, key: str) -> Step:
        """The step named ``key``."""
        for step in self.steps:
            if step.key == key:
                return step
        raise NotFound(f"scenario {self.name} has no step {key!r}")

    def person(self, person_id: str) -> Human:
        for person in self.people:
            if person.id == person_id:
                return person
        raise NotFound(f"scenario {self.name} has nobody called {person_id!r}")
