"""LangChain and LangGraph tools behind Proctor (``pip install 'proctor[langchain]'``).

:func:`guard_tool` wraps a LangChain tool (``@tool``, ``StructuredTool``, any
``BaseTool``) in a :class:`GuardedTool` with the same name, description and argument
schema, so the model sees exactly the tool it saw before. Every invocation is checked
with the model's arguments before the wrapped tool runs; only an allowed call runs;
its outcome is recorded. A refused call runs nothing and answers the way LangChain
answers a handled ``ToolException``: a ``ToolMessage`` with ``status="error"`` that
the model reads (or, with ``handle_refusal=False``, the ``ToolException`` itself).

A call held for approval either waits (``wait=``), tells the model it is pending
(``on_hold="error"``, the default), or interrupts the LangGraph run
(``on_hold="interrupt"``): ``langgraph.types.interrupt`` pauses the graph with the
decision as its value; resume with ``Command(resume=...)`` once a person has answered
in Proctor, and the tool is checked again.

An allowed ``publish``/``send_external`` call must carry a provenance stamp:
``guard_tool(..., stamp="body")`` appends it to the string argument ``body``; a tool
with a ``proctor_stamp`` parameter (annotate it ``InjectedToolArg`` so the model is not
asked for it) receives its parts. A call that can be stamped neither way does not run:
it is refused like a denied call, with code ``obligation_unmet``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, Literal

from langchain_core.messages import ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, ToolException
from langchain_core.tools.base import ArgsSchema
from langchain_core.utils.pydantic import TypeBaseModel
from pydantic import ConfigDict

from proctor.integrations._guard import (
    Answer,
    GuardedCall,
    ResourceSpec,
    TokenSource,
    ToolGuard,
    Verdict,
    check_stamp_names,
    check_stamp_target,
)
from proctor.sdk import Checker
from proctor.sdk._obligations import STAMP_PARAMETER

__all__ = ["GuardedTool", "ProctorRefusal", "guard_tool", "guard_tools"]

OnHold = Literal["error", "interrupt"]


class ProctorRefusal(ToolException):
    """A call Proctor did not let run (denied, or held for approval)."""

    def __init__(self, message: str, answer: Answer) -> None:
        super().__init__(message)
        self.answer = answer


class GuardedTool(BaseTool):
    """A LangChain tool whose every call is checked by Proctor before it runs.

    Name, description, argument schema, ``return_direct`` and ``response_format`` are
    the wrapped tool's; running is the wrapped tool's own ``run``/``arun`` (its
    validation, callbacks and error handling unchanged).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    wrapped: BaseTool
    guard: ToolGuard
    on_hold: OnHold = "error"
    handle_refusal: bool = True

    @property
    def args(self) -> dict[str, Any]:
        return self.wrapped.args

    @property
    def tool_call_schema(self) -> ArgsSchema:
        return self.wrapped.tool_call_schema

    def get_input_schema(self, config: RunnableConfig | None = None) -> TypeBaseModel:
        return self.wrapped.get_input_schema(config)

    def _run(self, *args: Any, **kwargs: Any) -> Any:
        # Never reached: run() and arun() are overridden and delegate to the wrapped tool.
        raise NotImplementedError("GuardedTool runs through run() and arun()")

    def run(self, tool_input: str | dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        call = self._begin(tool_input)
        answer = self._settled(call, call.authorize())
        if answer.verdict is not Verdict.RUN:
            return self._refusal(answer, kwargs.get("tool_call_id"))
        try:
            result = self.wrapped.run(self._run_input(tool_input, answer), *args, **kwargs)
        except BaseException as exc:
            call.failed(exc)
            raise
        _report(call, result)
        return result

    async def arun(self, tool_input: str | dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        call = self._begin(tool_input)
        # The checker is synchronous (and may do I/O): keep the event loop free.
        answer = self._settled(call, await asyncio.to_thread(call.authorize))
        if answer.verdict is not Verdict.RUN:
            return self._refusal(answer, kwargs.get("tool_call_id"))
        try:
            run_input = self._run_input(tool_input, answer)
            result = await self.wrapped.arun(run_input, *args, **kwargs)
        except BaseException as exc:
            await asyncio.to_thread(call.failed, exc)
            raise
        await asyncio.to_thread(_report, call, result)
        return result

    def _begin(self, tool_input: str | dict[str, Any]) -> GuardedCall:
        """The call, judged on what the model sent, run with all of ``tool_input``."""
        return self.guard.begin(self._arguments(tool_input), self._as_dict(tool_input))

    def _arguments(self, tool_input: str | dict[str, Any]) -> dict[str, Any]:
        """What the model sent, without the values the runtime injects (graph state,
        store, the tool call id): those are not the model's to choose."""
        visible = _visible_arguments(self.wrapped)
        if isinstance(tool_input, str) or visible is None:
            return self._as_dict(tool_input)
        return {name: value for name, value in tool_input.items() if name in visible}

    def _as_dict(self, tool_input: str | dict[str, Any]) -> dict[str, Any]:
        if isinstance(tool_input, str):
            return {self._single_name(): tool_input}
        return dict(tool_input)

    def _single_name(self) -> str:
        """The name a string input goes by: the tool's one visible argument, or ``input``."""
        visible = _visible_arguments(self.wrapped)
        return next(iter(visible)) if visible and len(visible) == 1 else "input"

    def _run_input(self, tool_input: str | dict[str, Any], answer: Answer) -> str | dict[str, Any]:
        """What the wrapped tool runs with: the input as it came, unless honouring the
        decision's obligations (the provenance stamp) changed it."""
        arguments = dict(answer.arguments or {})
        if arguments == self._as_dict(tool_input):
            return tool_input
        name = self._single_name()
        if isinstance(tool_input, str) and set(arguments) == {name}:
            return str(arguments[name])
        return arguments

    def _settled(self, call: GuardedCall, answer: Answer) -> Answer:
        """The answer to act on: with ``on_hold="interrupt"``, a held call pauses the
        graph and is checked again once resumed."""
        if answer.verdict is Verdict.HELD and self.on_hold == "interrupt":
            return _interrupt(call, answer, self.name)
        return answer

    def _refusal(self, answer: Answer, tool_call_id: str | None) -> Any:
        """What the tool answers instead of running (or raises, without ``handle_refusal``)."""
        message = answer.message(self.name)
        if not self.handle_refusal:
            raise ProctorRefusal(message, answer)
        if tool_call_id is None:
            return message
        return ToolMessage(message, tool_call_id=tool_call_id, name=self.name, status="error")


def _interrupt(call: GuardedCall, answer: Answer, name: str) -> Answer:
    """Pause the LangGraph run on a held call; once resumed, check the same call again."""
    from langgraph.types import interrupt

    interrupt({"proctor": answer.details(name)})
    # Resumed: people may have answered in Proctor meanwhile.
    return call.authorize()


def _report(call: GuardedCall, result: Any) -> None:
    """Record a finished call; a tool error LangChain handled into a message is a failure."""
    if isinstance(result, ToolMessage) and result.status == "error":
        call.failed(str(result.content))
    else:
        call.succeeded(result.content if isinstance(result, ToolMessage) else result)


def _visible_arguments(tool: BaseTool) -> set[str] | None:
    """The argument names the model sees (None when the tool has no known schema)."""
    return _schema_names(tool.tool_call_schema)


def _parameters(tool: BaseTool) -> set[str] | None:
    """Every argument the tool takes, those the runtime injects included."""
    schema = tool.args_schema
    if schema is None:
        return set(tool.args)
    return _schema_names(schema)


def _schema_names(schema: ArgsSchema | None) -> set[str] | None:
    if isinstance(schema, dict):
        properties = schema.get("properties")
        return set(properties) if isinstance(properties, dict) else None
    fields = getattr(schema, "model_fields", None)
    return set(fields) if isinstance(fields, Mapping) else None


def guard_tool(
    tool: BaseTool,
    *,
    name: str | None = None,
    resource: ResourceSpec = None,
    checker: Checker | None = None,
    token: TokenSource | None = None,
    wait: timedelta | None = None,
    on_hold: OnHold = "error",
    handle_refusal: bool = True,
    stamp: str | None = None,
) -> GuardedTool:
    """Wrap ``tool`` so every call is checked as the inventory tool ``name``.

    ``name`` defaults to the tool's own name. ``resource`` is a fixed resource id or a
    function of the call's arguments (a dict) returning one. ``checker`` and ``token``
    default to those of the active :func:`proctor.sdk.session`. ``wait``: how long a
    held call waits for people before ``on_hold`` applies. ``stamp``: the string
    argument an allowed call's provenance stamp is appended to (``TypeError`` if the
    tool has no such argument).
    """
    parameters = _parameters(tool)
    check_stamp_target(tool.name, stamp, parameters)
    takes_stamp = parameters is not None and STAMP_PARAMETER in parameters
    guard = ToolGuard(name or tool.name, resource, checker, token, wait, stamp, takes_stamp)
    return GuardedTool(
        name=tool.name,
        description=tool.description,
        args_schema=tool.args_schema,
        return_direct=tool.return_direct,
        response_format=tool.response_format,
        tags=tool.tags,
        metadata=tool.metadata,
        extras=tool.extras,
        wrapped=tool,
        guard=guard,
        on_hold=on_hold,
        handle_refusal=handle_refusal,
    )


def guard_tools(
    tools: Iterable[BaseTool],
    *,
    prefix: str = "",
    checker: Checker | None = None,
    token: TokenSource | None = None,
    wait: timedelta | None = None,
    on_hold: OnHold = "error",
    stamps: Mapping[str, str] | None = None,
) -> list[GuardedTool]:
    """Wrap each tool; its inventory name is ``prefix`` followed by the tool's name.
    ``stamps`` maps a tool's name to its stamp argument (see :func:`guard_tool`)."""
    tools = list(tools)
    stamps = stamps or {}
    check_stamp_names(stamps, {tool.name for tool in tools})
    return [
        guard_tool(
            tool,
            name=prefix + tool.name,
            checker=checker,
            token=token,
            wait=wait,
            on_hold=on_hold,
            stamp=stamps.get(tool.name),
        )
        for tool in tools
    ]
