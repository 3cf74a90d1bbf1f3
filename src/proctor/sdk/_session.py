"""Who is calling, for code that runs many guarded calls for one agent and task."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from proctor.errors import ProctorError
from proctor.sdk._checker import Checker


@dataclass(frozen=True, slots=True)
class Session:
    """The checker guarded calls go to, and the agent and task they are made for."""

    checker: Checker
    agent_id: str
    task_id: str


_current: ContextVar[Session | None] = ContextVar("proctor_session", default=None)


@contextmanager
def session(checker: Checker, *, agent_id: str, task_id: str) -> Iterator[Session]:
    """Make guarded calls inside the block go to ``checker`` for this agent and task.

    The session lives in a context variable, so it follows the code into threads
    started with ``contextvars.copy_context()``, ``asyncio`` tasks and
    ``asyncio.to_thread``; sessions nest, the innermost wins.
    """
    active = Session(checker, agent_id, task_id)
    token = _current.set(active)
    try:
        yield active
    finally:
        _current.reset(token)


def current_session() -> Session | None:
    """The innermost active session, if any."""
    return _current.get()


def resolve_session(checker: Checker | None, agent_id: str | None, task_id: str | None) -> Session:
    """Fill what a decorator did not say from the active session, or refuse."""
    active = _current.get()
    checker = checker or (active.checker if active else None)
    agent_id = agent_id or (active.agent_id if active else None)
    task_id = task_id or (active.task_id if active else None)
    if checker is None or agent_id is None or task_id is None:
        raise ProctorError(
            "a guarded call needs a checker, an agent_id and a task_id: pass them to "
            "@guarded or make the call inside 'with session(checker, agent_id=..., task_id=...)'",
            code="no_session",
        )
    return Session(checker, agent_id, task_id)
