"""A real gateway served by a real uvicorn on a free local port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from proctor.gateway import Gateway
from proctor.sdk import Client
from proctor.server import create_app
from tests.server.live import live_server


@pytest.fixture
def gateway_url(gateway: Gateway) -> Iterator[str]:
    with live_server(create_app(gateway)) as url:
        yield url


@pytest.fixture
def client(gateway: Gateway, gateway_url: str) -> Iterator[Client]:
    assert gateway.runtime.admin_key is not None
    with Client(gateway_url, gateway.runtime.admin_key) as opened:
        yield opened
