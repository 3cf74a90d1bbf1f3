"""The relay between an agent's MCP client and an upstream MCP server.

It works on the SDK's message streams (each item a parsed JSON-RPC message, or the
exception a line that did not parse raised): everything passes through unchanged —
initialize and discovery, lists, resources, prompts, notifications, cancellation, the
server's own requests (sampling, elicitation, roots) and the answers to them —
except:

- ``tools/call`` (agent → server): decided by :class:`CallGate` first; only an
  allowed call reaches the server, and its result is reported as the outcome (with
  the gateway in this process, recorded right after the agent has the result);
- ``tools/list`` answers (server → agent): each tool is registered and pinned, a
  changed tool is shown as accepted, and tools a policy would deny are dropped;
- ``notifications/cancelled`` for a call still being decided: the decision is
  abandoned and nothing is forwarded (the server never saw the request);
- a line from the agent that is not JSON-RPC: answered with a parse error; the relay
  stays up;
- the server going away: every request it had not answered is answered with an
  error at once, and the relay ends.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

import anyio
import mcp_types as types
from mcp.shared._stream_protocols import ReadStream, WriteStream
from mcp.shared.message import ServerMessageMetadata, SessionMessage

from proctor.errors import ProctorError
from proctor.integrations.mcp._backend import Backend
from proctor.integrations.mcp._catalog import ToolView
from proctor.integrations.mcp._gate import CallGate, Verdict
from proctor.integrations.mcp._listed import ListedTool, UnannotatedRule
from proctor.model import Decision, ToolCall

log = logging.getLogger("proctor.integrations.mcp")

T = TypeVar("T")

#: JSON-RPC error code of a request the upstream server can no longer answer.
UPSTREAM_GONE = types.INTERNAL_ERROR


class RelayEnd(StrEnum):
    """Why the relay stopped."""

    #: The agent closed its side: a normal end.
    CLIENT_CLOSED = "client_closed"
    #: The upstream server closed its side (exited, crashed): pending requests failed.
    UPSTREAM_CLOSED = "upstream_closed"


@dataclass
class _Pending:
    """A request of the agent's that the upstream server has not answered yet."""

    method: str
    decision: Decision | None = None


@dataclass
class _Deciding:
    """A ``tools/call`` still being decided; cancelling it abandons the decision."""

    cancelled: threading.Event = field(default_factory=threading.Event)
    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    #: The relay answered it already (the upstream went away meanwhile).
    answered: bool = False


