"""Helpers for the incident replays: play a scenario in a fresh gateway, and read what
the audit log says of a decision."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from proctor.demo import Replay, Scenario, play, prepare_data_dir
from proctor.gateway import Gateway
from proctor.model import Decision


@contextmanager
def replayed(
    scenario: Scenario, data_dir: Path, *, demo_settings: bool = True
) -> Iterator[tuple[Replay, Gateway]]:
    """``scenario`` played alone in a fresh gateway, which stays open for inspection;
    its data directory has the settings ``proctor demo`` writes (unless
    ``demo_settings`` is false: then the defaults)."""
    if demo_settings:
        prepare_data_dir(data_dir)
    with Gateway.open(data_dir) as gateway:
        yield play(gateway, scenario), gateway


def policy_ids(decision: Decision) -> set[str]:
    return {reason.policy_id for reason in decision.reasons}


def approvers(decision: Decision) -> set[str]:
    """The approval rules the decision's holds name (``requester``, ``data_owner``…)."""
    return {reason.approver for reason in decision.reasons if reason.approver}


def audited(gateway: Gateway, kind: str, decision_id: str) -> list[dict[str, Any]]:
    """The bodies of the audit entries of ``kind`` about ``decision_id``, in order."""
    return [
        entry.body
        for entry in gateway.runtime.audit.iter_entries(kinds={kind})
        if entry.body.get("decision_id") == decision_id
    ]
