"""What routes depend on: the gateway they translate to, and who is calling.

People and admin keys authenticate here; agents never do (they present their task
token to the data-plane routes only). A bearer value reads:

- ``prk_<id>.<secret>``: an admin key, with the role ``admin``;
- ``ppk_<id>.<secret>``: a person's key, with that person's roles;
- anything shaped like a JWT: refused with ``agent_token_not_accepted``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, cast

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from proctor.admin import Admin
from proctor.errors import Forbidden, Unauthorized
from proctor.gateway import Gateway
from proctor.people import PERSON_KEY_PREFIX, Role
from proctor.runtime import Runtime

_ADMIN_KEY_PREFIX = "prk_"


@dataclass(frozen=True)
class ServerContext:
    """The gateway behind one app, and the control plane over it."""

    gateway: Gateway
    admin: Admin

    @property
    def runtime(self) -> Runtime:
        return self.gateway.runtime


async def _context(request: Request) -> ServerContext:
    # async: a plain attribute read needs no trip through the threadpool.
    return cast(ServerContext, request.app.state.proctor)


#: A route parameter that receives the :class:`ServerContext`.
Context = Annotated[ServerContext, Depends(_context)]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an admin key or a person, and the roles that gives them."""

    kind: Literal["admin_key", "person"]
    id: str
    roles: frozenset[Role]
    #: The key's name, or the person's.
    name: str = ""

    @property
    def actor(self) -> str:
        """The caller as the audit log names it: ``admin-key:<id>`` or ``person:<id>``."""
        prefix = "admin-key" if self.kind == "admin_key" else "person"
        return f"{prefix}:{self.id}"

    def has_any(self, *roles: Role) -> bool:
        """Whether the caller holds at least one of ``roles``."""
        return not self.roles.isdisjoint(roles)


_bearer = HTTPBearer(
    auto_error=False,
    # The name predates personal keys; clients and tests know the scheme by it.
    scheme_name="AdminKey",
    description="An admin key (`Bearer prk_<id>.<secret>`) or a personal API key "
    "(`Bearer ppk_<id>.<secret>`)",
)


def _authenticate(
    request: Request,
    context: Context,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> Principal:
    """The principal behind the request's API key, or :class:`Unauthorized`."""
    if credentials is None:
        if "authorization" in request.headers:
            raise Unauthorized(
                "the Authorization header must read 'Bearer <API key>'", code="invalid_api_key"
            )
        raise Unauthorized(
            "this route needs an API key: send 'Authorization: Bearer <admin or personal key>'",
            code="missing_api_key",
        )
    return principal_for(context.runtime, credentials.credentials)


def principal_for(runtime: Runtime, presented: str) -> Principal:
    """The principal a bearer value stands for; :class:`Unauthorized` for anything else."""
    if not presented.isascii():
        # RFC 6750 bearer values are ASCII; nothing else should reach a key lookup.
        raise Unauthorized("the API key is malformed: it must be ASCII", code="invalid_api_key")
    if presented.startswith(_ADMIN_KEY_PREFIX):
        key = runtime.admin_keys.authenticate(presented)
        return Principal(kind="admin_key", id=key.id, roles=frozenset({Role.ADMIN}), name=key.name)
    if presented.startswith(PERSON_KEY_PREFIX):
        person, _ = runtime.people.authenticate(presented)
        return Principal(kind="person", id=person.id, roles=person.roles, name=person.name)
    if presented.count(".") == 2:
        raise Unauthorized(
            "this route is for people and admin keys; agents present their token only to "
            "/v1/check, /v1/outcomes and /v1/token",
            code="agent_token_not_accepted",
        )
    raise Unauthorized(
        "the API key is malformed: expected 'prk_<id>.<secret>' or 'ppk_<id>.<secret>'",
        code="invalid_api_key",
    )


#: A route parameter that authenticates the caller (any role, or none) and receives it.
CurrentPrincipal = Annotated[Principal, Depends(_authenticate)]


def require_role(*roles: Role) -> Any:
    """A dependency that lets through only callers holding at least one of ``roles``.

    Use it in ``dependencies=[require_role(...)]`` or as
    ``Annotated[Principal, require_role(...)]``; anyone else gets 403 ``role_required``.
    """
    if not roles:
        raise ValueError("require_role needs at least one role")
    if set(roles) == set(Role):
        wanted = "a role (viewer is enough)"
    else:
        wanted = "the role " + " or ".join(f"'{role.value}'" for role in roles)

    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has_any(*roles):
            raise Forbidden(
                f"this needs {wanted}; {principal.actor} does not have it",
                code="role_required",
            )
        return principal

    return Depends(check)


#: For ``APIRouter(dependencies=...)``: every route of the router needs the role admin.
require_admin = require_role(Role.ADMIN)


def _admin_actor(principal: Annotated[Principal, require_admin]) -> str:
    return principal.actor


#: A route parameter that requires the role admin and receives the actor's name.
Actor = Annotated[str, Depends(_admin_actor)]
