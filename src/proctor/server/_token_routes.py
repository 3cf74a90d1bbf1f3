"""``POST /v1/token``: the OAuth 2.0 token endpoint through which agents get credentials.

Two ways in, no admin key (the grant itself authenticates):

- **Workload path** (RFC 7523): an agent registered with a public key signs an
  assertion and gets the token for a task it has been assigned, either as the
  ``jwt-bearer`` grant (``assertion=``) or as ``client_credentials`` with RFC 7521
  client authentication (``client_assertion=``). Both take Proctor's ``task_id``.
- **Delegation** (RFC 8693 token exchange): an agent trades its task token for a
  narrower one held by a registered sub-agent (Proctor's ``agent_id``).

Requests are ``application/x-www-form-urlencoded`` (RFC 6749 §3.2). Answers follow
RFC 6749 §5.1 and RFC 8693 §2.2, with ``Cache-Control: no-store``; an error carries
the RFC 6749 §5.2 ``error`` member as well as Proctor's ``code`` and ``message``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from proctor.errors import InvalidInput, ProctorError, Unauthorized
from proctor.identity import CLIENT_ASSERTION_TYPE, ClientAssertions, IssuedToken
from proctor.inventory import check_agent_id, check_resource_id, check_tool_name
from proctor.model import ActionClass, Capabilities
from proctor.server._context import Context, ServerContext
from proctor.wire import ErrorOut, WireOut

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105
CLIENT_CREDENTIALS = "client_credentials"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"  # noqa: S105
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"  # noqa: S105
#: The scope entry that lets the holder produce the task's deliverable.
DELIVER = "deliver"
#: The scope prefix of a tool-name pattern: ``tool:files.*``.
TOOL_PREFIX = "tool:"
#: The scope prefix of a resource-id pattern: ``resource:repo:acme/*``.
RESOURCE_PREFIX = "resource:"

_FORM = "application/x-www-form-urlencoded"
_SUBJECT_TOKEN_TYPES = frozenset({JWT_TOKEN_TYPE, ACCESS_TOKEN_TYPE})
_MAX_FIELDS = 20
_MAX_SCOPE_ENTRIES = 100
_MAX_SCOPE_CHARS = 8_192
_MAX_TASK_ID = 200
_MAX_AUDITED_CHARS = 300
_MAX_ASSERTION_CHARS = 8_192
# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
_SECONDS = re.compile(r"[0-9]{1,6}")
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_ACTIONS = frozenset(action.value for action in ActionClass)

#: Parameters each grant takes; anything else is refused rather than ignored.
_CLIENT_AUTH = frozenset({"client_id", "client_assertion_type", "client_assertion"})
_PARAMETERS: dict[str, frozenset[str]] = {
    JWT_BEARER: frozenset({"grant_type", "assertion", "task_id", "client_id"}),
    CLIENT_CREDENTIALS: frozenset({"grant_type", "task_id"}) | _CLIENT_AUTH,
    TOKEN_EXCHANGE: frozenset(
        {
            "grant_type",
            "subject_token",
            "subject_token_type",
            "requested_token_type",
            "agent_id",
            "scope",
            "expires_in",
        }
    )
    | _CLIENT_AUTH,
}
#: RFC 6749 §5.2 / RFC 8693 §2.2.2 ``error`` for Proctor codes; the rest are invalid_grant.
_RFC_ERRORS = {
    "token_request_invalid": "invalid_request",
    "invalid_input": "invalid_request",
    "token_ttl_invalid": "invalid_request",
    "delegation_extends_expiry": "invalid_request",
    "grant_type_unsupported": "unsupported_grant_type",
    "scope_invalid": "invalid_scope",
    "delegation_widens_capabilities": "invalid_scope",
    "delegation_to_unknown_agent": "invalid_target",
    "delegation_to_inactive_agent": "invalid_target",
}

router = APIRouter(tags=["credentials"])


class TokenOut(WireOut):
    """A token response (RFC 6749 §5.1, RFC 8693 §2.2.1), plus its ``jti`` and ``chain``."""

    access_token: str
    token_type: str = "Bearer"  # noqa: S105
    expires_in: int
    issued_token_type: str = JWT_TOKEN_TYPE
    scope: str
    jti: str
    chain: list[str]


class TokenErrorOut(ErrorOut):
    """A refusal: Proctor's ``code`` and ``message``, and the RFC 6749 §5.2 ``error``."""

    error: str


