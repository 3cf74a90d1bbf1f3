"""The FastAPI app around one gateway, and ``serve`` to run it with uvicorn."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import APIRouter, FastAPI
from starlette.concurrency import run_in_threadpool

import proctor
from proctor.admin import Admin
from proctor.errors import StoreError
from proctor.gateway import Gateway
from proctor.server import (
    _approval_routes,
    _audit_routes,
    _check_routes,
    _credential_routes,
    _directory_routes,
    _inventory_routes,
    _kill_routes,
    _link_routes,
    _mcp_routes,
    _monitor_routes,
    _people_routes,
    _policy_routes,
    _token_routes,
)
from proctor.server._context import Context, ServerContext
from proctor.server._errors import install_error_handlers
from proctor.server._middleware import BodyLimit, CatchErrors
from proctor.server._schemas import HealthOut
from proctor.wire import ErrorOut

log = logging.getLogger("proctor.server")

_health = APIRouter(tags=["health"])


@_health.get("/healthz", responses={503: {"model": ErrorOut}})
def healthz(context: Context) -> HealthOut:
    """Liveness and readiness, without authentication: 503 if the store cannot be read."""
    try:
        context.runtime.database.version("inventory")
    except Exception as exc:
        log.exception("health check: the store cannot be read")
        raise StoreError("the store cannot be read", code="store_unavailable") from exc
    return HealthOut(status="ok")


@_health.get("/.well-known/jwks.json", tags=["credentials"])
def jwks(context: Context) -> dict[str, list[dict[str, str]]]:
    """The public keys that verify agent credentials (a JWK Set), without authentication."""
    return context.runtime.signing_keys.jwks()


#: How often the server marks approval requests that ran out as expired (a deny, audited).
APPROVAL_SWEEP_S = 5.0


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Background work while the app serves: expiring approval requests on time, so
    people and waiting agents hear of it even when nobody reads the request."""
    context: ServerContext = app.state.proctor

    async def sweep() -> None:
        while True:
            await asyncio.sleep(APPROVAL_SWEEP_S)
            try:
                await run_in_threadpool(context.runtime.approvals.expire_due)
            except Exception:
                log.exception("could not expire approval requests; trying again")

    sweeper = asyncio.create_task(sweep())
    try:
        yield
    finally:
        sweeper.cancel()


def create_app(gateway: Gateway) -> FastAPI:
    """The HTTP API over ``gateway``: ``/v1`` (admin key required) and ``/healthz``."""
    app = FastAPI(
        lifespan=_lifespan,
        title="Proctor",
        version=proctor.__version__,
        summary="Decide, explain and record every tool call an AI agent makes.",
        # The interactive docs pages load scripts from a CDN; the schema is enough.
        docs_url=None,
        redoc_url=None,
    )
    app.state.proctor = ServerContext(gateway=gateway, admin=Admin(gateway))
    for router in (
        _health,
        _check_routes.router,
        _inventory_routes.router,
        _inventory_routes.tasks_router,
        _people_routes.router,
        _policy_routes.router,
        _audit_routes.router,
        _kill_routes.router,
        _token_routes.router,
        _credential_routes.router,
        _approval_routes.router,
        _monitor_routes.router,
        _directory_routes.router,
        _link_routes.router,
        _mcp_routes.router,
        _mcp_routes.agent_router,
    ):
        app.include_router(router)
    install_error_handlers(app)
    # Added last means outermost: the size limit runs before anything reads the body.
    app.add_middleware(CatchErrors)
    app.add_middleware(BodyLimit, max_bytes=gateway.runtime.settings.max_body_bytes)
    return app


def serve(
    gateway: Gateway, host: str = "127.0.0.1", port: int = 8700, log_level: str = "info"
) -> None:
    """Serve the API over ``gateway`` until interrupted (what ``proctor serve`` runs)."""
    uvicorn.run(
        create_app(gateway),
        host=host,
        port=port,
        log_level=log_level,
        server_header=False,
    )
