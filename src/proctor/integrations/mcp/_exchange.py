"""One request of the per-request era (2026-07-28) over HTTP: one POST in, one answer out.

The request goes through a relay of its own (checked if it is a ``tools/call``,
vetted if it lists tools) to the upstream over the SDK's client transport. The answer
is JSON when it comes before anything else and within :data:`PING_INTERVAL_S`;
otherwise, when the client accepts it, an event stream carrying what the upstream
sent meanwhile (progress, logs) and the answer last, with keep-alive comments while
the answer takes (a call held for people's approval, say). A client that hangs up
cancels the request, upstream too.

Notifications are acknowledged (202) and dropped, as the SDK's own server does: the
2026-07-28 HTTP wire has none from client to server (closing the stream cancels).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio
import httpx2
import mcp_types as types
from anyio.streams.memory import MemoryObjectReceiveStream
from mcp.server.streamable_http import check_accept_headers
from mcp.shared.inbound import ERROR_CODE_HTTP_STATUS
from mcp.shared.message import ServerMessageMetadata, SessionMessage
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from proctor.integrations.mcp._relay import McpRelay
from proctor.integrations.mcp._upstream import HttpUpstream

log = logging.getLogger("proctor.integrations.mcp")

#: Seconds before an answer that has not come is streamed (with keep-alive comments).
PING_INTERVAL_S = 15.0

_SSE_HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache, no-transform"),
    (b"x-accel-buffering", b"no"),
]


async def exchange(
    relay: McpRelay,
    upstream: HttpUpstream,
    client: httpx2.AsyncClient,
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """Serve one POST of the per-request era through ``relay``."""
    request = Request(scope, receive)
    if request.method != "POST":
        await Response(status_code=405, headers={"Allow": "POST"})(scope, receive, send)
        return
    accepts_json, accepts_stream = check_accept_headers(request)
    if not accepts_json:
        await Response(status_code=406)(scope, receive, send)
        return
    message = await _read_request(request, scope, receive, send)
    if message is None:
        return
    answer = _Answer(send, streams=accepts_stream)
    try:
        await _relayed(relay, upstream, client, request, message, answer)
    finally:
        await answer.close(message.id)


async def _read_request(
    request: Request, scope: Scope, receive: Receive, send: Send
) -> types.JSONRPCRequest | None:
    """The body's request; None when it was answered here (not JSON, a notification...)."""
    try:
        decoded = json.loads(await request.body())
    except (ValueError, RecursionError):
        await _error_response(None, types.PARSE_ERROR, "Parse error")(scope, receive, send)
        return None
    if isinstance(decoded, dict) and "id" not in decoded:
        await Response(status_code=202)(scope, receive, send)
        return None
    try:
        return types.JSONRPCRequest.model_validate(decoded)
    except ValidationError:
        why = "Body must be a single JSON-RPC request or notification object"
        await _error_response(None, types.INVALID_REQUEST, why)(scope, receive, send)
        return None


async def _relayed(
    relay: McpRelay,
    upstream: HttpUpstream,
    client: httpx2.AsyncClient,
    request: Request,
    message: types.JSONRPCRequest,
    answer: _Answer,
) -> None:
    agent_send, relay_read = anyio.create_memory_object_stream[SessionMessage | Exception](1)
    relay_write, agent_read = anyio.create_memory_object_stream[SessionMessage](16)
    async with (
        agent_send,
        relay_read,
        relay_write,
        agent_read,
        upstream.connect(client) as (upstream_read, upstream_write),
        anyio.create_task_group() as tasks,
    ):
        tasks.start_soon(relay.run, relay_read, relay_write, upstream_read, upstream_write)
        tasks.start_soon(_cancel_on_disconnect, request.receive, tasks.cancel_scope)
        metadata = ServerMessageMetadata(request_context=request, can_send_request=False)
        await agent_send.send(SessionMessage(message, metadata=metadata))
        await _answer_with(agent_read, message.id, answer)
        tasks.cancel_scope.cancel()


