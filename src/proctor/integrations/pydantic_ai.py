"""PydanticAI tools behind Proctor (``pip install 'proctor[pydantic-ai]'``).

:class:`ProctorToolset` wraps any PydanticAI toolset (a ``FunctionToolset``, an MCP
server, a combined toolset): the tools, their names and schemas are the wrapped
toolset's, so the model sees the same tools. Every call is checked with its validated
arguments before the wrapped toolset runs it; only an allowed call runs; its outcome
is recorded.

- **Denied**: the call raises ``ToolFailed``: the model reads why, and (unlike
  ``ModelRetry``) it does not use up the tool's retries.
- **Held for approval**: with ``wait=`` the call first waits for people. Still held,
  it raises ``ApprovalRequired`` (``on_hold="defer"``, the default): the run ends with
  ``DeferredToolRequests`` whose ``metadata[tool_call_id]["proctor"]`` names the
  decision. Once a person approved it in Proctor, run the agent again with
  ``deferred_tool_results`` (:func:`proctor_approvals` builds them) and the call is
  checked again. An app's approval alone never lifts Proctor's hold. With
  ``on_hold="fail"`` a held call raises ``ToolFailed`` instead.

An allowed ``publish``/``send_external`` call must carry a provenance stamp:
``stamps={"post": "body"}`` appends it to the string argument ``body`` of the tool
``post``; a tool with a ``proctor_stamp`` parameter receives its parts (the parameter is
left out of the schema the model sees). A call that can be stamped neither way does
not run: it raises ``ToolFailed`` like a denied call, with code ``obligation_unmet``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, Literal

from pydantic_ai import (
    ApprovalRequired,
    CallDeferred,
    DeferredToolRequests,
    DeferredToolResults,
    ModelRetry,
    RunContext,
    ToolDenied,
    ToolFailed,
)
from pydantic_ai.toolsets import WrapperToolset
from pydantic_ai.toolsets.abstract import ToolsetTool

from proctor.approvals import ApprovalStatus
from proctor.integrations._guard import (
    ResourceSpec,
    TokenSource,
    ToolGuard,
    Verdict,
    hide_stamp_parameter,
    schema_properties,
)
from proctor.sdk import Checker, current_session, wait
from proctor.sdk._obligations import STAMP_PARAMETER

__all__ = ["ProctorToolset", "proctor_approvals"]

OnHold = Literal["defer", "fail"]

#: Marks (in a tool definition's metadata) a tool whose ``proctor_stamp`` parameter this
#: toolset hid from the model.
_TAKES_STAMP = "proctor_takes_stamp"


@dataclass
class ProctorToolset(WrapperToolset[Any]):
    """A toolset whose every tool call is checked by Proctor before the wrapped one runs.

    ``names`` maps a tool's name to its name in the inventory; tools not named there are
    checked as ``prefix`` followed by their own name. ``resources`` maps a tool's name
    to a fixed resource id or a function of the call's arguments. ``stamps`` maps a
    tool's name to the string argument an allowed call's provenance stamp is appended
    to. ``checker`` and ``token`` default to those of the active
    :func:`proctor.sdk.session`.
    """

    names: Mapping[str, str] = field(default_factory=dict)
    prefix: str = ""
    resources: Mapping[str, ResourceSpec] = field(default_factory=dict)
    checker: Checker | None = None
    token: TokenSource | None = None
    wait: timedelta | None = None
    on_hold: OnHold = "defer"
    stamps: Mapping[str, str] = field(default_factory=dict)

    def inventory_name(self, name: str) -> str:
        """The name a call of the tool ``name`` is checked as."""
        return self.names.get(name, self.prefix + name)

    async def get_tools(self, ctx: RunContext[Any]) -> dict[str, ToolsetTool[Any]]:
        """The wrapped toolset's tools, less the ``proctor_stamp`` parameter the guard fills."""
        tools = await super().get_tools(ctx)
        return {name: _stamp_hidden(tool) for name, tool in tools.items()}

    async def call_tool(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[Any], tool: ToolsetTool[Any]
    ) -> Any:
        guard = ToolGuard(
            self.inventory_name(name),
            self.resources.get(name),
            self.checker,
            self.token,
            self.wait,
            self.stamps.get(name),
            _takes_stamp(tool),
        )
        call = guard.begin(tool_args)
        # The checker is synchronous (and may do I/O): keep the event loop free.
        answer = await asyncio.to_thread(call.authorize)
        held = answer.verdict is Verdict.HELD
        if held and self.on_hold == "defer" and not ctx.tool_call_approved:
            raise ApprovalRequired(metadata={"proctor": answer.details(name)})
        if answer.verdict is not Verdict.RUN:
            raise ToolFailed(answer.message(name))
        try:
            result = await super().call_tool(name, dict(answer.arguments or {}), ctx, tool)
        except (ModelRetry, ToolFailed) as exc:
            await asyncio.to_thread(call.failed, exc.message)
            raise
        except (ApprovalRequired, CallDeferred):
            await asyncio.to_thread(call.skipped, "deferred by the tool itself")
            raise
        except BaseException as exc:
            await asyncio.to_thread(call.failed, exc)
            raise
        await asyncio.to_thread(call.succeeded, result)
        return result


def _stamp_hidden(tool: ToolsetTool[Any]) -> ToolsetTool[Any]:
    schema = tool.tool_def.parameters_json_schema
    if STAMP_PARAMETER not in (schema_properties(schema) or ()):
        return tool
    metadata = {**(tool.tool_def.metadata or {}), _TAKES_STAMP: True}
    shown = replace(tool.tool_def, parameters_json_schema=hide_stamp_parameter(schema))
    return replace(tool, tool_def=replace(shown, metadata=metadata))


def _takes_stamp(tool: ToolsetTool[Any]) -> bool:
    tool_def = tool.tool_def
    if (tool_def.metadata or {}).get(_TAKES_STAMP):
        return True
    return STAMP_PARAMETER in (schema_properties(tool_def.parameters_json_schema) or ())


def proctor_approvals(
    requests: DeferredToolRequests,
    *,
    timeout: timedelta = timedelta(0),
    checker: Checker | None = None,
    token: str | None = None,
) -> DeferredToolResults:
    """Proctor's answers to the calls it held, as ``deferred_tool_results`` for the next run.

    Waits up to ``timeout`` for each held call (long-polling). Approved in Proctor:
    ``True`` (the call is checked again when the run resumes). Denied or expired:
    ``ToolDenied`` saying so. Still pending: ``ToolDenied`` telling the model it is
    still pending. Approvals that Proctor did not ask for are left for the app to answer.
    """
    active = current_session()
    checker = checker or (active.checker if active else None)
    token = token or (active.current_token() if active else None)
    results = DeferredToolResults()
    for part in requests.approvals:
        held = requests.metadata.get(part.tool_call_id, {}).get("proctor")
        if not isinstance(held, Mapping):
            continue
        answer = wait(str(held["decision_id"]), timeout=timeout, checker=checker, token=token)
        if answer.status is ApprovalStatus.APPROVED:
            results.approvals[part.tool_call_id] = True
        elif answer.status is ApprovalStatus.PENDING:
            results.approvals[part.tool_call_id] = ToolDenied(
                f"{held['tool']} is still waiting for a person's approval in Proctor "
                f"(approval request {answer.id}); it has not run."
            )
        else:
            said = f"by {answer.decided_by}: {answer.decision_reason}" if answer.decided_by else ""
            results.approvals[part.tool_call_id] = ToolDenied(
                f"Proctor did not approve {held['tool']} ({answer.status.value} {said}); "
                "it has not run."
            )
    return results
