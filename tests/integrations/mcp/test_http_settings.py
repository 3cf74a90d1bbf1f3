"""The HTTP proxy's settings and what it sends upstream, without processes: where it may
listen, whom it lets in, and which of the agent's headers go on."""

from __future__ import annotations

import socket

import anyio
import httpx2
import mcp_types as types
import pytest

from proctor.errors import InvalidInput
from proctor.integrations.mcp import (
    HttpListen,
    HttpUpstream,
    is_loopback,
    parse_listen,
    security_settings,
    upstream_headers,
)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("localhost.evil.example", False),
        ("example.com", False),
    ],
)
def test_loopback_is_this_machine_only(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_listening_beyond_loopback_needs_saying_so() -> None:
    with pytest.raises(InvalidInput) as refused:
        HttpListen(host="0.0.0.0", port=8765)

    assert refused.value.code == "listen_not_loopback"
    assert HttpListen(host="0.0.0.0", port=8765, allow_remote=True).host == "0.0.0.0"


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("127.0.0.1:8765", ("127.0.0.1", 8765)),
        ("[::1]:0", ("::1", 0)),
        ("9000", ("127.0.0.1", 9000)),
    ],
)
def test_listen_addresses_parse(value: str, parsed: tuple[str, int]) -> None:
    assert parse_listen(value) == parsed


def test_a_listen_address_without_a_port_number_is_refused() -> None:
    with pytest.raises(InvalidInput, match="give HOST:PORT"):
        parse_listen("127.0.0.1:http")


def test_only_the_proxys_own_address_and_allowed_origins_pass() -> None:
    listen = HttpListen(port=8765, allowed_origins=("https://app.example",))

    settings = security_settings(listen, 8765)

    assert set(settings.allowed_hosts) == {"127.0.0.1:8765", "localhost:8765", "[::1]:8765"}
    assert "http://127.0.0.1:8765" in settings.allowed_origins
    assert "https://app.example" in settings.allowed_origins
    assert not any("*" in value for value in [*settings.allowed_hosts, *settings.allowed_origins])


def test_credentials_never_go_to_a_remote_upstream_in_the_clear() -> None:
    with pytest.raises(InvalidInput, match="in the clear"):
        HttpUpstream("http://mcp.example.com/mcp", authorization="Bearer x")
    with pytest.raises(InvalidInput, match="in the clear"):
        HttpUpstream("http://mcp.example.com/mcp", forward_authorization=True)
    assert HttpUpstream("http://127.0.0.1:9/mcp", authorization="Bearer x").authorization
    assert "Bearer x" not in repr(HttpUpstream("https://h.example/mcp", authorization="Bearer x"))


def test_an_upstream_is_an_http_url() -> None:
    for url in ("file:///etc/passwd", "ftp://h.example/mcp", "mcp.example.com/mcp"):
        with pytest.raises(InvalidInput, match="not an http"):
            HttpUpstream(url)


_AGENT_HEADERS = {
    "mcp-protocol-version": "2026-07-28",
    "mcp-method": "tools/call",
    "mcp-name": "delete_repo",
    "mcp-param-region": "eu",
    "authorization": "Bearer agent",
    "cookie": "session=abc",
    "x-forwarded-for": "10.0.0.1",
}


def _modern_call(name: str) -> types.JSONRPCRequest:
    meta = {types.PROTOCOL_VERSION_META_KEY: "2026-07-28"}
    params = {"_meta": meta, "name": name, "arguments": {"region": "eu"}}
    return types.JSONRPCRequest(jsonrpc="2.0", id=1, method="tools/call", params=params)


def test_routing_headers_are_rebuilt_from_the_body_the_gateway_judged() -> None:
    headers = upstream_headers(
        _modern_call("read_repo"), _AGENT_HEADERS, forward_authorization=False
    )

    assert headers == {
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": "read_repo",
        "mcp-param-region": "eu",
    }


def test_authorization_goes_on_only_when_forwarding() -> None:
    headers = upstream_headers(
        _modern_call("read_repo"), _AGENT_HEADERS, forward_authorization=True
    )

    assert headers["authorization"] == "Bearer agent"
    assert "cookie" not in headers


def test_a_handshake_era_message_carries_the_sessions_version_only() -> None:
    message = types.JSONRPCRequest(
        jsonrpc="2.0", id=2, method="tools/call", params={"name": "x", "arguments": {}}
    )
    incoming = {"mcp-protocol-version": "2025-11-25", "mcp-name": "y", "cookie": "c"}

    headers = upstream_headers(message, incoming, forward_authorization=False)

    assert headers == {"mcp-protocol-version": "2025-11-25"}


def test_an_unreachable_upstream_is_named_without_its_keys() -> None:
    """The error the agent reads (and the log) names the upstream, not the key in its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    upstream = HttpUpstream(f"http://user:pw-SECRET@127.0.0.1:{port}/mcp?key=SECRET")

    async def post() -> httpx2.Response:
        async with upstream.client() as client:
            return await client.post(upstream.url, json={})

    answer = anyio.run(post)

    assert answer.status_code == 502
    message = answer.json()["error"]["message"]
    assert message.startswith(f"the upstream MCP server at http://127.0.0.1:{port}/mcp?… could not")
    assert "SECRET" not in answer.text
    assert "SECRET" not in repr(upstream)