class McpRelay:
    """Relays one agent connection to one upstream connection, enforcing on the way."""

    def __init__(
        self,
        gate: CallGate,
        backend: Backend,
        *,
        unannotated: UnannotatedRule,
        record_after_answer: bool = False,
    ) -> None:
        self.gate = gate
        self.backend = backend
        self.unannotated = unannotated
        self.record_after_answer = record_after_answer
        self._pending: dict[types.RequestId, _Pending] = {}
        self._deciding: dict[types.RequestId, _Deciding] = {}

    async def run(
        self,
        client_read: ReadStream[SessionMessage | Exception],
        client_write: WriteStream[SessionMessage],
        upstream_read: ReadStream[SessionMessage | Exception],
        upstream_write: WriteStream[SessionMessage],
    ) -> RelayEnd:
        """Relay until either side closes; returns which."""
        self._client_write = client_write
        self._upstream_write = upstream_write
        end = RelayEnd.CLIENT_CLOSED
        async with anyio.create_task_group() as tasks:
            self._tasks = tasks

            async def from_upstream() -> None:
                nonlocal end
                with _closed_is_the_end():
                    await self._pump_upstream(upstream_read)
                end = RelayEnd.UPSTREAM_CLOSED
                await self._fail_pending("the upstream MCP server closed the connection")
                tasks.cancel_scope.cancel()

            async def from_client() -> None:
                with _closed_is_the_end():
                    await self._pump_client(client_read)
                tasks.cancel_scope.cancel()

            tasks.start_soon(from_upstream)
            tasks.start_soon(from_client)
        return end

    # -- agent → server ---------------------------------------------------------------

    async def _pump_client(self, stream: ReadStream[SessionMessage | Exception]) -> None:
        async for item in stream:
            if isinstance(item, Exception):
                await self._to_client(_error(None, types.PARSE_ERROR, _parse_problem(item)))
                continue
            message = item.message
            if isinstance(message, types.JSONRPCRequest):
                await self._client_request(item, message)
            elif isinstance(message, types.JSONRPCNotification):
                if not self._abandon(message):
                    await self._to_upstream(item)
            else:  # the agent's answers to the server's own requests
                await self._to_upstream(item)

    async def _client_request(self, item: SessionMessage, request: types.JSONRPCRequest) -> None:
        if request.method == "tools/call":
            if request.id in self._pending or request.id in self._deciding:
                await self._to_client(
                    _error(request.id, types.INVALID_REQUEST, "request id already in use")
                )
                return
            call = self._tool_call(request)
            if call is None:
                why = "invalid tools/call: params need a tool name and an arguments object"
                await self._to_client(_error(request.id, types.INVALID_PARAMS, why))
                return
            decision = self.gate.check(call) if self.backend.inline else None
            if decision is not None and not self.gate.waits(decision):
                # In process and not waiting for people: nothing to await before the
                # verdict, so no task of its own (and no turn of the event loop).
                await self._settled(item, request, self.gate.settle(call, decision))
                return
            deciding = self._deciding[request.id] = _Deciding()
            self._tasks.start_soon(self._call, item, request, call, decision, deciding)
            return
        self._pending[request.id] = _Pending(request.method)
        await self._to_upstream(item)

    def _tool_call(self, request: types.JSONRPCRequest) -> ToolCall | None:
        """The call a ``tools/call`` asks for; None when its params are not a call."""
        params = request.params or {}
        name, arguments = params.get("name"), params.get("arguments")
        if not isinstance(name, str) or not name or not isinstance(arguments, dict | None):
            return None
        return self.gate.tool_call(name, arguments)

    def _abandon(self, notification: types.JSONRPCNotification) -> bool:
        """A cancellation of a call still being decided: stop deciding, forward nothing."""
        if notification.method != "notifications/cancelled" or not notification.params:
            return False
        request_id = notification.params.get("requestId")
        if not isinstance(request_id, int | str):
            return False
        deciding = self._deciding.get(request_id)
        if deciding is None:
            return False
        deciding.cancelled.set()
        deciding.scope.cancel()
        return True

    async def _call(
        self,
        item: SessionMessage,
        request: types.JSONRPCRequest,
        call: ToolCall,
        decision: Decision | None,
        deciding: _Deciding,
    ) -> None:
        """Decide a call that may take a while (a remote gateway, a wait for people),
        while the relay goes on; ``decision`` when the check was made already."""
        try:
            with deciding.scope:
                if decision is None:
                    decision = await self._run(self.gate.check, call)
                if self.gate.waits(decision):
                    verdict = await anyio.to_thread.run_sync(
                        self.gate.settle, call, decision, deciding.cancelled, abandon_on_cancel=True
                    )
                else:
                    verdict = await self._run(self.gate.settle, call, decision)
            if deciding.scope.cancelled_caught or deciding.cancelled.is_set():
                # The agent cancelled: a cancelled request gets no answer, but a
                # transport whose wire must still end it (2025-era HTTP) is told.
                if not deciding.answered:
                    await _end_unanswered(item)
                return
        finally:
            self._deciding.pop(request.id, None)
        await self._settled(item, request, verdict)

    async def _settled(
        self, item: SessionMessage, request: types.JSONRPCRequest, verdict: Verdict
    ) -> None:
        """Answer a decided call (denied, held) or forward it (allowed)."""
        if verdict.result is not None:
            await self._to_client(_response(request.id, verdict.result))
            return
        self._pending[request.id] = _Pending("tools/call", verdict.decision)
        await self._to_upstream(item)

    # -- server → agent ---------------------------------------------------------------

    async def _pump_upstream(self, stream: ReadStream[SessionMessage | Exception]) -> None:
        async for item in stream:
            if isinstance(item, Exception):
                log.warning("the upstream MCP server sent a line that is not JSON-RPC: %s", item)
                continue
            message = item.message
            if isinstance(message, types.JSONRPCResponse | types.JSONRPCError):
                pending = self._pending.pop(message.id, None) if message.id is not None else None
                if pending is not None and pending.method == "tools/call" and pending.decision:
                    await self._call_answered(pending.decision, message, item)
                    continue
                if pending is not None:
                    item = await self._answer(pending, message, item)
            await self._to_client_item(item)

    async def _call_answered(
        self,
        decision: Decision,
        message: types.JSONRPCResponse | types.JSONRPCError,
        item: SessionMessage,
    ) -> None:
        """Pass a forwarded call's answer on, its outcome recorded: before, unless told to
        record it after the agent has it (only with the gateway in this process; the
        task's next check then records it first if it comes sooner)."""
        result = message.result if isinstance(message, types.JSONRPCResponse) else None
        record = (
            self.gate.report_outcome_later(decision, result) if self.record_after_answer else None
        )
        if record is None:
            await self._run(self.gate.report_outcome, decision, result)
            await self._to_client_item(item)
            return
        try:
            await self._to_client_item(item)
        finally:
            record()

    async def _answer(
        self,
        pending: _Pending,
        message: types.JSONRPCResponse | types.JSONRPCError,
        item: SessionMessage,
    ) -> SessionMessage:
        if pending.method == "tools/list" and isinstance(message, types.JSONRPCResponse):
            return SessionMessage(await self._vetted_listing(message))
        return item

    async def _vetted_listing(
        self, message: types.JSONRPCResponse
    ) -> types.JSONRPCResponse | types.JSONRPCError:
        try:
            result = await self._run(self._vet_listing, message.result)
        except ProctorError as exc:
            text = f"Proctor could not vet this server's tools, so none are shown: {exc.message}"
            return _error(message.id, types.INTERNAL_ERROR, f"{text} [{exc.code}]")
        except Exception:
            log.exception("vetting a tools/list answer failed")
            text = "Proctor could not vet this server's tools, so none are shown (see its log)"
            return _error(message.id, types.INTERNAL_ERROR, text)
        return types.JSONRPCResponse(jsonrpc="2.0", id=message.id, result=result)

    def _vet_listing(self, result: Mapping[str, Any]) -> dict[str, Any]:
        """Register and pin the listing; show accepted definitions, drop hidden tools."""
        raw_tools = result.get("tools")
        if not isinstance(raw_tools, list):
            raise ProctorError("the answer to tools/list has no list of tools")
        listed: list[tuple[dict[str, Any], ListedTool]] = []
        for raw in raw_tools:
            try:
                listed.append((raw, ListedTool.from_wire(raw)))
            except (ProctorError, AttributeError):
                log.warning("dropped a listed tool that is not shaped like one: %.200r", raw)
        server = self.gate.server
        views = self.backend.observe(server, [tool for _, tool in listed], self.unannotated)
        names = [view.inventory_name or f"{server}.{view.name}" for view in views]
        hidden = self.backend.visibility(self.gate.token, names).hidden
        shown = [
            _shown(raw, view)
            for (raw, _), view, name in zip(listed, views, names, strict=True)
            if name not in hidden
        ]
        return {**result, "tools": shown}

    async def _fail_pending(self, why: str) -> None:
        """Answer every request the server will never answer, and stop deciding."""
        deciding, self._deciding = self._deciding, {}
        for request_id, being_decided in deciding.items():
            being_decided.answered = True
            being_decided.cancelled.set()
            being_decided.scope.cancel()
            await self._to_client(_error(request_id, UPSTREAM_GONE, why))
        pending, self._pending = self._pending, {}
        for request_id, waiting in pending.items():
            if waiting.decision is not None:
                await self._run(self.gate.report_outcome, waiting.decision, None)
            await self._to_client(_error(request_id, UPSTREAM_GONE, why))

    async def _run(self, function: Callable[..., T], *args: Any) -> T:
        """Call Proctor: inline when the gateway is in this process (a decision costs well
        under a millisecond, less than a hop to a worker thread), else in a worker thread."""
        if self.backend.inline:
            return function(*args)
        return await anyio.to_thread.run_sync(function, *args)

    async def _to_upstream(self, item: SessionMessage) -> None:
        try:
            await self._upstream_write.send(item)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            message = item.message
            if isinstance(message, types.JSONRPCRequest):
                waiting = self._pending.pop(message.id, None)
                if waiting is not None and waiting.decision is not None:
                    await self._run(self.gate.report_outcome, waiting.decision, None)
                why = "the upstream MCP server is gone; the request was not sent"
                await self._to_client(_error(message.id, UPSTREAM_GONE, why))

    async def _to_client(self, message: types.JSONRPCMessage) -> None:
        await self._to_client_item(SessionMessage(message))

    async def _to_client_item(self, item: SessionMessage) -> None:
        try:
            await self._client_write.send(item)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            log.debug("the agent's side is closed; dropped %s", type(item.message).__name__)


