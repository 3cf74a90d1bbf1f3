"""Three outcomes from a two-outcome engine.

Cedar answers Allow or Deny. Proctor reads a Deny whose every satisfied forbid is
an approval hold (``@outcome("approval")``) as "a human may lift this": it asks
Cedar again as if the call were approved, and only if that is an Allow is the
outcome ``require_approval``. Anything else that forbids a call denies it; deny
always wins. Cedar skips a policy whose evaluation errors, which for a forbid
would fail open, so any evaluation error denies the call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from proctor.model import Obligation, Outcome, Reason
from proctor.policy._compile import PolicyInfo
from proctor.policy._reasons import default_deny, error_reason, policy_reason

ALLOWED = "allowed"
APPROVAL_REQUIRED = "approval_required"
POLICY_DENIED = "policy_denied"
POLICY_ERROR = "policy_error"

_ERROR_POLICY = re.compile(r"^error while evaluating policy `p(\d+)`: ")


@dataclass(frozen=True, slots=True)
class Judgment:
    """The policy engine's answer for one call.

    ``candidates`` (how many policies Cedar evaluated) describes the cost, not the
    answer, so it takes no part in equality.
    """

    outcome: Outcome
    code: str
    reasons: tuple[Reason, ...]
    obligations: tuple[Obligation, ...] = ()
    policy_ids: tuple[str, ...] = ()
    candidates: int = field(default=0, compare=False)
    #: For ``require_approval``: the allow the call gets once approved, from the run
    #: that found lifting the holds would permit it (an approval need not ask again).
    lifted: Judgment | None = field(default=None, compare=False)

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOW


@dataclass(frozen=True, slots=True)
class Run:
    """One Cedar evaluation, with policies named by their position in the loaded set."""

    allowed: bool
    satisfied: tuple[int, ...]
    errors: tuple[tuple[int | None, str], ...]


def read_result(decision: str, reasons: Sequence[str], messages: Sequence[str]) -> Run:
    """A :class:`Run` from Cedar's decision and diagnostics (policy ids are ``p<position>``)."""
    satisfied = tuple(sorted(int(cedar_id[1:]) for cedar_id in reasons))
    errors: list[tuple[int | None, str]] = []
    for message in messages:
        match = _ERROR_POLICY.match(message)
        if match:
            errors.append((int(match.group(1)), message[match.end() :]))
        else:
            errors.append((None, message))
    if decision not in ("Allow", "Deny") and not errors:
        errors.append((None, f"Cedar reached no decision ({decision})"))
    errors.sort(key=lambda error: (error[0] is not None, error[0] or 0, error[1]))
    return Run(decision == "Allow", satisfied, tuple(errors))


def decide(
    evaluate: Callable[[bool], Run],
    approved: bool,
    policies: Sequence[PolicyInfo],
    values: dict[str, str],
    candidates: int,
) -> Judgment:
    """Turn Cedar's answers into allow, require_approval or deny (see the module doc)."""
    first = evaluate(approved)
    if first.errors:
        return _error(first, policies, candidates)
    if first.allowed:
        return _allow(first, policies, values, candidates)
    forbids = [policies[position] for position in first.satisfied]
    if not forbids:
        return Judgment(Outcome.DENY, POLICY_DENIED, (default_deny(values),), candidates=candidates)
    holds = [info for info in forbids if info.is_hold]
    if len(holds) < len(forbids):
        hard = [info for info in forbids if not info.is_hold]
        return _deny([*hard, *holds], values, candidates)
    second = evaluate(True)
    if second.errors:
        return _error(second, policies, candidates)
    if second.allowed:
        reasons = tuple(policy_reason(info, values) for info in holds)
        ids = tuple(info.id for info in holds)
        lifted = _allow(second, policies, values, candidates)
        return Judgment(
            Outcome.REQUIRE_APPROVAL, APPROVAL_REQUIRED, reasons, (), ids, candidates, lifted
        )
    still = [policies[position] for position in second.satisfied]
    if not still:
        return Judgment(Outcome.DENY, POLICY_DENIED, (default_deny(values),), candidates=candidates)
    return _deny(still, values, candidates)


def _allow(
    run: Run, policies: Sequence[PolicyInfo], values: dict[str, str], candidates: int
) -> Judgment:
    permits = [policies[position] for position in run.satisfied]
    kinds = dict.fromkeys(kind for info in permits for kind in info.obligations)
    return Judgment(
        Outcome.ALLOW,
        ALLOWED,
        tuple(policy_reason(info, values) for info in permits),
        tuple(Obligation(kind) for kind in kinds),
        tuple(info.id for info in permits),
        candidates,
    )


def _deny(forbids: Sequence[PolicyInfo], values: dict[str, str], candidates: int) -> Judgment:
    reasons = tuple(policy_reason(info, values) for info in forbids)
    ids = tuple(info.id for info in forbids)
    return Judgment(Outcome.DENY, POLICY_DENIED, reasons, (), ids, candidates)


def _error(run: Run, policies: Sequence[PolicyInfo], candidates: int) -> Judgment:
    reasons = tuple(
        error_reason(policies[position].id if position is not None else None, message)
        for position, message in run.errors
    )
    ids = tuple(policies[position].id for position in run.satisfied)
    return Judgment(Outcome.DENY, POLICY_ERROR, reasons, (), ids, candidates)
