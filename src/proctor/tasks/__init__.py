"""Tasks: requester, purpose, granted capabilities, deliverable, expiry."""

from proctor.tasks._tasks import DEFAULT_TASK_TTL, MAX_TASK_TTL, Tasks

__all__ = ["DEFAULT_TASK_TTL", "MAX_TASK_TTL", "Tasks"]