@dataclass(frozen=True, slots=True)
class Scope:
    """What a ``scope`` parameter asks for: capabilities, and whether it may deliver."""

    capabilities: Capabilities
    may_deliver: bool


def parse_scope(text: str) -> Scope:
    """Read a ``scope`` parameter: space-separated entries, each an action class name
    (``read``), a tool-name pattern (``tool:files.*``), a resource-id pattern
    (``resource:repo:acme/*``: the token is limited to those resources) or ``deliver``.

    Anything else, an empty scope, or entries not separated by single spaces is
    :class:`InvalidInput` with code ``scope_invalid``.
    """
    if not text or len(text) > _MAX_SCOPE_CHARS:
        raise _scope_error(f"a scope is 1 to {_MAX_SCOPE_CHARS} characters; omit it to keep all")
    entries = text.split(" ")
    if len(entries) > _MAX_SCOPE_ENTRIES:
        raise _scope_error(f"a scope has at most {_MAX_SCOPE_ENTRIES} entries")
    actions: set[ActionClass] = set()
    tools: dict[str, None] = {}
    resources: dict[str, None] | None = None
    may_deliver = False
    for entry in entries:
        if not _SCOPE_TOKEN.fullmatch(entry):
            raise _scope_error("scope entries are printable words separated by single spaces")
        if entry == DELIVER:
            may_deliver = True
        elif entry.startswith(TOOL_PREFIX):
            tools[_scope_pattern(entry.removeprefix(TOOL_PREFIX))] = None
        elif entry.startswith(RESOURCE_PREFIX):
            resources = resources if resources is not None else {}
            resources[_resource_pattern(entry.removeprefix(RESOURCE_PREFIX))] = None
        elif entry in _ACTIONS:
            actions.add(ActionClass(entry))
        else:
            raise _scope_error(
                f"unknown scope entry {entry[:100]!r}: use action classes "
                f"({', '.join(sorted(_ACTIONS))}), tool:<pattern>, resource:<pattern> "
                f"or {DELIVER}"
            )
    limited = tuple(resources) if resources is not None else None
    granted = Capabilities(actions=frozenset(actions), tools=tuple(tools), resources=limited)
    return Scope(granted, may_deliver)


def format_scope(capabilities: Capabilities, may_deliver: bool) -> str:
    """The ``scope`` a token holds, as :func:`parse_scope` reads it."""
    entries = sorted(action.value for action in capabilities.actions)
    entries += [TOOL_PREFIX + pattern for pattern in capabilities.tools]
    entries += [RESOURCE_PREFIX + pattern for pattern in capabilities.resources or ()]
    if may_deliver:
        entries.append(DELIVER)
    return " ".join(entries)


def _resource_pattern(pattern: str) -> str:
    try:
        check_resource_id(pattern)
    except InvalidInput as exc:
        raise _scope_error(f"resource:{pattern[:100]} is not a resource-id pattern") from exc
    return pattern


def _scope_pattern(pattern: str) -> str:
    try:
        check_tool_name(pattern.replace("*", "x").replace("?", "x"))
    except InvalidInput as exc:
        raise _scope_error(f"tool:{pattern[:100]} is not a tool-name pattern") from exc
    return pattern


def _scope_error(message: str) -> InvalidInput:
    return InvalidInput(message, code="scope_invalid")


# -- the request ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Raw:
    content_type: str
    body: bytes
    query: str


async def _raw(request: Request) -> _Raw:
    # Read here (async) so the route itself can run in the threadpool: it writes
    # to the store.
    return _Raw(request.headers.get("content-type", ""), await request.body(), request.url.query)


