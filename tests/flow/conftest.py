"""A gateway with the organization's domains configured, and helpers for flow tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from proctor.admin import Admin
from proctor.gateway import Gateway
from proctor.model import Capabilities, Decision, Deliverable, Task, ToolCall

ORGANIZATION = "acme.example"


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.yaml").write_text(f"flow:\n  organization_domains: [{ORGANIZATION}]\n")
    with Gateway.open(home) as opened:
        yield opened


def start_task(
    admin: Admin,
    agent_id: str,
    capabilities: Capabilities,
    *,
    requester: str = "dana",
    purpose: str = "Tidy up the team's sharing settings",
    deliverable: Deliverable | None = None,
) -> tuple[Task, str]:
    """A task for ``agent_id`` and the token its launcher hands the agent."""
    task = admin.create_task(
        agent_id=agent_id,
        requester=requester,
        purpose=purpose,
        capabilities=capabilities,
        deliverable=deliverable,
        actor="test",
    )
    return task, admin.issue_task_token(task.id, actor=requester).token


def check(
    gateway: Gateway, token: str, tool: str, resource: str | None = None, **arguments: object
) -> Decision:
    return gateway.check(token, ToolCall(tool=tool, arguments=arguments, resource=resource))


def policy_ids(decision: Decision) -> list[str]:
    return [reason.policy_id for reason in decision.reasons]
