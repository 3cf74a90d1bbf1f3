"""Tasks: what a human asked an agent to do, and therefore what it may do."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from proctor.errors import InvalidInput, NotFound
from proctor.inventory import check_agent_id, check_resource_id, check_tool_name
from proctor.model import ActionClass, Audience, Capabilities, Deliverable, Task
from proctor.store import Database, as_utc, utcnow
from proctor.tasks._tables import tasks

DEFAULT_TASK_TTL = timedelta(hours=1)
MAX_TASK_TTL = timedelta(hours=24)
_CACHE_SIZE = 65_536


class Tasks:
    """Creates and looks up tasks. A task never changes after it is created."""

    def __init__(self, database: Database):
        self._db = database
        self._cache: OrderedDict[str, Task] = OrderedDict()
        self._lock = threading.Lock()

    def create(
        self,
        *,
        agent_id: str,
        requester: str,
        purpose: str,
        capabilities: Capabilities,
        created_by: str,
        deliverable: Deliverable | None = None,
        ttl: timedelta = DEFAULT_TASK_TTL,
    ) -> Task:
        """Create a task; refuses an empty purpose and a lifetime over 24 hours."""
        check_agent_id(agent_id)
        check_agent_id(requester, "requester")
        for pattern in capabilities.tools:
            check_tool_name(pattern.replace("*", "x").replace("?", "x"))
        for pattern in capabilities.resources or ():
            check_resource_id(pattern)
        if not purpose.strip():
            raise InvalidInput("a task needs a purpose: say what the agent is asked to do")
        if not timedelta(0) < ttl <= MAX_TASK_TTL:
            raise InvalidInput(f"task lifetime must be more than 0 and at most {MAX_TASK_TTL}")
        now = utcnow()
        task = Task(
            id="task_" + secrets.token_hex(8),
            agent_id=agent_id,
            requester=requester,
            purpose=purpose.strip(),
            capabilities=capabilities,
            created_at=now,
            expires_at=now + ttl,
            deliverable=deliverable,
            created_by=created_by,
        )
        with self._db.begin() as connection:
            connection.execute(sa.insert(tasks).values(_task_row(task)))
        self._remember(task)
        return task

    def get(self, task_id: str) -> Task:
        """The task with this id; cached, since tasks are immutable."""
        cached = self._cache.get(task_id)
        if cached is not None:
            return cached
        with self._db.connect() as connection:
            row = (
                connection.execute(sa.select(tasks).where(tasks.c.id == task_id)).mappings().first()
            )
        if row is None:
            raise NotFound(f"task {task_id!r} does not exist")
        task = _task_from_row(row)
        self._remember(task)
        return task

    def find(self, task_id: str) -> Task | None:
        try:
            return self.get(task_id)
        except NotFound:
            return None

    def list(self, *, agent_id: str | None = None, limit: int = 100) -> list[Task]:
        query = sa.select(tasks).order_by(tasks.c.created_at.desc()).limit(limit)
        if agent_id is not None:
            query = query.where(tasks.c.agent_id == agent_id)
        with self._db.connect() as connection:
            return [_task_from_row(row) for row in connection.execute(query).mappings()]

    def _remember(self, task: Task) -> None:
        with self._lock:
            self._cache[task.id] = task
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)


def _task_row(task: Task) -> dict[str, Any]:
    deliverable = task.deliverable
    return {
        "id": task.id,
        "agent_id": task.agent_id,
        "requester": task.requester,
        "purpose": task.purpose,
        "actions": sorted(a.value for a in task.capabilities.actions),
        "tool_patterns": list(task.capabilities.tools),
        "resource_patterns": (
            list(task.capabilities.resources) if task.capabilities.resources is not None else None
        ),
        "deliverable_description": deliverable.description if deliverable else None,
        "deliverable_audience": deliverable.audience.value if deliverable else None,
        "created_by": task.created_by,
        "created_at": task.created_at,
        "expires_at": task.expires_at,
    }


def _task_from_row(row: Any) -> Task:
    deliverable = None
    if row["deliverable_audience"]:
        deliverable = Deliverable(
            description=row["deliverable_description"] or "",
            audience=Audience(row["deliverable_audience"]),
        )
    return Task(
        id=row["id"],
        agent_id=row["agent_id"],
        requester=row["requester"],
        purpose=row["purpose"],
        capabilities=Capabilities(
            actions=frozenset(ActionClass(a) for a in row["actions"]),
            tools=tuple(row["tool_patterns"]),
            resources=(
                tuple(row["resource_patterns"]) if row["resource_patterns"] is not None else None
            ),
        ),
        created_at=as_utc(row["created_at"]),
        expires_at=as_utc(row["expires_at"]),
        deliverable=deliverable,
        created_by=row["created_by"],
    )