def _form(raw: _Raw) -> dict[str, str]:
    """The request's parameters; RFC 6749 §3.1: a parameter without a value is omitted."""
    media_type = raw.content_type.partition(";")[0].strip().lower()
    if media_type != _FORM:
        raise _bad_request(
            f"send the parameters form-encoded, with 'Content-Type: {_FORM}' (RFC 6749)"
        )
    if raw.query:
        raise _bad_request("send the parameters in the body, not the URL (URLs end up in logs)")
    try:
        pairs = parse_qsl(
            raw.body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=bool(raw.body),
            errors="strict",
            max_num_fields=_MAX_FIELDS,
        )
    except ValueError as exc:
        raise _bad_request(
            f"the body is not valid form encoding: name=value&... in UTF-8, "
            f"at most {_MAX_FIELDS} parameters"
        ) from exc
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise _bad_request(f"parameter {name[:50]!r} is given more than once")
        params[name] = value
    return {name: value for name, value in params.items() if value}


def _bad_request(message: str) -> InvalidInput:
    return InvalidInput(message, code="token_request_invalid")


# -- the route --------------------------------------------------------------------------

_FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["grant_type"],
    "properties": {
        "grant_type": {"type": "string", "enum": [JWT_BEARER, CLIENT_CREDENTIALS, TOKEN_EXCHANGE]},
        "assertion": {"type": "string", "description": "jwt-bearer: the signed assertion"},
        "client_assertion_type": {"type": "string", "enum": [CLIENT_ASSERTION_TYPE]},
        "client_assertion": {"type": "string", "description": "the signed assertion"},
        "client_id": {"type": "string", "description": "optional: the agent's id"},
        "task_id": {"type": "string", "description": "jwt-bearer / client_credentials"},
        "subject_token": {"type": "string", "description": "token-exchange: the task token"},
        "subject_token_type": {"type": "string", "enum": sorted(_SUBJECT_TOKEN_TYPES)},
        "requested_token_type": {"type": "string", "enum": sorted(_SUBJECT_TOKEN_TYPES)},
        "agent_id": {"type": "string", "description": "token-exchange: the sub-agent"},
        "scope": {"type": "string", "description": "token-exchange: read tool:files.* deliver"},
        "expires_in": {"type": "integer", "description": "token-exchange: lifetime, seconds"},
    },
}


@router.post(
    "/v1/token",
    response_model=TokenOut,
    responses={
        400: {"model": TokenErrorOut, "description": "A refused grant (see `error`, `code`)"},
        401: {"model": TokenErrorOut, "description": "`invalid_client`: client assertion"},
    },
    openapi_extra={"requestBody": {"required": True, "content": {_FORM: {"schema": _FORM_SCHEMA}}}},
)
def token(raw: Annotated[_Raw, Depends(_raw)], request: Request, context: Context) -> JSONResponse:
    """Get a task token (workload path) or exchange one for a sub-agent's (delegation)."""
    attempt = _Attempt()
    try:
        params = _form(raw)
        grant = params.get("grant_type")
        if grant is None:
            raise _bad_request("grant_type is missing")
        if grant not in _GRANTS:
            raise InvalidInput(
                f"grant_type must be one of {', '.join(_GRANTS)}", code="grant_type_unsupported"
            )
        attempt.grant = grant
        unknown = sorted(set(params) - _PARAMETERS[grant])
        if unknown:
            raise _bad_request(f"this grant does not take: {', '.join(u[:50] for u in unknown)}")
        issued = _GRANTS[grant](params, _Grants(context, context.runtime.assertions, attempt))
    except ProctorError as exc:
        if exc.http_status >= 500:
            raise
        _audit_refusal(context, attempt, exc)
        return _error(exc)
    if attempt.grant == TOKEN_EXCHANGE:
        _audit_exchange(context, issued)
    return JSONResponse(_token_out(issued).model_dump(), headers=_NO_STORE)


