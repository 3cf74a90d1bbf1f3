"""Fixtures shared by the whole suite: real data directories, a real gateway."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from proctor.admin import Admin
from proctor.directory import Human, put_human
from proctor.gateway import Gateway
from proctor.model import (
    ActionClass,
    Agent,
    Audience,
    Capabilities,
    Deliverable,
    Label,
    Resource,
    Task,
    Tool,
)
from proctor.people import Person, Role

REPO_ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = os.environ.get(
    "PROCTOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def service_unavailable(reason: str) -> None:
    """Skip with ``reason``; but fail when ``PROCTOR_REQUIRE_SERVICES=1`` (as in CI)."""
    if os.environ.get("PROCTOR_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        service_unavailable("the psycopg driver is not installed (pip install -e '.[test]')")
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"proctor_test_{secrets.token_hex(6)}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        admin.dispose()
        service_unavailable(f"no PostgreSQL server at {POSTGRES_ADMIN_URL}: {exc.orig}")
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    with Gateway.open(tmp_path / "home") as opened:
        yield opened


@pytest.fixture
def admin(gateway: Gateway) -> Admin:
    return Admin(gateway)


def ensure_person(
    admin: Admin, person_id: str, *roles: Role, clearance: Label = Label.INTERNAL
) -> Person:
    """``person_id`` in the directory, holding at least ``roles`` and ``clearance``."""
    found = admin.runtime.people.find(person_id)
    held = found.roles if found else frozenset()
    level = max(clearance, found.clearance, key=lambda label: label.rank) if found else clearance
    human = Human(person_id, person_id.title(), None, held | set(roles), level)
    put_human(admin, human, actor="test")
    return admin.runtime.people.get(person_id)


def register_incident(admin: Admin) -> None:
    """The forum agent, its tools and resources, as in the demo, and the people behind
    them: dana (the requester, cleared for confidential data) and alice-lead (the
    payments repository's owner)."""
    ensure_person(admin, "dana", clearance=Label.CONFIDENTIAL)
    ensure_person(admin, "alice-lead", clearance=Label.CONFIDENTIAL)
    admin.put_agent(Agent(id="forum-bot", name="Forum assistant", owner="platform-team"), actor="t")
    for tool in (
        Tool("forum.read_thread", ActionClass.READ, Label.INTERNAL),
        Tool("forum.post", ActionClass.PUBLISH, Label.INTERNAL, audience=Audience.ORGANIZATION),
        Tool(
            "forum.reply_private", ActionClass.PUBLISH, Label.INTERNAL, audience=Audience.REQUESTER
        ),
        Tool("repo.set_permissions", ActionClass.MODIFY_PERMISSIONS, Label.CONFIDENTIAL),
        Tool("vault.read_secret", ActionClass.READ, Label.RESTRICTED),
        Tool("forum.edit", ActionClass.WRITE, Label.INTERNAL),
    ):
        admin.put_tool(tool, actor="t")
    admin.put_resource(Resource("forum:thread-4411", "forum-admins", Label.INTERNAL), actor="t")
    admin.put_resource(
        Resource("repo:acme/payments-core", "alice-lead", Label.CONFIDENTIAL), actor="t"
    )


def analysis_task(admin: Admin, agent_id: str = "forum-bot") -> Task:
    return admin.create_task(
        agent_id=agent_id,
        requester="dana",
        purpose="Analyze the question in thread 4411 and reply privately to me",
        capabilities=Capabilities(actions=frozenset({ActionClass.READ})),
        deliverable=Deliverable("private reply to the requester", Audience.REQUESTER),
        actor="dana",
    )


@pytest.fixture
def incident(admin: Admin) -> Task:
    register_incident(admin)
    return analysis_task(admin)


def task_token(admin: Admin, task: Task) -> str:
    """The task token the launcher hands the task's agent."""
    return admin.issue_task_token(task.id, actor=task.requester).token


@pytest.fixture
def incident_token(admin: Admin, incident: Task) -> str:
    """forum-bot's token for the incident's analysis task."""
    return task_token(admin, incident)
