"""What a task's agents have taken in: the labels of data read, untrusted content,
injected instructions, data beyond the requester's clearance.

Recording an outcome adds to the task's session; every later check of the task reads
it (from memory), so policies can hold a publish after a confidential read, or any
high-risk call once untrusted instructions were seen. A session only ever grows more
cautious: nothing recorded is forgotten while the task lives.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from proctor.model import Label

#: How many sources a session remembers for reasons (the newest).
MAX_SOURCES = 20


@dataclass(frozen=True, slots=True)
class Source:
    """One tool output the session took in."""

    decision_id: str
    tool: str
    resource: str | None
    label: Label
    untrusted: bool
    injected: bool = False

    def describe(self) -> str:
        where = f"{self.tool} on {self.resource}" if self.resource else self.tool
        trust = ", untrusted" if self.untrusted else ""
        return f"{where} ({self.label.value}{trust}, decision {self.decision_id})"


@dataclass(frozen=True, slots=True)
class SessionState:
    """A task's session: the facts policies judge (``context.session``) and the sources
    behind them."""

    task_id: str
    #: The highest label of data read (None: nothing labelled read yet).
    label: Label | None = None
    #: The owner of the resource the highest label came from (the data's owner).
    label_owner: str | None = None
    #: Content from outside the organization's control was read.
    untrusted: bool = False
    #: A tool output carried instructions aimed at the agent (the injection screen).
    injected: bool = False
    #: Data above the requester's clearance reached the agent.
    over_clearance: bool = False
    sources: tuple[Source, ...] = ()
    updated_at: datetime | None = None

    def taking_in(
        self, source: Source, *, owner: str | None, over_clearance: bool, at: datetime
    ) -> SessionState:
        """This session after ``source`` was read (monotonic: never less cautious)."""
        higher = self.label is None or source.label.rank > self.label.rank
        return replace(
            self,
            label=source.label if higher else self.label,
            label_owner=owner if higher else self.label_owner,
            untrusted=self.untrusted or source.untrusted,
            injected=self.injected or source.injected,
            over_clearance=self.over_clearance or over_clearance,
            sources=(*self.sources, source)[-MAX_SOURCES:],
            updated_at=at,
        )

    def first(self, predicate: str) -> Source | None:
        """The earliest remembered source that made ``predicate`` true (``untrusted``,
        ``injected``) — for reasons that say which earlier call it was."""
        return next((s for s in self.sources if getattr(s, predicate)), None)