@dataclass
class _Attempt:
    """What a request asked for, as far as it got: for the audit entry of a refusal."""

    grant: str = ""
    actor: str = "unauthenticated"
    task_id: str = ""
    asked: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Grants:
    context: ServerContext
    assertions: ClientAssertions
    attempt: _Attempt

    def agent_from(self, assertion: str | None, *, client: bool) -> str:
        """The agent an assertion proves; a client assertion's failure is invalid_client."""
        if assertion is None:
            raise _bad_request("the signed assertion is missing")
        self.attempt.asked["claimed_agent"] = _claimed_issuer(assertion)
        try:
            agent_id = self.assertions.verify(assertion)
        except Unauthorized as exc:
            if client:
                raise _ClientRefused(exc) from exc
            raise
        self.attempt.actor = f"agent:{agent_id}"
        return agent_id


class _ClientRefused(Unauthorized):
    """Client authentication failed (RFC 6749 §5.2 ``invalid_client``)."""

    def __init__(self, cause: ProctorError) -> None:
        super().__init__(cause.message, code=cause.code)


def _jwt_bearer(params: Mapping[str, str], grants: _Grants) -> IssuedToken:
    grants.attempt.task_id = params.get("task_id", "")[:_MAX_TASK_ID]
    agent_id = grants.agent_from(params.get("assertion"), client=False)
    _check_client_id(params, agent_id)
    return _task_token(params, grants, agent_id)


def _client_credentials(params: Mapping[str, str], grants: _Grants) -> IssuedToken:
    grants.attempt.task_id = params.get("task_id", "")[:_MAX_TASK_ID]
    agent_id = _client(params, grants)
    if agent_id is None:
        raise _ClientRefused(
            _bad_request(f"client_credentials needs client_assertion_type={CLIENT_ASSERTION_TYPE}")
        )
    return _task_token(params, grants, agent_id)


def _client(params: Mapping[str, str], grants: _Grants) -> str | None:
    """The agent that authenticated with a client assertion, if the request carries one."""
    kind, assertion = params.get("client_assertion_type"), params.get("client_assertion")
    if kind is None and assertion is None:
        return None
    if kind != CLIENT_ASSERTION_TYPE:
        raise _bad_request(f"client_assertion_type must be {CLIENT_ASSERTION_TYPE}")
    agent_id = grants.agent_from(assertion, client=True)
    _check_client_id(params, agent_id)
    return agent_id


def _check_client_id(params: Mapping[str, str], agent_id: str) -> None:
    client_id = params.get("client_id")
    if client_id is not None and client_id != agent_id:
        raise _ClientRefused(
            Unauthorized(f"client_id is not {agent_id}, who signed", code="client_mismatch")
        )


def _task_token(params: Mapping[str, str], grants: _Grants, agent_id: str) -> IssuedToken:
    task_id = params.get("task_id")
    if task_id is None or len(task_id) > _MAX_TASK_ID:
        raise _bad_request(f"task_id (1 to {_MAX_TASK_ID} characters) names the task")
    grants.attempt.task_id = task_id
    runtime = grants.context.runtime
    task = runtime.tasks.find(task_id)
    # One answer for "no such task" and "someone else's": task ids are not disclosed.
    if task is None or task.agent_id != agent_id:
        raise Unauthorized(
            f"task {task_id} is not assigned to {agent_id}", code="task_not_assigned"
        )
    return grants.context.admin.issue_task_token(task.id, actor=f"agent:{agent_id}")


def _token_exchange(params: Mapping[str, str], grants: _Grants) -> IssuedToken:
    attempt = grants.attempt
    for name in ("agent_id", "scope", "expires_in"):
        if name in params:
            attempt.asked[name] = params[name][:_MAX_AUDITED_CHARS]
    client = _client(params, grants)
    subject_token = _exchange_subject(params)
    to_agent = params.get("agent_id")
    if to_agent is None:
        raise _bad_request("agent_id names the registered agent to hand the task to")
    tokens = grants.context.runtime.tokens
    # Verified first so that every later refusal is recorded against its holder.
    subject = tokens.verify(subject_token)
    attempt.actor, attempt.task_id = f"agent:{subject.agent_id}", subject.task_id
    attempt.asked["subject_jti"] = subject.jti
    if client is not None and client != subject.agent_id:
        raise _ClientRefused(
            Unauthorized(
                f"the subject token is held by {subject.agent_id}, not {client}",
                code="client_mismatch",
            )
        )
    scope = parse_scope(params["scope"]) if "scope" in params else None
    ttl = _ttl(params.get("expires_in"))
    check_agent_id(to_agent)
    return tokens.exchange(
        subject_token,
        to_agent_id=to_agent,
        capabilities=scope.capabilities if scope else None,
        may_deliver=scope.may_deliver if scope else None,
        ttl=ttl,
    )


