"""What happened after a decision: recorded, judged, and taken into the task's session.

An outcome is a violation when a call ran that was not allowed, or when what a tool
returned was labelled above what the requester may see (the agent reached further
than its requester). A call that read data adds the data's label and whether it was
untrusted to the task's session, so later calls are judged knowing it. What a tool
returned (``result``) is screened for instructions aimed at the agent, and its values
are recorded (as keyed digests) for value provenance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from proctor.flow import Source
from proctor.model import ActionClass, Label, Outcome, OutcomeStatus
from proctor.provenance import Source as ProvenanceSource
from proctor.provenance import Trust
from proctor.runtime import Runtime
from proctor.screening import Screening, screen_value
from proctor.store import Transaction, utcnow

MAX_SUMMARY = 4096


@dataclass(frozen=True, slots=True)
class DecisionRef:
    """What ``record_outcome`` needs to know of the decision an outcome is about."""

    agent_id: str
    task_id: str
    tool: str
    resource: str | None
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class OutcomeReceipt:
    """What ``record_outcome`` wrote: the audit entry and whether it was a violation."""

    decision_id: str
    status: OutcomeStatus
    audit_seq: int
    violation: bool
    #: Why it was a violation, in words (empty when it was not).
    problems: tuple[str, ...] = ()
    #: When the injection screen flagged the result: why, in one line.
    injection: str = ""


@dataclass(frozen=True, slots=True)
class Reading:
    """What a call that ran took in: its data's label and where it came from."""

    label: Label
    owner: str | None
    untrusted: bool


def reading(
    runtime: Runtime, ref: DecisionRef, label: Label | None, untrusted: bool | None
) -> Reading | None:
    """The data a call took in, or None when it read nothing that counts.

    A ``read`` call always counts; any other call counts when the caller says what
    label its result had. The label is the caller's, else the resource's, else the
    tool's; an unknown resource counts as restricted (fail closed).
    """
    snapshot = runtime.inventory.snapshot
    tool = snapshot.tools.get(ref.tool)
    if tool is None:
        return None
    if label is None and tool.action_class is not ActionClass.READ:
        return None
    resource = snapshot.resource(ref.resource) if ref.resource else None
    if label is None:
        label = snapshot.data_label(tool, ref.resource)
    trusted_source = not tool.untrusted_output if untrusted is None else not untrusted
    return Reading(label, resource.owner if resource else None, not trusted_source)


def output_of(runtime: Runtime, ref: DecisionRef) -> Reading:
    """What a call that is not a read took in when its output still matters to the
    session (it carried instructions aimed at the agent): its tool's label and trust."""
    snapshot = runtime.inventory.snapshot
    tool = snapshot.tools.get(ref.tool)
    label = snapshot.data_label(tool, ref.resource) if tool else Label.RESTRICTED
    resource = snapshot.resource(ref.resource) if ref.resource else None
    untrusted = bool(tool and tool.untrusted_output)
    return Reading(label, resource.owner if resource else None, untrusted)


@dataclass(frozen=True, slots=True)
class Screened:
    """What the injection screen and value provenance made of a tool's result."""

    screening: Screening
    kept: int
    dropped: int

    def record(self) -> dict[str, object]:
        found = self.screening
        score = round(found.score, 3)
        return {
            "injection": found.flagged,
            # 0 rather than 0.0: the same canonical JSON, on the audit log's fast path.
            "score": int(score) if score.is_integer() else score,
            "rules": sorted(found.rules()),
            "values_kept": self.kept,
            "values_dropped": self.dropped,
        }


def screen(runtime: Runtime, result: object) -> Screening:
    """Screen what a tool returned for instructions aimed at the agent."""
    return screen_value(runtime.detector, result)


def record_values(
    runtime: Runtime,
    decision_id: str,
    ref: DecisionRef,
    read: Reading | None,
    result: object,
    screening: Screening,
    *,
    also: Callable[[Transaction], object] | None = None,
) -> Screened:
    """Record the values of what a tool returned (keyed digests) as the task's sources
    for value provenance; ``also`` writes the rest of the outcome in the same
    transaction."""
    snapshot = runtime.inventory.snapshot
    tool = snapshot.tools.get(ref.tool)
    untrusted = read.untrusted if read else bool(tool and tool.untrusted_output)
    label = read.label if read else (tool.label if tool else Label.RESTRICTED)
    receipt = runtime.provenance.record_output(
        ref.task_id,
        result,
        ProvenanceSource(
            id=decision_id,
            trust=Trust.UNTRUSTED if untrusted else Trust.TRUSTED,
            tool=ref.tool,
            resource=ref.resource,
            label=label.value,
            recorded_at=utcnow(),
        ),
        also=also,
    )
    return Screened(screening, receipt.kept, receipt.dropped)


def take_in(
    runtime: Runtime,
    decision_id: str,
    ref: DecisionRef,
    read: Reading,
    requester: str,
    *,
    injected: bool = False,
    connection: Transaction | None = None,
) -> tuple[str, ...]:
    """Add what the call took in to the task's session (in ``connection``'s transaction
    when given); the problems it raises (data above the requester's clearance)."""
    principal = runtime.directory.index.principal(requester)
    clearance = principal.clearance if principal is not None else None
    over = clearance is None or read.label.rank > clearance.rank
    source = Source(decision_id, ref.tool, ref.resource, read.label, read.untrusted, injected)
    runtime.sessions.take_in(
        ref.task_id, source, owner=read.owner, over_clearance=over, connection=connection
    )
    if not over:
        return ()
    cleared = clearance.value if clearance is not None else "nothing (not in the directory)"
    return (
        f"{ref.tool} returned {read.label.value} data to an agent working for {requester}, "
        f"who is cleared for {cleared}: what the agent publishes or sends from now on is held",
    )
