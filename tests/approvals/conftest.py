"""People who answer held calls, and calls that get held, on a real gateway."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from proctor.admin import Admin
from proctor.approvals import ApprovalRequest
from proctor.gateway import Gateway
from proctor.model import Decision, Label, Outcome, Task, ToolCall
from proctor.people import Person, Role
from proctor.store import utcnow
from tests.conftest import analysis_task, ensure_person, register_incident, task_token

#: The incident's public post: the analysis task did not grant publish.
POST = ToolCall("forum.post", {"thread": "4411", "body": "Widen the repo permissions"})
#: Widening access on the confidential repository.
WIDEN = ToolCall(
    "repo.set_permissions",
    {"grantee": "all-employees", "level": "read"},
    "repo:acme/payments-core",
)


class Clock:
    """Wall time, moved forward by the test."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


@dataclass(frozen=True)
class Someone:
    person: Person
    key: str


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def gateway(tmp_path: Path, clock: Clock) -> Iterator[Gateway]:
    with Gateway.open(tmp_path / "home", clock=clock) as opened:
        yield opened


@pytest.fixture
def people(admin: Admin) -> dict[str, Someone]:
    """dana (the requester), alice-lead (owns the repo), sec (security on-call),
    vic (a viewer), and forum-bot's owner platform-lead."""
    roles = {
        "dana": [Role.APPROVER],
        "alice-lead": [Role.APPROVER],
        "sec": [Role.APPROVER, Role.SECURITY],
        "vic": [Role.VIEWER],
        "aud": [Role.AUDITOR],
        "root": [Role.ADMIN],
    }
    found = {}
    for person_id, granted in roles.items():
        person = ensure_person(admin, person_id, *granted, clearance=Label.CONFIDENTIAL)
        _, key = admin.runtime.people.create_key(person_id)
        found[person_id] = Someone(person, key)
    return found


@pytest.fixture
def task(admin: Admin) -> Task:
    register_incident(admin)
    return analysis_task(admin)


@pytest.fixture
def token(admin: Admin, task: Task) -> str:
    return task_token(admin, task)


HoldCall = Callable[..., tuple[Decision, ApprovalRequest]]


@pytest.fixture
def hold(gateway: Gateway, token: str) -> HoldCall:
    """Check a call that must be held; returns the decision and its request."""

    def held(
        call: ToolCall = POST, with_token: str | None = None
    ) -> tuple[Decision, ApprovalRequest]:
        decision = gateway.check(with_token or token, call)
        assert decision.outcome is Outcome.REQUIRE_APPROVAL, decision.explain()
        assert decision.approval_id is not None
        return decision, gateway.runtime.approvals.get(decision.approval_id)

    return held
