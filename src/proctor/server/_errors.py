"""Every error the API answers is ``{"code", "message"}`` with the right status.

FastAPI and Starlette have their own error shapes (``{"detail": ...}``); the
handlers here translate them, so a client only ever parses one shape and can rely
on the stable codes listed in ``docs/api.md``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from proctor.errors import ProctorError
from proctor.wire import ErrorOut

log = logging.getLogger("proctor.server")

#: How many validation problems one message names before it says "and N more".
_MAX_PROBLEMS = 5
#: A location can hold a client's dict key; it is cut so a message stays a line.
_MAX_LOCATION = 120
_NOT_AN_OBJECT = {"model_attributes_type", "dict_type", "model_type"}

#: OpenAPI ``responses=`` entry for routes: the error shape every route may answer.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorOut, "description": "A refusal with a stable code"},
    "5XX": {"model": ErrorOut, "description": "The gateway could not answer"},
}


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The one error shape, as a response."""
    body = ErrorOut(code=code, message=message).model_dump()
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def install_error_handlers(app: FastAPI) -> None:
    """Route every error FastAPI or Proctor raises to the one error shape."""
    app.add_exception_handler(ProctorError, _proctor_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)


async def _proctor_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProctorError)
    message = exc.message
    if exc.http_status >= 500:
        # A failure inside (a store error quotes the driver, even SQL) is for the
        # operator's log; any caller, authenticated or not, gets only the code.
        log.error("%s %s failed: %s: %s", request.method, request.url.path, exc.code, message)
        message = f"the gateway could not complete the request ({exc.code}); see its log"
    # RFC 9110 §11.6.1: a 401 names the scheme the client should use.
    headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else None
    return error_response(exc.http_status, exc.code, message, headers)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = list(exc.errors())
    for problem in problems:
        if problem.get("type") == "json_invalid":
            detail = problem.get("ctx", {}).get("error", "malformed JSON")
            location = problem.get("loc", ())
            where = f" at character {location[1]}" if len(location) > 1 else ""
            message = f"the request body is not valid JSON: {detail}{where}"
            return error_response(400, "invalid_json", message)
    return error_response(422, "invalid_request", _describe_problems(problems))


def _describe_problems(problems: Sequence[Mapping[str, Any]]) -> str:
    """Validation problems in one line, each naming the field it is about."""
    parts = []
    for problem in problems[:_MAX_PROBLEMS]:
        where = _location(problem.get("loc", ()))[:_MAX_LOCATION]
        message = str(problem.get("msg", "invalid value"))
        if where == "request body" and problem.get("type") in _NOT_AN_OBJECT:
            message += " (send a JSON object with 'Content-Type: application/json')"
        parts.append(f"{where}: {message}")
    if len(problems) > _MAX_PROBLEMS:
        parts.append(f"and {len(problems) - _MAX_PROBLEMS} more")
    return "; ".join(parts) or "the request is not valid"


def _location(location: Sequence[Any]) -> str:
    parts = [str(part) for part in location]
    if not parts:
        return "request"
    source, path = parts[0], ".".join(parts[1:])
    if source == "body":
        return path or "request body"
    if source in ("query", "path", "header"):
        return f"{source} parameter {path}"
    return ".".join(parts)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    method, path = request.method, request.url.path
    if exc.status_code == 404:
        return error_response(404, "not_found", f"no route {method} {path}")
    if exc.status_code == 405:
        return error_response(
            405,
            "method_not_allowed",
            f"{method} is not allowed on {path}",
            {"Allow": (exc.headers or {}).get("Allow", "")},
        )
    if exc.status_code == 400:
        # FastAPI answers 400 when it cannot read the body as JSON at all (bad UTF-8).
        return error_response(
            400, "invalid_json", f"the request body is not valid JSON: {exc.detail}"
        )
    code = "http_error" if exc.status_code < 500 else "internal_error"
    return error_response(exc.status_code, code, str(exc.detail), exc.headers)
