"""Two pure ASGI middlewares: a body-size limit and a last line of error handling.

Both work on raw ASGI messages, so they see the body as it streams in (a chunked
upload has no ``Content-Length`` to trust) and they catch what escapes every
route, whatever raised it.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from proctor.server._errors import error_response

log = logging.getLogger("proctor.server")


class BodyLimit:
    """Refuse a request body over ``max_bytes`` with 413 ``body_too_large``.

    The body is read in full before the route runs (routes parse JSON, which
    needs all of it anyway), counting bytes as they arrive: a declared
    ``Content-Length`` over the limit is refused before reading, and a body that
    lies about its length or is chunked is refused as soon as it crosses the limit.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"the request body is larger than the limit of {self.max_bytes} bytes"
        # The rest of the body is never read, so the connection cannot be reused.
        response = error_response(413, "body_too_large", message, {"Connection": "close"})
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that yields the buffered body once, then defers to the server."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class CatchErrors:
    """Turn any exception that escapes the app into 500 ``internal_error``.

    The exception and its traceback go to the log; the client gets a generic
    message, never a stack trace (which could leak paths, queries or secrets).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except Exception:
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                # Too late for a clean answer: let the server drop the connection.
                raise
            response = error_response(
                500, "internal_error", "the gateway hit an unexpected error; it is in its log"
            )
            await response(scope, receive, send)
