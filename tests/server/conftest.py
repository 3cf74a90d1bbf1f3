"""The real app over a real gateway on a temporary data directory, driven in-process."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from proctor.gateway import Gateway
from proctor.server import create_app


class Api:
    """A synchronous HTTP client for an ASGI app.

    httpx's ASGI transport passes a streamed request body through chunk by chunk,
    as a server would, so size limits are exercised on the stream itself.
    """

    def __init__(self, app: FastAPI, key: str | None) -> None:
        self.app = app
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://proctor.test", headers=self.headers
            ) as client:
                return await client.request(method, path, **kwargs)

        return asyncio.run(send())

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def admin_key(gateway: Gateway) -> str:
    key = gateway.runtime.admin_key
    assert key is not None, "a new data directory has an admin key"
    return key


@pytest.fixture
def app(gateway: Gateway) -> FastAPI:
    return create_app(gateway)


@pytest.fixture
def api(app: FastAPI, admin_key: str) -> Api:
    return Api(app, admin_key)


@pytest.fixture
def anonymous(app: FastAPI) -> Api:
    return Api(app, None)


@pytest.fixture
def agent(app: FastAPI, incident_token: str) -> Api:
    """forum-bot on the incident's analysis task: sends its task token."""
    return Api(app, incident_token)


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, str]:
    """The response is the one error shape, with this status and code, and no traceback."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message"}, body
    assert body["code"] == code, body
    assert body["message"]
    assert "Traceback" not in response.text
    return dict(body)
