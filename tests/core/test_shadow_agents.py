"""Shadow agents: callers Proctor did not issue credentials to are denied and noted."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from proctor.gateway import Gateway
from proctor.inventory import SHADOW_OVERFLOW, Caller, ShadowAgents
from proctor.model import CheckRequest, Outcome, Task, ToolCall
from tests.identity.conftest import sign_by_hand


def forged(gateway: Gateway, subject: str, *, kid: str = "forged-key", **claims: object) -> str:
    """A well-formed token for ``subject`` signed with a key Proctor never issued."""
    now = int(time.time())
    body: dict[str, object] = {
        "iss": gateway.runtime.tokens.issuer,
        "sub": subject,
        "aud": "proctor",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": f"forged-{subject}",
        "task": "task_1",
        "requester": "mallory",
        "caps": {"actions": ["read", "publish"], "tools": ["*"]},
    }
    body.update(claims)
    header = {"alg": "EdDSA", "kid": kid, "typ": "JWT"}
    return sign_by_hand(header, body, Ed25519PrivateKey.generate())


def test_a_token_signed_by_someone_else_is_denied_and_recorded(
    gateway: Gateway, incident: Task
) -> None:
    caller = Caller(address="10.1.2.3", user_agent="rogue-agent/0.1")
    token = forged(gateway, "rogue")
    for _ in range(3):
        decision = gateway.check(token, ToolCall("repo.set_permissions"), caller=caller)
        assert decision.outcome is Outcome.DENY
        assert decision.code == "token_unknown_key"
    [shadow] = gateway.runtime.shadow_agents.list()
    assert (shadow.agent_id, shadow.count, shadow.last_tool) == ("rogue", 3, "repo.set_permissions")
    assert (shadow.last_client, shadow.last_user_agent) == ("10.1.2.3", "rogue-agent/0.1")
    assert shadow.last_problem == "token_unknown_key"
    assert shadow.last_task == "task_1"
    assert shadow.first_seen <= shadow.last_seen


def test_a_registered_agents_name_on_a_forged_token_is_still_a_shadow(
    gateway: Gateway, incident: Task
) -> None:
    """Naming a real agent does not help: the signature is what counts."""
    real_kid = gateway.runtime.signing_keys.current().kid
    decision = gateway.check(forged(gateway, "forum-bot", kid=real_kid), ToolCall("forum.post"))
    assert decision.code == "token_bad_signature"
    [shadow] = gateway.runtime.shadow_agents.list()
    assert (shadow.agent_id, shadow.last_problem) == ("forum-bot", "token_bad_signature")


def test_a_token_from_another_issuer_is_a_shadow(gateway: Gateway, incident_token: str) -> None:
    decision = gateway.check(
        forged(gateway, "visitor", iss="https://elsewhere.example"), ToolCall("x")
    )
    assert decision.code in {"token_unknown_key", "token_wrong_issuer"}
    assert gateway.runtime.shadow_agents.list()[0].agent_id == "visitor"


@pytest.mark.parametrize("garbage", ["not-a-jwt", "a.b.c", "e30.e30.", "x" * 5000])
def test_garbage_tokens_are_counted_as_unidentified(gateway: Gateway, garbage: str) -> None:
    decision = gateway.check(garbage, ToolCall("x"))
    assert decision.code == "token_malformed"
    [shadow] = gateway.runtime.shadow_agents.list()
    assert shadow.agent_id == "(unidentified)"


def test_expired_or_revoked_tokens_are_not_shadows(gateway: Gateway, incident_token: str) -> None:
    """Their holders are known agents; the refusal says what happened to the token."""
    tokens = gateway.runtime.tokens
    tokens.revoke(tokens.verify(incident_token), "test", "sec")
    assert gateway.check(incident_token, ToolCall("forum.read_thread")).code == "token_revoked"
    assert gateway.runtime.shadow_agents.list() == []


def test_registered_agents_are_never_shadows(gateway: Gateway, incident_token: str) -> None:
    gateway.check(incident_token, ToolCall("forum.read_thread"))
    assert gateway.runtime.shadow_agents.list() == []


def test_explaining_a_call_records_no_shadow(gateway: Gateway) -> None:
    gateway.explain(CheckRequest("rogue", "t-1", "x"))
    assert gateway.runtime.shadow_agents.list() == []


def test_a_failing_shadow_register_still_denies(gateway: Gateway) -> None:
    with gateway.runtime.database.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE shadow_agents")
    decision = gateway.check(forged(gateway, "rogue"), ToolCall("x"))
    assert decision.code == "token_unknown_key"


def test_the_register_is_bounded(gateway: Gateway) -> None:
    """Anyone can send forged tokens; past the bound new names share one row."""
    register = ShadowAgents(gateway.runtime.database, max_entries=3)
    for index in range(6):
        register.record(f"rogue-{index}", tool="x", task="t", caller=None)
    register.record("rogue-0", tool="y", task="t", caller=None)
    rows = {shadow.agent_id: shadow.count for shadow in register.list()}
    assert rows == {"rogue-0": 2, "rogue-1": 1, "rogue-2": 1, SHADOW_OVERFLOW: 3}


def test_cli_lists_shadow_agents(gateway: Gateway) -> None:
    gateway.check(forged(gateway, "rogue"), ToolCall("mail.send"))
    home = gateway.runtime.home.path
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "proctor",
            "agents",
            "list",
            "--shadow",
            "--json",
            "--data-dir",
            str(home),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    [shadow] = json.loads(result.stdout)
    assert (shadow["agent_id"], shadow["count"], shadow["last_tool"]) == ("rogue", 1, "mail.send")
    assert shadow["last_problem"] == "token_unknown_key"
