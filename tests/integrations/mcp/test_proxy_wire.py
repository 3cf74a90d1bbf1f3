"""What crosses the stdio proxy is what it judged.

The proxy reads the agent's lines and the server's lines itself and passes on each
message as it understood it, serialized again: a line that could mean one thing to
the proxy and another to the other side (a key given twice, members the protocol
does not have) reaches it as the one message the proxy judged. A batch, half a line,
bytes that are not UTF-8, a message larger than a pipe holds: each is handled the
same way, and the relay keeps its place. Real processes, every wait bounded.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from tests.integrations.mcp.conftest import RawProxy, Setup, audit_entries
from tests.integrations.mcp.toy_server import INJECTED

RAW_SERVER = Path(__file__).with_name("raw_server.py")


def _call(request_id: int, name: str, **arguments: str) -> dict[str, object]:
    params = {"name": name, "arguments": arguments}
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


def _listed(raw: RawProxy) -> None:
    raw.handshake()
    raw.send({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert raw.receive()["id"] == 1


def test_a_request_naming_its_method_twice_is_judged_as_it_is_forwarded(
    raw: RawProxy, setup: Setup
) -> None:
    _listed(raw)
    params = '"params":{"name":"delete_note","arguments":{"id":"n1"}}'
    # The last of two equal keys counts, for the proxy and for what it forwards alike.
    raw.send('{"jsonrpc":"2.0","id":2,"method":"ping","method":"tools/call",' + params + "}")
    held = raw.receive()
    raw.send('{"jsonrpc":"2.0","id":3,"method":"tools/call","method":"ping",' + params + "}")
    pinged = raw.receive()

    assert held["id"] == 2
    assert held["result"]["isError"] is True
    assert held["result"]["_meta"]["proctor/decision"]["outcome"] == "require_approval"
    assert pinged["id"] == 3
    assert "content" not in pinged.get("result", {})
    assert setup.ran() == []


def test_members_the_protocol_does_not_have_smuggle_nothing(raw: RawProxy, setup: Setup) -> None:
    _listed(raw)
    smuggled = _call(2, "delete_note", id="n1")
    raw.send({"jsonrpc": "2.0", "id": 3, "method": "prompts/list", "call": smuggled})
    listing = raw.receive()

    assert listing["id"] == 3
    assert [prompt["name"] for prompt in listing["result"]["prompts"]] == ["greet"]
    assert setup.ran() == []


def test_a_batch_is_refused_whole_and_runs_nothing(raw: RawProxy, setup: Setup) -> None:
    _listed(raw)
    raw.send(json.dumps([_call(2, "read_note", id="n1"), _call(3, "delete_note", id="n1")]))
    refused = raw.receive()
    raw.send(_call(4, "read_note", id="n2"))
    allowed = raw.receive()

    assert refused["id"] is None
    assert refused["error"]["code"] == -32700
    assert allowed["id"] == 4
    assert allowed["result"]["content"][0]["text"] == 'read_note ran with {"id": "n2"}'
    assert setup.ran() == ["read_note"]


def test_lines_that_are_not_messages_are_refused_and_the_relay_keeps_its_place(
    raw: RawProxy,
) -> None:
    raw.handshake()
    raw.write(b'{"jsonrpc": "2.0", "id": "\xff\xfe", "method": [}\n')  # not UTF-8, not JSON
    raw.write(b"\n")
    raw.write(b'{"jsonrpc": "2.0", "id": 5, "method": "tools/li')  # half a line...
    time.sleep(0.3)
    # ...its end, and one more line, in one write:
    raw.write(b'st"}\n{"jsonrpc": "2.0", "id": 6, "method": "prompts/list"}\n')

    answers = [raw.receive() for _ in range(4)]

    assert [answer["id"] for answer in answers] == [None, None, 5, 6]
    assert [answer["error"]["code"] for answer in answers[:2]] == [-32700, -32700]
    assert "read_note" in {tool["name"] for tool in answers[2]["result"]["tools"]}
    assert answers[3]["result"]["prompts"][0]["name"] == "greet"


def test_messages_larger_than_a_pipe_holds_cross_whole(raw: RawProxy, setup: Setup) -> None:
    _listed(raw)
    note = "é" * 150_000 + "\n" + "x" * 150_000
    raw.send(_call(2, "read_note", id=note))
    raw.send(_call(3, "read_note", id="short"))
    first, second = raw.receive(), raw.receive()

    assert first["id"] == 2
    expected = "read_note ran with " + json.dumps({"id": note}, sort_keys=True)
    assert first["result"]["content"][0]["text"] == expected
    assert second["id"] == 3
    assert setup.ran() == ["read_note", "read_note"]


def test_the_agent_reads_the_one_result_the_gateway_screened(setup: Setup) -> None:
    """A server's line naming ``id`` and ``result`` twice reaches the agent as the one
    answer the proxy read, recorded and screened."""
    setup.env["RAW_PAGE"] = INJECTED
    raw = RawProxy(setup, params=setup.proxy(sys.executable, str(RAW_SERVER), server="raw"))
    try:
        _listed(raw)
        raw.send(_call(2, "read_page", url="https://example.com/notes"))
        line = raw.receive_line()
        raw.hang_up()  # the outcome is recorded once the agent has the answer: let it be
    finally:
        raw.close()
    answer = json.loads(line)

    assert line.count(b'"id"') == 1
    assert b"decoy" not in line
    assert b"nothing to see" not in line
    assert answer["id"] == 2
    assert answer["result"]["content"][0]["text"] == INJECTED
    (outcome,) = audit_entries(setup.home, "outcome")
    assert outcome["status"] == "succeeded"
    assert outcome["screened"]["injection"] is True