def _exchange_subject(params: Mapping[str, str]) -> str:
    """The subject token, once it and the token types are as RFC 8693 says."""
    subject_token = params.get("subject_token")
    if subject_token is None:
        raise _bad_request("subject_token (the task token to exchange) is missing")
    for name in ("subject_token_type", "requested_token_type"):
        value = params.get(name, JWT_TOKEN_TYPE if name == "requested_token_type" else None)
        if value not in _SUBJECT_TOKEN_TYPES:
            raise _bad_request(f"{name} must be {JWT_TOKEN_TYPE} (or {ACCESS_TOKEN_TYPE})")
    return subject_token


def _ttl(expires_in: str | None) -> timedelta | None:
    if expires_in is None:
        return None
    if not _SECONDS.fullmatch(expires_in) or int(expires_in) == 0:
        raise _bad_request("expires_in is a whole number of seconds, more than 0")
    return timedelta(seconds=int(expires_in))


_GRANTS: dict[str, Callable[[Mapping[str, str], _Grants], IssuedToken]] = {
    JWT_BEARER: _jwt_bearer,
    CLIENT_CREDENTIALS: _client_credentials,
    TOKEN_EXCHANGE: _token_exchange,
}


# -- answers and audit ------------------------------------------------------------------


def _token_out(issued: IssuedToken) -> TokenOut:
    claims = issued.claims
    return TokenOut(
        access_token=issued.token,
        expires_in=int((claims.expires_at - claims.issued_at).total_seconds()),
        scope=format_scope(claims.capabilities, claims.may_deliver),
        jti=claims.jti,
        chain=list(claims.chain),
    )


def _error(exc: ProctorError) -> JSONResponse:
    client = isinstance(exc, _ClientRefused)
    error = "invalid_client" if client else _RFC_ERRORS.get(exc.code, "invalid_grant")
    body = TokenErrorOut(code=exc.code, message=exc.message, error=error)
    headers = {**_NO_STORE, **({"WWW-Authenticate": "Bearer"} if client else {})}
    return JSONResponse(body.model_dump(), status_code=401 if client else 400, headers=headers)


def _audit_exchange(context: ServerContext, issued: IssuedToken) -> None:
    claims = issued.claims
    context.runtime.audit.append(
        "token",
        {
            "action": "token.exchange",
            "actor": f"agent:{claims.chain[-2]}",
            "target": claims.task_id,
            "details": {
                "parent_jti": claims.parent_jti,
                "jti": claims.jti,
                "agent": claims.agent_id,
                "chain": list(claims.chain),
                "scope": format_scope(claims.capabilities, claims.may_deliver),
                "expires_at": claims.expires_at.isoformat(),
            },
        },
    )


def _audit_refusal(context: ServerContext, attempt: _Attempt, exc: ProctorError) -> None:
    if not attempt.grant:
        return  # not a grant at all: a malformed request, answered and not recorded
    action = "token.exchange_refused" if attempt.grant == TOKEN_EXCHANGE else "token.issue_refused"
    context.runtime.audit.append(
        "token",
        {
            "action": action,
            "actor": attempt.actor,
            "target": attempt.task_id,
            "details": {
                "code": exc.code,
                "message": exc.message[:1000],
                "grant": attempt.grant,
                "asked": dict(attempt.asked),
            },
        },
    )


def _claimed_issuer(assertion: str) -> str:
    """Who an assertion says it is from, before anything is verified: for the audit."""
    if len(assertion) > _MAX_ASSERTION_CHARS:
        return ""
    try:
        payload = assertion.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        issuer = claims["iss"]
        return check_agent_id(issuer) if isinstance(issuer, str) else ""
    except (ValueError, IndexError, KeyError, TypeError, InvalidInput):
        return ""
