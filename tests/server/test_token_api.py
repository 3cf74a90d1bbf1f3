"""POST /v1/token: the workload path (RFC 7523) and delegation (RFC 8693) over real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc.jwk import OKPKey

from proctor.admin import Admin
from proctor.errors import InvalidInput
from proctor.gateway import Gateway
from proctor.manifest import apply_manifest, load_manifest
from proctor.model import ActionClass, Agent, Audience, Capabilities, Deliverable, Task
from proctor.server._token_routes import (
    ACCESS_TOKEN_TYPE,
    CLIENT_CREDENTIALS,
    JWT_BEARER,
    JWT_TOKEN_TYPE,
    TOKEN_EXCHANGE,
    Scope,
    format_scope,
    parse_scope,
)
from tests.conftest import ensure_person
from tests.identity.conftest import b64url, encode_json, segments, sign_by_hand
from tests.server.conftest import Api, assert_error
from tests.server.live import live_server

AUDIENCE = "proctor/v1/token"
CLIENT_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
REPO_ROOT = Path(__file__).resolve().parents[2]
WIDE = Capabilities(
    actions=frozenset({ActionClass.READ, ActionClass.WRITE}), tools=("files.*", "search")
)


def public_jwk(key: Ed25519PrivateKey) -> dict[str, str]:
    return dict(OKPKey.import_key(key.public_key()).as_dict(private=False))


@dataclass
class Agents:
    """Registers agents over the admin API and speaks for them on /v1/token."""

    api: Api
    anonymous: Api
    admin: Admin
    keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)

    def register(self, agent_id: str, *, key: bool = True) -> None:
        body: dict[str, Any] = {"id": agent_id, "owner": "platform-team"}
        if key:
            self.keys[agent_id] = Ed25519PrivateKey.generate()
            body["public_key"] = public_jwk(self.keys[agent_id])
        response = self.api.post("/v1/agents", json=body)
        assert response.status_code == 200, response.text

    def task(self, agent_id: str = "forum-bot", **options: Any) -> Task:
        values: dict[str, Any] = {
            "agent_id": agent_id,
            "requester": "dana",
            "purpose": "Analyze thread 4411 and reply privately",
            "capabilities": WIDE,
            "deliverable": Deliverable("private reply", Audience.REQUESTER),
            "actor": "dana",
        }
        values.update(options)
        ensure_person(self.admin, values["requester"])
        return self.admin.create_task(**values)

    def assertion(
        self, agent_id: str = "forum-bot", key: Ed25519PrivateKey | None = None, **changes: Any
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": agent_id,
            "sub": agent_id,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + 60,
            "jti": secrets.token_urlsafe(12),
        }
        claims.update(changes)
        return sign_by_hand({"alg": "EdDSA"}, claims, key or self.keys[agent_id])

    def token(self, form: dict[str, str], **kwargs: Any) -> httpx.Response:
        return self.anonymous.post("/v1/token", data=form, **kwargs)

    def get_token(self, task: Task, agent_id: str = "forum-bot") -> dict[str, Any]:
        form = {"grant_type": JWT_BEARER, "assertion": self.assertion(agent_id), "task_id": task.id}
        response = self.token(form)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def exchange(self, subject_token: str, agent_id: str, **params: str) -> httpx.Response:
        form = {
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": subject_token,
            "subject_token_type": JWT_TOKEN_TYPE,
            "agent_id": agent_id,
            **params,
        }
        return self.token(form)


@pytest.fixture
def agents(api: Api, anonymous: Api, admin: Admin) -> Agents:
    agents = Agents(api, anonymous, admin)
    agents.register("forum-bot")
    for sub_agent in ("summarizer", "helper-1", "helper-2", "helper-3", "helper-4"):
        agents.register(sub_agent, key=False)
    return agents


@pytest.fixture
def task(agents: Agents) -> Task:
    return agents.task()


def refused(response: httpx.Response, error: str, code: str, status: int = 400) -> str:
    """The token endpoint's error shape: RFC 6749 ``error`` plus Proctor's code and message."""
    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"code", "message", "error"}, body
    assert (body["error"], body["code"]) == (error, code), body
    assert body["message"]
    assert "Traceback" not in response.text
    return str(body["message"])


def token_entries(gateway: Gateway) -> list[dict[str, Any]]:
    return [entry.body for entry in gateway.runtime.audit.tail(100) if entry.kind == "token"]


# -- the workload path, end to end ---------------------------------------------------------


def test_register_assert_get_a_token_and_delegate_it(
    agents: Agents, task: Task, gateway: Gateway, api: Api
) -> None:
    listed = {agent["id"]: agent for agent in api.get("/v1/agents").json()}
    assert listed["forum-bot"]["public_key"] == public_jwk(agents.keys["forum-bot"])
    assert listed["summarizer"]["public_key"] is None

    response = agents.token(
        {"grant_type": JWT_BEARER, "assertion": agents.assertion(), "task_id": task.id}
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["issued_token_type"] == JWT_TOKEN_TYPE
    assert body["scope"] == "read write tool:files.* tool:search deliver"
    assert 0 < body["expires_in"] <= 900
    assert body["chain"] == ["dana", "forum-bot"]
    root = gateway.runtime.tokens.verify(body["access_token"])
    assert (root.agent_id, root.task_id, root.requester, root.jti) == (
        "forum-bot",
        task.id,
        "dana",
        body["jti"],
    )
    assert root.capabilities == WIDE
    assert root.may_deliver

    exchanged = agents.exchange(body["access_token"], "summarizer", scope="read tool:files.read")
    assert exchanged.status_code == 200, exchanged.text
    assert exchanged.headers["cache-control"] == "no-store"
    delegated = exchanged.json()
    assert delegated["chain"] == ["dana", "forum-bot", "summarizer"]
    assert delegated["scope"] == "read tool:files.read"
    assert delegated["issued_token_type"] == JWT_TOKEN_TYPE
    credential = gateway.runtime.tokens.verify(delegated["access_token"])
    assert credential.chain == ("dana", "forum-bot", "summarizer")
    assert (credential.agent_id, credential.task_id, credential.depth) == (
        "summarizer",
        task.id,
        1,
    )
    assert credential.parent_jti == root.jti
    assert credential.capabilities == Capabilities(
        actions=frozenset({ActionClass.READ}), tools=("files.read",)
    )
    assert not credential.may_deliver
    assert credential.expires_at <= root.expires_at

    issue = [e.body for e in gateway.runtime.audit.tail(100) if e.kind == "admin"][-1]
    assert (issue["action"], issue["actor"], issue["target"]) == (
        "token.issue",
        "agent:forum-bot",
        task.id,
    )
    assert issue["details"]["jti"] == root.jti
    [exchange] = token_entries(gateway)
    assert (exchange["action"], exchange["actor"], exchange["target"]) == (
        "token.exchange",
        "agent:forum-bot",
        task.id,
    )
    assert exchange["details"]["parent_jti"] == root.jti
    assert exchange["details"]["jti"] == credential.jti
    assert exchange["details"]["chain"] == ["dana", "forum-bot", "summarizer"]
    assert "access_token" not in json.dumps(exchange)


def test_client_credentials_with_a_client_assertion_is_the_same_path(
    agents: Agents, task: Task, gateway: Gateway
) -> None:
    form = {
        "grant_type": CLIENT_CREDENTIALS,
        "client_assertion_type": CLIENT_ASSERTION,
        "client_assertion": agents.assertion(),
        "client_id": "forum-bot",
        "task_id": task.id,
    }
    response = agents.token(form)
    assert response.status_code == 200, response.text
    assert gateway.runtime.tokens.verify(response.json()["access_token"]).agent_id == "forum-bot"


def test_a_failed_client_assertion_is_invalid_client_with_401(agents: Agents, task: Task) -> None:
    form = {
        "grant_type": CLIENT_CREDENTIALS,
        "client_assertion_type": CLIENT_ASSERTION,
        "client_assertion": agents.assertion(key=Ed25519PrivateKey.generate()),
        "task_id": task.id,
    }
    response = agents.token(form)
    refused(response, "invalid_client", "assertion_bad_signature", status=401)
    assert response.headers["www-authenticate"] == "Bearer"
    no_assertion = {"grant_type": CLIENT_CREDENTIALS, "task_id": task.id}
    refused(agents.token(no_assertion), "invalid_client", "token_request_invalid", status=401)


def test_client_id_must_name_the_agent_that_signed(agents: Agents, task: Task) -> None:
    form = {
        "grant_type": JWT_BEARER,
        "assertion": agents.assertion(),
        "task_id": task.id,
        "client_id": "summarizer",
    }
    refused(agents.token(form), "invalid_client", "client_mismatch", status=401)


def test_the_agent_gets_a_token_only_for_its_own_live_task(agents: Agents, task: Task) -> None:
    agents.register("other-bot")
    others = agents.task("other-bot")
    form = {"grant_type": JWT_BEARER, "assertion": agents.assertion(), "task_id": others.id}
    refused(agents.token(form), "invalid_grant", "task_not_assigned")
    form = {"grant_type": JWT_BEARER, "assertion": agents.assertion(), "task_id": "task_nope"}
    refused(agents.token(form), "invalid_grant", "task_not_assigned")


def test_an_expired_task_gets_no_token(agents: Agents) -> None:
    short = agents.task(ttl=timedelta(seconds=1))
    time.sleep(1.1)
    form = {"grant_type": JWT_BEARER, "assertion": agents.assertion(), "task_id": short.id}
    refused(agents.token(form), "invalid_grant", "task_expired")


# -- the workload path, attacked -----------------------------------------------------------


def _hs256_with_public_key(agents: Agents) -> str:
    secret = OKPKey.import_key(agents.keys["forum-bot"].public_key()).as_bytes()
    claims = segments(agents.assertion())[1]
    signing_input = f"{encode_json({'alg': 'HS256', 'typ': 'JWT'})}.{encode_json(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def _unsigned(agents: Agents) -> str:
    claims = segments(agents.assertion())[1]
    return f"{encode_json({'alg': 'none'})}.{encode_json(claims)}."


ATTACKS: dict[str, tuple[Any, str]] = {
    "another key": (
        lambda a: a.assertion(key=Ed25519PrivateKey.generate()),
        "assertion_bad_signature",
    ),
    "alg none": (_unsigned, "assertion_alg_not_allowed"),
    "HS256 keyed with the public key": (_hs256_with_public_key, "assertion_alg_not_allowed"),
    "expired": (
        lambda a: a.assertion(iat=int(time.time()) - 400, exp=int(time.time()) - 100),
        "assertion_expired",
    ),
    "exp too far": (
        lambda a: a.assertion(exp=int(time.time()) + 3600),
        "assertion_lifetime_too_long",
    ),
    "wrong aud": (lambda a: a.assertion(aud="proctor"), "assertion_wrong_audience"),
    "iss is not sub": (lambda a: a.assertion(sub="summarizer"), "assertion_claims_invalid"),
    "unknown agent": (
        lambda a: a.assertion("ghost", key=a.keys["forum-bot"]),
        "assertion_unknown_agent",
    ),
    "agent without a key": (
        lambda a: a.assertion("summarizer", key=a.keys["forum-bot"]),
        "assertion_no_public_key",
    ),
    "garbage": (lambda a: "not.a.jwt", "assertion_malformed"),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_bad_assertions_get_no_token_and_are_audited(
    agents: Agents, task: Task, gateway: Gateway, attack: str
) -> None:
    make, code = ATTACKS[attack]
    form = {"grant_type": JWT_BEARER, "assertion": make(agents), "task_id": task.id}
    refused(agents.token(form), "invalid_grant", code)
    [entry] = token_entries(gateway)
    assert (entry["action"], entry["actor"], entry["target"]) == (
        "token.issue_refused",
        "unauthenticated",
        task.id,
    )
    assert entry["details"]["code"] == code
    assert entry["details"]["grant"] == JWT_BEARER


def test_a_suspended_agent_cannot_assert(agents: Agents, task: Task, api: Api) -> None:
    response = api.post("/v1/agents/forum-bot/status", json={"status": "suspended"})
    assert response.status_code == 200
    form = {"grant_type": JWT_BEARER, "assertion": agents.assertion(), "task_id": task.id}
    refused(agents.token(form), "invalid_grant", "assertion_agent_inactive")


def test_a_replayed_assertion_gets_no_second_token(
    agents: Agents, task: Task, gateway: Gateway
) -> None:
    form = {"grant_type": JWT_BEARER, "assertion": agents.assertion(), "task_id": task.id}
    assert agents.token(form).status_code == 200
    refused(agents.token(form), "invalid_grant", "assertion_replayed")
    [entry] = token_entries(gateway)
    assert entry["details"]["asked"] == {"claimed_agent": "forum-bot"}


# -- delegation, attacked ------------------------------------------------------------------


@pytest.fixture
def root(agents: Agents, task: Task) -> str:
    return str(agents.get_token(task)["access_token"])


@pytest.mark.parametrize(
    ("scope", "error", "code"),
    [
        ("read delete", "invalid_scope", "delegation_widens_capabilities"),
        ("tool:*", "invalid_scope", "delegation_widens_capabilities"),
        ("tool:files.r*", "invalid_scope", "delegation_widens_capabilities"),
        ("tool:vault.read", "invalid_scope", "delegation_widens_capabilities"),
        ("read frobnicate", "invalid_scope", "scope_invalid"),
        ("read  write", "invalid_scope", "scope_invalid"),
    ],
)
def test_an_exchange_that_widens_capabilities_is_refused_and_audited(
    agents: Agents, root: str, gateway: Gateway, scope: str, error: str, code: str
) -> None:
    refused(agents.exchange(root, "summarizer", scope=scope), error, code)
    [entry] = token_entries(gateway)
    assert (entry["action"], entry["actor"]) == ("token.exchange_refused", "agent:forum-bot")
    assert entry["details"]["code"] == code
    assert entry["details"]["asked"]["scope"] == scope
    assert entry["details"]["asked"]["agent_id"] == "summarizer"
    assert entry["details"]["asked"]["subject_jti"] == segments(root)[1]["jti"]


def test_deliver_cannot_be_granted_by_who_may_not_deliver(agents: Agents, root: str) -> None:
    narrowed = agents.exchange(root, "summarizer", scope="read").json()["access_token"]
    response = agents.exchange(narrowed, "helper-1", scope="read deliver")
    refused(response, "invalid_scope", "delegation_widens_capabilities")


def test_an_exchange_cannot_outlive_its_subject(agents: Agents, root: str) -> None:
    refused(
        agents.exchange(root, "summarizer", expires_in="3600"),
        "invalid_request",
        "delegation_extends_expiry",
    )
    refused(
        agents.exchange(root, "summarizer", expires_in="999999"),
        "invalid_request",
        "token_ttl_invalid",
    )
    for bad in ("0", "-5", "1.5", "soon", "1e3"):
        refused(
            agents.exchange(root, "summarizer", expires_in=bad),
            "invalid_request",
            "token_request_invalid",
        )
    shorter = agents.exchange(root, "summarizer", expires_in="60")
    assert shorter.status_code == 200, shorter.text
    assert shorter.json()["expires_in"] == 60


def test_the_delegation_chain_is_bounded(agents: Agents, root: str) -> None:
    token = root
    for helper in ("summarizer", "helper-1", "helper-2", "helper-3"):
        response = agents.exchange(token, helper)
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
    assert len(response.json()["chain"]) == 6
    refused(agents.exchange(token, "helper-4"), "invalid_grant", "delegation_too_deep")


def test_self_and_cycles_are_refused(agents: Agents, root: str) -> None:
    refused(agents.exchange(root, "forum-bot"), "invalid_grant", "delegation_to_self")
    sub = agents.exchange(root, "summarizer").json()["access_token"]
    refused(agents.exchange(sub, "forum-bot"), "invalid_grant", "delegation_cycle")


def test_only_registered_active_agents_receive_a_task(agents: Agents, root: str, api: Api) -> None:
    refused(agents.exchange(root, "ghost"), "invalid_target", "delegation_to_unknown_agent")
    api.post("/v1/agents/summarizer/status", json={"status": "suspended", "reason": "test"})
    refused(agents.exchange(root, "summarizer"), "invalid_target", "delegation_to_inactive_agent")
    refused(agents.exchange(root, "bad id!"), "invalid_request", "invalid_input")


def test_a_forged_or_revoked_subject_token_is_refused(
    agents: Agents, root: str, api: Api, gateway: Gateway
) -> None:
    header, _, signature = root.split(".")
    claims = segments(root)[1]
    claims["caps"]["actions"].append("delete")
    forged = f"{header}.{encode_json(claims)}.{signature}"
    refused(agents.exchange(forged, "summarizer"), "invalid_grant", "token_bad_signature")
    api.post("/v1/agents/forum-bot/status", json={"status": "suspended", "reason": "incident"})
    refused(agents.exchange(root, "summarizer"), "invalid_grant", "token_revoked")
    entry = token_entries(gateway)[-1]
    assert (entry["action"], entry["actor"]) == ("token.exchange_refused", "unauthenticated")


def test_the_subject_token_type_is_checked(agents: Agents, root: str) -> None:
    ok = agents.exchange(root, "summarizer", subject_token_type=ACCESS_TOKEN_TYPE)
    assert ok.status_code == 200, ok.text
    refused(
        agents.exchange(
            root, "helper-1", subject_token_type="urn:ietf:params:oauth:token-type:saml2"
        ),
        "invalid_request",
        "token_request_invalid",
    )
    refused(
        agents.exchange(root, "helper-1", requested_token_type="urn:x"),
        "invalid_request",
        "token_request_invalid",
    )


def test_a_client_assertion_on_an_exchange_must_be_the_holder(agents: Agents, root: str) -> None:
    agents.register("other-bot")
    client = {"client_assertion_type": CLIENT_ASSERTION}
    mismatched = agents.exchange(
        root, "summarizer", **client, client_assertion=agents.assertion("other-bot")
    )
    refused(mismatched, "invalid_client", "client_mismatch", status=401)
    matched = agents.exchange(
        root, "summarizer", **client, client_assertion=agents.assertion("forum-bot")
    )
    assert matched.status_code == 200, matched.text


# -- the request itself --------------------------------------------------------------------


def test_parameters_must_be_form_encoded_in_the_body(agents: Agents, task: Task) -> None:
    form = {"grant_type": JWT_BEARER, "assertion": agents.assertion(), "task_id": task.id}
    as_json = agents.anonymous.post("/v1/token", json=form)
    assert "Content-Type" in refused(as_json, "invalid_request", "token_request_invalid")
    in_url = agents.anonymous.post("/v1/token", params=form, data={"grant_type": JWT_BEARER})
    assert "URL" in refused(in_url, "invalid_request", "token_request_invalid")


@pytest.mark.parametrize(
    ("body", "error", "code"),
    [
        ("", "invalid_request", "token_request_invalid"),
        (
            "grant_type=password&username=a&password=b",
            "unsupported_grant_type",
            "grant_type_unsupported",
        ),
        (
            "grant_type=authorization_code&code=x",
            "unsupported_grant_type",
            "grant_type_unsupported",
        ),
        (
            f"grant_type={JWT_BEARER}&grant_type={TOKEN_EXCHANGE}",
            "invalid_request",
            "token_request_invalid",
        ),
        (
            f"grant_type={JWT_BEARER}&assertion=a&assertion=b",
            "invalid_request",
            "token_request_invalid",
        ),
        (f"grant_type={JWT_BEARER}&audience=x", "invalid_request", "token_request_invalid"),
        (f"grant_type={TOKEN_EXCHANGE}&actor_token=x", "invalid_request", "token_request_invalid"),
        (f"grant_type={JWT_BEARER}&task_id=t", "invalid_request", "token_request_invalid"),
        ("grant_type=%ff%fe", "invalid_request", "token_request_invalid"),
        ("grant_type", "invalid_request", "token_request_invalid"),
        ("&&&", "invalid_request", "token_request_invalid"),
    ],
)
def test_malformed_requests_are_refused_with_the_rfc_error(
    agents: Agents, body: str, error: str, code: str
) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    refused(agents.anonymous.post("/v1/token", content=body, headers=headers), error, code)


def test_a_parameter_without_a_value_counts_as_omitted(agents: Agents, root: str) -> None:
    response = agents.exchange(root, "summarizer", scope="", expires_in="")
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "read write tool:files.* tool:search deliver"


def test_too_many_parameters_are_refused(agents: Agents) -> None:
    body = "&".join(f"p{i}=v" for i in range(50))
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = agents.anonymous.post("/v1/token", content=body, headers=headers)
    refused(response, "invalid_request", "token_request_invalid")


def test_other_routes_keep_their_error_shape(anonymous: Api) -> None:
    assert_error(anonymous.get("/v1/agents"), 401, "missing_api_key")


def test_the_route_is_in_the_openapi_schema_as_a_form(anonymous: Api) -> None:
    operation = anonymous.get("/openapi.json").json()["paths"]["/v1/token"]["post"]
    assert "application/x-www-form-urlencoded" in operation["requestBody"]["content"]


# -- agent public keys over the admin API --------------------------------------------------


def test_a_private_jwk_is_refused_and_never_stored_or_logged(api: Api, gateway: Gateway) -> None:
    private = dict(OKPKey.generate_key("Ed25519").as_dict(private=True))
    response = api.post("/v1/agents", json={"id": "leaky", "owner": "t", "public_key": private})
    message = assert_error(response, 422, "private_key_not_accepted")["message"]
    assert "never holds agent private keys" in message
    assert_error(api.get("/v1/agents/leaky"), 404, "not_found")
    exported = "".join(entry.body_json for entry in gateway.runtime.audit.tail(100))
    assert private["d"] not in exported


def test_an_unsupported_key_is_refused(api: Api) -> None:
    rsa = {"kty": "RSA", "n": "AQAB", "e": "AQAB"}
    response = api.post("/v1/agents", json={"id": "rsa-bot", "owner": "t", "public_key": rsa})
    assert_error(response, 422, "unsupported_public_key")


def test_the_agent_put_audit_names_the_key_by_thumbprint(api: Api, gateway: Gateway) -> None:
    jwk = public_jwk(Ed25519PrivateKey.generate())
    api.post("/v1/agents", json={"id": "keyed", "owner": "t", "public_key": jwk})
    entry = [e.body for e in gateway.runtime.audit.tail(10) if e.kind == "admin"][-1]
    assert entry["details"]["public_key"] == OKPKey.import_key(jwk).thumbprint()
    assert jwk["x"] not in json.dumps(entry)
    rotated = public_jwk(Ed25519PrivateKey.generate())
    again = api.post("/v1/agents", json={"id": "keyed", "owner": "t", "public_key": rotated})
    assert again.json()["change"] == "updated"


def test_a_manifest_can_register_public_keys(tmp_path: Path, admin: Admin) -> None:
    jwk = public_jwk(Ed25519PrivateKey.generate())
    manifest = tmp_path / "proctor.yaml"
    manifest.write_text(
        "agents:\n  - id: yaml-bot\n    owner: team\n    public_key:\n"
        + "".join(f"      {name}: {value}\n" for name, value in jwk.items())
    )
    apply_manifest(admin, load_manifest(manifest), actor="t")
    assert dict(admin.runtime.inventory.get_agent("yaml-bot").public_key or {}) == jwk


# -- the scope parameter -------------------------------------------------------------------

_ACTIONS = st.frozensets(st.sampled_from(list(ActionClass)))
_PATTERNS = st.lists(
    st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.:/*?-]{0,30}", fullmatch=True), unique=True, max_size=5
)


@settings(max_examples=300)
@given(actions=_ACTIONS, tools=_PATTERNS, deliver=st.booleans())
def test_a_formatted_scope_reads_back_as_itself(
    actions: frozenset[ActionClass], tools: list[str], deliver: bool
) -> None:
    capabilities = Capabilities(actions=actions, tools=tuple(tools))
    text = format_scope(capabilities, deliver)
    if text:
        assert parse_scope(text) == Scope(capabilities, deliver)


@settings(max_examples=500)
@given(
    text=st.text(max_size=200)
    | st.lists(
        st.sampled_from([*ActionClass, "deliver", "tool:files.*", "tool:", "tool:a b", "x"]),
        max_size=6,
    ).map(lambda entries: " ".join(str(entry) for entry in entries))
)
def test_any_scope_text_is_read_or_refused_as_scope_invalid(text: str) -> None:
    try:
        scope = parse_scope(text)
    except InvalidInput as exc:
        code = exc.code
    else:
        code = None
    if code is not None:
        assert code == "scope_invalid"
        return
    assert parse_scope(format_scope(scope.capabilities, scope.may_deliver)) == scope
    entries = text.split(" ")
    assert scope.may_deliver == ("deliver" in entries)
    assert {action.value for action in scope.capabilities.actions} <= set(entries)


# -- the example script --------------------------------------------------------------------


def test_the_workload_example_runs_against_a_live_gateway(
    app: FastAPI, admin: Admin, tmp_path: Path
) -> None:
    script = [sys.executable, str(REPO_ROOT / "examples" / "workload_token.py")]
    key = tmp_path / "agent.pem"
    first = subprocess.run(
        [*script, "--key", str(key), "--agent", "example-bot"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    jwk = json.loads(first.stdout.splitlines()[-1])
    assert set(jwk) == {"kty", "crv", "x"}
    assert key.stat().st_mode & 0o077 == 0
    admin.put_agent(
        Agent(id="example-bot", name="example-bot", owner="t", public_key=jwk), actor="t"
    )
    admin.put_agent(Agent(id="example-sub", name="example-sub", owner="t"), actor="t")
    ensure_person(admin, "dana")
    task = admin.create_task(
        agent_id="example-bot",
        requester="dana",
        purpose="try the workload path",
        capabilities=WIDE,
        actor="dana",
    )
    with live_server(app) as url:
        second = subprocess.run(
            [
                *script,
                "--key",
                str(key),
                "--agent",
                "example-bot",
                "--task",
                task.id,
                "--gateway",
                url,
                "--delegate-to",
                "example-sub",
                "--scope",
                "read",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert second.returncode == 0, second.stderr
    lines = second.stdout.splitlines()
    assert json.loads(lines[0])["chain"] == ["dana", "example-bot"]
    assert admin.runtime.tokens.verify(lines[1]).agent_id == "example-bot"
    delegated = admin.runtime.tokens.verify(lines[3])
    assert delegated.chain == ("dana", "example-bot", "example-sub")
    assert json.loads(lines[2])["scope"] == "read"
