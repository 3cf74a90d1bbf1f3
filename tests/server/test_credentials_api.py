"""Agents' credentials over real HTTP: the inventory view, the token ledger, revoking one."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from proctor.admin import Admin
from proctor.errors import Unauthorized
from proctor.gateway import Gateway
from proctor.identity import IssuedToken, TokenService
from proctor.model import ActionClass, Agent, Capabilities, Task
from proctor.people import Role
from proctor.runtime import Runtime
from tests.server.conftest import Api, assert_error


@pytest.fixture
def root(admin: Admin, incident: Task) -> IssuedToken:
    """forum-bot's token for the incident's analysis task."""
    return admin.issue_task_token(incident.id, actor="dana")


@pytest.fixture
def child(admin: Admin, gateway: Gateway, root: IssuedToken) -> IssuedToken:
    """forum-bot handed its task on to a registered sub-agent."""
    admin.put_agent(Agent(id="summarizer", name="Summarizer", owner="data-team"), actor="t")
    return gateway.runtime.tokens.exchange(root.token, to_agent_id="summarizer")


def revoke_entries(gateway: Gateway) -> list[dict[str, Any]]:
    return [
        dict(entry.body)
        for entry in gateway.runtime.audit.iter_entries()
        if entry.kind == "admin" and entry.body["action"] == "token.revoke"
    ]


def refused(runtime: Runtime, token: str) -> str:
    with pytest.raises(Unauthorized) as caught:
        runtime.tokens.verify(token)
    return caught.value.code


# -- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/agents/forum-bot/credentials", None),
        ("GET", "/v1/tokens", None),
        ("GET", "/v1/tokens?agent=forum-bot", None),
        ("GET", "/v1/tokens/some-jti", None),
        ("POST", "/v1/tokens/some-jti/revoke", {"reason": "leaked"}),
    ],
)
def test_every_route_needs_an_admin_key(
    anonymous: Api, method: str, path: str, body: dict[str, str] | None
) -> None:
    assert_error(anonymous.request(method, path, json=body), 401, "missing_api_key")
    forged = Api(anonymous.app, "prk_nope.not-a-real-secret")
    assert_error(forged.request(method, path, json=body), 401, "invalid_api_key")


def test_an_agent_token_is_not_an_admin_key(
    agent: Api, gateway: Gateway, root: IssuedToken
) -> None:
    response = agent.post(f"/v1/tokens/{root.claims.jti}/revoke", json={"reason": "mine"})
    assert response.status_code == 401, response.text
    assert agent.get("/v1/tokens").status_code == 401
    gateway.runtime.tokens.verify(root.token)
    assert revoke_entries(gateway) == []


def test_a_person_needs_the_admin_role(app: FastAPI, gateway: Gateway, root: IssuedToken) -> None:
    people = gateway.runtime.people
    people.add("vera", "Vera", [Role.VIEWER, Role.AUDITOR, Role.LAUNCHER, Role.APPROVER])
    _, key = people.create_key("vera")
    vera = Api(app, key)
    assert_error(vera.get("/v1/agents/forum-bot/credentials"), 403, "role_required")
    assert_error(vera.get("/v1/tokens"), 403, "role_required")
    response = vera.post(f"/v1/tokens/{root.claims.jti}/revoke", json={"reason": "x"})
    assert_error(response, 403, "role_required")
    gateway.runtime.tokens.verify(root.token)

    people.add("ada", "Ada", [Role.ADMIN])
    _, key = people.create_key("ada")
    response = Api(app, key).post(f"/v1/tokens/{root.claims.jti}/revoke", json={"reason": "x"})
    assert response.status_code == 200, response.text
    assert revoke_entries(gateway)[0]["actor"] == "person:ada"


# -- the inventory view -----------------------------------------------------------------------


def test_an_agents_credentials(api: Api, gateway: Gateway, root: IssuedToken) -> None:
    gateway.runtime.ledger.touch(root.claims.jti)
    response = api.get("/v1/agents/forum-bot/credentials")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["agent"]["owner"] == "platform-team"
    assert body["agent"]["status"] == "active"
    assert body["grants"] == {"actions": ["read"], "tools": []}
    assert "forum.read_thread" in body["tools"]
    assert "forum.post" not in body["tools"]
    [token] = body["active_tokens"]
    assert token["jti"] == root.claims.jti
    assert token["task_id"] == root.claims.task_id
    assert token["requester"] == "dana"
    assert token["state"] == "active"
    assert token["issued_by"] == "dana"
    assert token["depth"] == 0
    assert token["parent_jti"] is None
    assert token["may_deliver"] is True
    assert token["last_used_at"] is not None
    assert body["last_seen"] == token["last_used_at"]
    assert body["delegations"] == []
    assert body["delegated_by"] == []
    assert root.token not in response.text, "the signed token is never shown"


def test_delegations_are_shown_both_ways(api: Api, root: IssuedToken, child: IssuedToken) -> None:
    parent_view = api.get("/v1/agents/forum-bot/credentials").json()
    [handed] = parent_view["delegations"]
    assert handed["from_agent"] == "forum-bot"
    assert handed["to_agent"] == "summarizer"
    assert handed["parent_jti"] == root.claims.jti
    assert handed["jti"] == child.claims.jti
    assert handed["task_id"] == root.claims.task_id

    child_view = api.get("/v1/agents/summarizer/credentials").json()
    assert child_view["agent"]["owner"] == "data-team"
    [token] = child_view["active_tokens"]
    assert token["jti"] == child.claims.jti
    assert token["depth"] == 1
    assert token["parent_jti"] == root.claims.jti
    assert token["issued_by"] == "forum-bot"
    assert [d["from_agent"] for d in child_view["delegated_by"]] == ["forum-bot"]
    assert child_view["last_seen"] is None


def test_an_unknown_agent_is_404(api: Api) -> None:
    assert_error(api.get("/v1/agents/nobody/credentials"), 404, "not_found")


def test_a_suspended_agent_holds_no_active_tokens(
    api: Api, root: IssuedToken, child: IssuedToken
) -> None:
    response = api.post(
        "/v1/agents/forum-bot/status", json={"status": "suspended", "reason": "misbehaved"}
    )
    assert response.status_code == 200, response.text
    body = api.get("/v1/agents/forum-bot/credentials").json()
    assert body["agent"]["status"] == "suspended"
    assert body["active_tokens"] == []
    assert body["delegations"] == []
    assert api.get("/v1/agents/summarizer/credentials").json()["active_tokens"] == []


# -- the ledger ---------------------------------------------------------------------------------


def test_list_tokens(api: Api, root: IssuedToken, child: IssuedToken) -> None:
    everyone = api.get("/v1/tokens").json()
    assert {t["jti"] for t in everyone} == {root.claims.jti, child.claims.jti}
    mine = api.get("/v1/tokens", params={"agent": "summarizer"}).json()
    assert [t["jti"] for t in mine] == [child.claims.jti]
    assert api.get("/v1/tokens", params={"agent": "nobody"}).json() == []
    assert len(api.get("/v1/tokens", params={"limit": 1}).json()) == 1
    assert_error(api.get("/v1/tokens", params={"limit": 0}), 422, "invalid_request")
    assert_error(api.get("/v1/tokens", params={"limit": "many"}), 422, "invalid_request")


def test_list_tokens_with_inactive(api: Api, admin: Admin, root: IssuedToken) -> None:
    admin.revoke_token(root.claims.jti, actor="t", reason="test")
    assert api.get("/v1/tokens").json() == []
    listed = api.get("/v1/tokens", params={"include_inactive": "true"}).json()
    assert [(t["jti"], t["state"]) for t in listed] == [(root.claims.jti, "revoked")]


def test_get_one_token(api: Api, root: IssuedToken) -> None:
    response = api.get(f"/v1/tokens/{root.claims.jti}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["jti"] == root.claims.jti
    assert body["agent_id"] == "forum-bot"
    assert body["grants"]["actions"] == ["read"]
    assert root.token not in response.text
    assert_error(api.get("/v1/tokens/no-such-token"), 404, "unknown_token")


# -- revoking one token -------------------------------------------------------------------------


def test_revoking_a_token_stops_it_and_its_delegations(
    api: Api, gateway: Gateway, admin_key: str, root: IssuedToken, child: IssuedToken
) -> None:
    runtime = gateway.runtime
    runtime.tokens.verify(root.token)
    response = api.post(f"/v1/tokens/{root.claims.jti}/revoke", json={"reason": "leaked in a log"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["revoked"] is True
    assert body["known"] is True
    assert body["token"]["state"] == "revoked"

    assert refused(runtime, root.token) == "token_revoked"
    assert refused(runtime, child.token) == "token_revoked"
    assert api.get("/v1/agents/forum-bot/credentials").json()["active_tokens"] == []
    assert api.get("/v1/tokens").json() == []

    [entry] = revoke_entries(gateway)
    assert entry["actor"] == f"admin-key:{admin_key.split('.')[0].removeprefix('prk_')}"
    assert entry["target"] == root.claims.jti
    assert entry["details"]["reason"] == "leaked in a log"
    assert entry["details"]["known"] is True
    assert entry["details"]["agent"] == "forum-bot"


def test_revoking_a_delegated_token_keeps_its_parent(
    api: Api, gateway: Gateway, root: IssuedToken, child: IssuedToken
) -> None:
    response = api.post(f"/v1/tokens/{child.claims.jti}/revoke", json={"reason": "sub-agent done"})
    assert response.status_code == 200, response.text
    assert refused(gateway.runtime, child.token) == "token_revoked"
    gateway.runtime.tokens.verify(root.token)
    body = api.get("/v1/agents/forum-bot/credentials").json()
    assert [t["jti"] for t in body["active_tokens"]] == [root.claims.jti]
    assert body["delegations"] == []


def test_revoking_a_token_the_ledger_never_saw(api: Api, gateway: Gateway, incident: Task) -> None:
    runtime = gateway.runtime
    # Signed with the gateway's key by a process that kept no ledger.
    unledgered = TokenService(runtime.database, runtime.signing_keys, issuer=runtime.tokens.issuer)
    issued = unledgered.issue(
        agent_id="forum-bot",
        task_id=incident.id,
        requester="dana",
        capabilities=Capabilities(actions=frozenset({ActionClass.READ})),
    )
    runtime.tokens.verify(issued.token)
    assert_error(api.get(f"/v1/tokens/{issued.claims.jti}"), 404, "unknown_token")

    response = api.post(f"/v1/tokens/{issued.claims.jti}/revoke", json={"reason": "found in a log"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "jti": issued.claims.jti,
        "revoked": True,
        "known": False,
        "token": None,
    }
    assert refused(runtime, issued.token) == "token_revoked"
    [entry] = revoke_entries(gateway)
    assert entry["details"]["known"] is False


def test_revoking_twice_is_harmless_and_both_are_audited(
    api: Api, gateway: Gateway, root: IssuedToken
) -> None:
    for _ in range(2):
        response = api.post(f"/v1/tokens/{root.claims.jti}/revoke", json={"reason": "again"})
        assert response.status_code == 200, response.text
    assert len(revoke_entries(gateway)) == 2


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "invalid_request"),
        ({"reason": "   "}, "invalid_reason"),
        ({"reason": "x", "force": True}, "invalid_request"),
        ({"reason": "x" * 5000}, "invalid_request"),
    ],
)
def test_a_revocation_needs_a_reason(
    api: Api, gateway: Gateway, root: IssuedToken, body: dict[str, Any], code: str
) -> None:
    response = api.post(f"/v1/tokens/{root.claims.jti}/revoke", json=body)
    assert_error(response, 422, code)
    gateway.runtime.tokens.verify(root.token)
    assert revoke_entries(gateway) == []


def test_an_overlong_jti_is_refused(api: Api, gateway: Gateway) -> None:
    response = api.post(f"/v1/tokens/{'j' * 65}/revoke", json={"reason": "x"})
    assert_error(response, 422, "invalid_jti")
    assert revoke_entries(gateway) == []


def test_another_process_refuses_the_revoked_token(
    api: Api, gateway: Gateway, root: IssuedToken
) -> None:
    other = Runtime.open(gateway.runtime.home.path)
    try:
        other.tokens.verify(root.token)
        response = api.post(f"/v1/tokens/{root.claims.jti}/revoke", json={"reason": "leaked"})
        assert response.status_code == 200, response.text
        token = other.ledger.get(root.claims.jti)
        assert token is not None
        assert token.state.value == "revoked"
        assert refused(other, root.token) == "token_revoked"
    finally:
        other.close()