async def _answer_with(
    stream: MemoryObjectReceiveStream[SessionMessage], request_id: types.RequestId, answer: _Answer
) -> None:
    """Pass what the relay sends on until the answer to ``request_id``."""
    while True:
        item: SessionMessage | None = None
        with anyio.move_on_after(PING_INTERVAL_S):
            try:
                item = await stream.receive()
            except anyio.EndOfStream:
                return
        if item is None:
            await answer.ping()
            continue
        message = item.message
        if _answers(message, request_id):
            assert isinstance(message, types.JSONRPCResponse | types.JSONRPCError)
            await answer.final(message)
            return
        await answer.interim(message)


def _answers(message: types.JSONRPCMessage, request_id: types.RequestId) -> bool:
    """Whether ``message`` is the answer to ``request_id``."""
    return isinstance(message, types.JSONRPCResponse | types.JSONRPCError) and (
        message.id == request_id
    )


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()


class _Answer:
    """The HTTP answer: JSON if the answer comes first, else an event stream."""

    def __init__(self, send: Send, *, streams: bool) -> None:
        self._send = send
        self._streams = streams
        self._started = False
        self._done = False

    async def final(self, message: types.JSONRPCResponse | types.JSONRPCError) -> None:
        if self._started:
            await self._event(message, more=False)
        else:
            await self._json(message)
        self._done = True

    async def interim(self, message: types.JSONRPCMessage) -> None:
        if not self._streams:
            log.debug("dropped a %s: the client takes JSON only", type(message).__name__)
            return
        await self._start()
        await self._event(message, more=True)

    async def ping(self) -> None:
        if self._streams:
            await self._start()
            await self._send(
                {"type": "http.response.body", "body": b": ping\r\n\r\n", "more_body": True}
            )

    async def close(self, request_id: types.RequestId) -> None:
        """End the answer if nothing did: the relay stopped without one."""
        if self._done:
            return
        error = _error(request_id, types.INTERNAL_ERROR, "the proxy stopped before an answer came")
        with anyio.CancelScope(shield=True):
            try:
                await self.final(error)
            except Exception:
                log.debug("the client is gone; no answer sent", exc_info=True)

    async def _start(self) -> None:
        if not self._started:
            self._started = True
            await self._send(
                {"type": "http.response.start", "status": 200, "headers": _SSE_HEADERS}
            )

    async def _event(self, message: types.JSONRPCMessage, *, more: bool) -> None:
        data = json.dumps(_wire(message), separators=(",", ":"))
        body = f"event: message\r\ndata: {data}\r\n\r\n".encode()
        await self._send({"type": "http.response.body", "body": body, "more_body": more})

    async def _json(self, message: types.JSONRPCResponse | types.JSONRPCError) -> None:
        status = 200
        if isinstance(message, types.JSONRPCError):
            status = ERROR_CODE_HTTP_STATUS.get(message.error.code, 200)
        body = json.dumps(_wire(message), separators=(",", ":")).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await self._send({"type": "http.response.start", "status": status, "headers": headers})
        await self._send({"type": "http.response.body", "body": body, "more_body": False})


def _wire(message: types.JSONRPCMessage) -> dict[str, Any]:
    body: dict[str, Any] = message.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(message, types.JSONRPCError) and message.id is None:
        body["id"] = None
    return body


def _error(request_id: types.RequestId | None, code: int, text: str) -> types.JSONRPCError:
    return types.JSONRPCError(
        jsonrpc="2.0", id=request_id, error=types.ErrorData(code=code, message=text)
    )


def _error_response(request_id: types.RequestId | None, code: int, text: str) -> Response:
    body = json.dumps(_wire(_error(request_id, code, text)), separators=(",", ":"))
    status = ERROR_CODE_HTTP_STATUS.get(code, 400)
    return Response(body, status_code=status, media_type="application/json")