@contextmanager
def _closed_is_the_end() -> Iterator[None]:
    """A stream its transport closed under us (an HTTP session deleted) has ended."""
    try:
        yield
    except anyio.ClosedResourceError:
        log.debug("a stream was closed by its transport")


async def _end_unanswered(item: SessionMessage) -> None:
    """Let the agent's transport end a request that will get no answer, if it must."""
    metadata = item.metadata
    if isinstance(metadata, ServerMessageMetadata) and metadata.on_request_unanswered:
        try:
            await metadata.on_request_unanswered()
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            log.debug("the agent's side is closed; a cancelled request was not ended")


def _shown(raw: Mapping[str, Any], view: ToolView) -> dict[str, Any]:
    tool = dict(raw)
    definition = view.definition
    tool["description"] = definition.get("description") or ""
    tool["inputSchema"] = definition.get("inputSchema") or {"type": "object"}
    annotations = definition.get("annotations")
    if annotations is None:
        tool.pop("annotations", None)
    else:
        tool["annotations"] = annotations
    return tool


def _response(request_id: types.RequestId, result: dict[str, Any]) -> types.JSONRPCResponse:
    return types.JSONRPCResponse(jsonrpc="2.0", id=request_id, result=result)


def _error(request_id: types.RequestId | None, code: int, message: str) -> types.JSONRPCError:
    return types.JSONRPCError(
        jsonrpc="2.0", id=request_id, error=types.ErrorData(code=code, message=message)
    )


def _parse_problem(error: Exception) -> str:
    first = str(error).splitlines()[0] if str(error) else type(error).__name__
    return f"not a JSON-RPC message: {first[:300]}"
