"""OpenAI Agents SDK function tools behind Proctor (``pip install 'proctor[openai-agents]'``).

:func:`guard_function_tool` returns a copy of a ``FunctionTool`` (made with
``@function_tool`` or by hand) with the same name, description, JSON schema and
settings, whose invoker checks every call with the model's arguments before the
original invoker runs. A refused call runs nothing: the tool returns an error message
as its output, which is how the Agents SDK shows a tool failure to the model (the
same path as its ``failure_error_function``). With ``raise_on_refusal=True`` the run
stops with :class:`ProctorToolRefused` instead.

A call held for approval waits for people when ``wait=`` is given; otherwise (or when
the wait runs out) the model is told the call is pending, with its decision id.

An allowed ``publish``/``send_external`` call must carry a provenance stamp:
``guard_function_tool(..., stamp="body")`` appends it to the string argument ``body``;
a function with a ``proctor_stamp`` parameter receives its parts (the parameter is
left out of the schema the model sees). A call that can be stamped neither way does
not run: it is refused like a denied call, with code ``obligation_unmet``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from agents import FunctionTool
from agents.exceptions import AgentsException
from agents.tool_context import ToolContext

from proctor.integrations._guard import (
    Answer,
    ResourceSpec,
    TokenSource,
    ToolGuard,
    Verdict,
    check_stamp_names,
    check_stamp_target,
    hide_stamp_parameter,
    schema_properties,
)
from proctor.sdk import Checker
from proctor.sdk._obligations import STAMP_PARAMETER

__all__ = ["ProctorToolRefused", "guard_function_tool", "guard_function_tools"]

#: The attribute the Agents SDK sets on invokers of synchronous ``@function_tool``
#: functions; copied so the SDK's own checks (timeouts) see the same tool.
_SYNC_MARKER = "__agents_sync_function_tool__"


class ProctorToolRefused(AgentsException):
    """Raised (with ``raise_on_refusal=True``) when Proctor did not let a call run."""

    def __init__(self, message: str, answer: Answer) -> None:
        super().__init__(message)
        self.answer = answer


def guard_function_tool(
    tool: FunctionTool,
    *,
    name: str | None = None,
    resource: ResourceSpec = None,
    checker: Checker | None = None,
    token: TokenSource | None = None,
    wait: timedelta | None = None,
    raise_on_refusal: bool = False,
    stamp: str | None = None,
) -> FunctionTool:
    """A copy of ``tool`` whose every call is checked as the inventory tool ``name``.

    ``name`` defaults to the tool's own name. ``resource`` is a fixed resource id or a
    function of the call's arguments (a dict) returning one. ``checker`` and ``token``
    default to those of the active :func:`proctor.sdk.session`. ``stamp``: the string
    argument an allowed call's provenance stamp is appended to (``TypeError`` if the
    tool has no such argument).
    """
    parameters = schema_properties(tool.params_json_schema)
    check_stamp_target(tool.name, stamp, parameters)
    takes_stamp = parameters is not None and STAMP_PARAMETER in parameters
    guard = ToolGuard(name or tool.name, resource, checker, token, wait, stamp, takes_stamp)
    original = tool.on_invoke_tool

    async def invoke(ctx: ToolContext[Any], input_json: str) -> Any:
        arguments = _arguments(input_json)
        call = guard.begin(arguments)
        answer = await asyncio.to_thread(call.authorize)
        if answer.verdict is not Verdict.RUN:
            message = answer.message(tool.name)
            if raise_on_refusal:
                raise ProctorToolRefused(message, answer)
            return message
        honoured = dict(answer.arguments or {})
        run_json = input_json if honoured == arguments else json.dumps(honoured)
        try:
            result = await original(ctx, run_json)
        except BaseException as exc:
            await asyncio.to_thread(call.failed, exc)
            raise
        # A tool error the SDK turned into a message for the model comes back as a
        # result: it is recorded as succeeded, with that message as the summary.
        await asyncio.to_thread(call.succeeded, result)
        return result

    if getattr(original, _SYNC_MARKER, False):
        setattr(invoke, _SYNC_MARKER, True)
    schema = tool.params_json_schema
    shown = hide_stamp_parameter(schema) if takes_stamp else schema
    return dataclasses.replace(tool, on_invoke_tool=invoke, params_json_schema=shown)


def guard_function_tools(
    tools: Iterable[FunctionTool],
    *,
    prefix: str = "",
    checker: Checker | None = None,
    token: TokenSource | None = None,
    wait: timedelta | None = None,
    stamps: Mapping[str, str] | None = None,
) -> list[FunctionTool]:
    """Guard each tool; its inventory name is ``prefix`` followed by the tool's name.
    ``stamps`` maps a tool's name to its stamp argument (see :func:`guard_function_tool`)."""
    tools = list(tools)
    stamps = stamps or {}
    check_stamp_names(stamps, {tool.name for tool in tools})
    return [
        guard_function_tool(
            tool,
            name=prefix + tool.name,
            checker=checker,
            token=token,
            wait=wait,
            stamp=stamps.get(tool.name),
        )
        for tool in tools
    ]


def _arguments(input_json: str) -> dict[str, Any]:
    """The model's arguments; input that is not a JSON object is judged as it came."""
    try:
        parsed = json.loads(input_json) if input_json else {}
    except ValueError:
        return {"input": input_json}
    return parsed if isinstance(parsed, dict) else {"input": parsed}
