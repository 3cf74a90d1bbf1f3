"""What routes depend on: the gateway they translate to, and who is calling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from proctor.admin import Admin
from proctor.errors import Unauthorized
from proctor.gateway import Gateway
from proctor.runtime import Runtime


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

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="AdminKey",
    description="An admin key: `Authorization: Bearer prk_<id>.<secret>`",
)


def _authenticate(
    request: Request,
    context: Context,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> str:
    """The actor behind the request's admin key, as recorded in the audit log."""
    if credentials is None:
        if "authorization" in request.headers:
            raise Unauthorized(
                "the Authorization header must read 'Bearer <admin key>'", code="invalid_api_key"
            )
        raise Unauthorized(
            "this route needs an admin key: send 'Authorization: Bearer <admin key>'",
            code="missing_api_key",
        )
    key = context.runtime.admin_keys.authenticate(credentials.credentials)
    return f"admin-key:{key.id}"


#: A route parameter that authenticates the caller and receives the actor name.
Actor = Annotated[str, Depends(_authenticate)]

#: For ``APIRouter(dependencies=...)``: every route of the router needs an admin key.
require_admin = Depends(_authenticate)
