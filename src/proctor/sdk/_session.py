"""Who is calling, for code that runs many guarded calls under one task token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from proctor.errors import ProctorError
from proctor.sdk._checker import Checker

#: A task token, or a function returning the current one (for agents that refresh it).
TokenSource = str | Callable[[], str]


@dataclass(frozen=True, slots=True)
class Session:
    """The checker guarded calls go to, and the task token they are made under."""

    checker: Checker
    token: TokenSource

    def current_token(self) -> str:
        """The token to present now (calling the source if it is a function)."""
        return self.token() if callable(self.token) else self.token


_current: ContextVar[Session | None] = ContextVar("proctor_session", default=None)


@contextmanager
def session(checker: Checker, *, token: TokenSource) -> Iterator[Session]:
    """Make guarded calls inside the block go to ``checker`` under the task token ``token``.

    The token (what the launcher or ``POST /v1/token`` handed the agent) says which
    agent calls, on which task, for whom. Pass a function instead of a string to
    present a refreshed token on each call. The session lives in a context
    variable, so it follows the code into threads started with
    ``contextvars.copy_context()``, ``asyncio`` tasks and ``asyncio.to_thread``;
    sessions nest, the innermost wins.
    """
    active = Session(checker, token)
    reset = _current.set(active)
    try:
        yield active
    finally:
        _current.reset(reset)


def current_session() -> Session | None:
    """The innermost active session, if any."""
    return _current.get()


def resolve_session(checker: Checker | None, token: TokenSource | None) -> Session:
    """Fill what a decorator did not say from the active session, or refuse."""
    active = _current.get()
    checker = checker or (active.checker if active else None)
    token = token or (active.token if active else None)
    if checker is None or not token:
        raise ProctorError(
            "a guarded call needs a checker and a task token: pass them to @guarded or "
            "make the call inside 'with session(checker, token=...)'",
            code="no_session",
        )
    return Session(checker, token)
