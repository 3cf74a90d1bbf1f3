"""Explain a judgment: which policies were considered, which matched, and why."""

from __future__ import annotations

from dataclasses import dataclass

from proctor.policy._compile import PolicyInfo
from proctor.policy._facts import PolicyInput
from proctor.policy._judge import Judgment, Run
from proctor.policy._loaded import State
from proctor.policy._reasons import placeholders, policy_text


@dataclass(frozen=True, slots=True)
class Match:
    """A policy whose scope and conditions held for the call, with its reason filled in."""

    policy: PolicyInfo
    reason: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """Everything behind one judgment, for a person debugging a policy set.

    ``matched`` holds every satisfied policy (permits and forbids alike), not only
    the ones that decided; ``matched_once_approved`` is filled when the call was
    held and the engine asked Cedar again as if a human had approved it.
    """

    input: PolicyInput
    candidates: tuple[str, ...]
    total: int
    matched: tuple[Match, ...]
    matched_once_approved: tuple[Match, ...]
    errors: tuple[str, ...]
    judgment: Judgment

    def render(self) -> str:
        """The explanation in plain words, one fact per line."""
        facts, judgment = self.input, self.judgment
        lines = [
            f"Agent {facts.agent.id} calls {facts.tool_name} ({facts.action}) "
            f"for task {facts.task.id or '(none)'}, requested by "
            f"{facts.task.requester or '(nobody)'}, "
            f"which grants {facts.task.granted or 'nothing'}.",
            f"Outcome: {judgment.outcome.value} ({judgment.code}).",
            f"Considered {len(self.candidates)} of {self.total} policies whose scope could match.",
        ]
        lines.extend(_section("Matched as asked", self.matched))
        if self.matched_once_approved:
            lines.extend(_section("Matched once a human approves", self.matched_once_approved))
        matched = {match.policy.id for match in (*self.matched, *self.matched_once_approved)}
        unmatched = [policy_id for policy_id in self.candidates if policy_id not in matched]
        if unmatched:
            lines.append("Considered but not matched: " + ", ".join(unmatched) + ".")
        if self.errors:
            lines.append("Errors:")
            lines.extend(f"  - {error}" for error in self.errors)
        lines.append("Reasons:")
        lines.extend(f"  - {reason.text}" for reason in judgment.reasons)
        return "\n".join(lines)


def _section(title: str, matches: tuple[Match, ...]) -> list[str]:
    if not matches:
        return [f"{title}: nothing."]
    lines = [f"{title}:"]
    for match in matches:
        info = match.policy
        effect = (
            f"forbid (approval hold, approver {info.approver})" if info.is_hold else info.effect
        )
        where = f"{info.source}:{info.line}"
        lines.append(f"  - {effect} {info.id} ({where}): {match.reason}")
    return lines


def explain(state: State, facts: PolicyInput, judgment: Judgment) -> Explanation:
    """Evaluate permits and forbids apart, so every satisfied policy shows up."""
    loaded = state.loaded
    positions, _ = loaded.slice(facts)
    entities = state.entities_for(facts)
    permits = [p for p in positions if loaded.infos[p].effect == "permit"]
    forbids = [p for p in positions if loaded.infos[p].effect != "permit"]
    halves = [loaded.policy_set(permits), loaded.policy_set(forbids)]
    values = placeholders(facts)

    def matches(approved: bool) -> tuple[tuple[Match, ...], list[str]]:
        runs: list[Run] = [state.run(half, facts, entities, approved) for half in halves]
        satisfied = sorted(p for run in runs for p in run.satisfied)
        errors = [
            f"{loaded.infos[p].id if p is not None else 'request'}: {message}"
            for run in runs
            for p, message in run.errors
        ]
        found = tuple(
            Match(loaded.infos[p], policy_text(loaded.infos[p], values)) for p in satisfied
        )
        return found, errors

    as_asked, errors = matches(facts.approved)
    once_approved: tuple[Match, ...] = ()
    held = any(match.policy.is_hold for match in as_asked)
    if held and not facts.approved:
        once_approved, more = matches(True)
        errors.extend(error for error in more if error not in errors)
    return Explanation(
        facts,
        tuple(loaded.infos[p].id for p in positions),
        len(loaded.infos),
        as_asked,
        once_approved,
        tuple(errors),
        judgment,
    )
