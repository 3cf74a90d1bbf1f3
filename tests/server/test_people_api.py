"""People over HTTP: personal keys, roles, ``/v1/me``, and every way in that must fail."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proctor.admin import Admin
from proctor.errors import Unauthorized
from proctor.gateway import Gateway
from proctor.people import Role
from proctor.server._context import principal_for
from tests.conftest import ensure_person
from tests.server.conftest import Api, assert_error

#: Gives a person (added in-process if new) a fresh key and an Api that sends it.
PersonApi = Callable[..., Api]


@pytest.fixture
def person_api(app: FastAPI, gateway: Gateway) -> PersonApi:
    def make(person_id: str, *roles: Role) -> Api:
        ensure_person(Admin(gateway), person_id, *roles)
        _, key = gateway.runtime.people.create_key(person_id)
        return Api(app, key)

    return make


def admin_entries(gateway: Gateway, prefix: str = "person.") -> list[dict[str, Any]]:
    return [
        entry.body
        for entry in gateway.runtime.audit.iter_entries()
        if entry.kind == "admin" and entry.body["action"].startswith(prefix)
    ]


def key_actor(admin_key: str) -> str:
    return "admin-key:" + admin_key.removeprefix("prk_").partition(".")[0]


# -- managing people ------------------------------------------------------------------


def test_an_admin_adds_a_person_and_it_is_audited(
    api: Api, gateway: Gateway, admin_key: str
) -> None:
    response = api.post(
        "/v1/people", json={"id": "dana", "name": "Dana", "roles": ["launcher", "approver"]}
    )
    assert response.status_code == 201, response.text
    person = response.json()
    assert person["roles"] == ["approver", "launcher"]
    assert person["disabled"] is False
    assert api.get("/v1/people").json() == [person]
    assert api.get("/v1/people/dana").json() == {**person, "keys": []}
    [entry] = admin_entries(gateway)
    assert entry["action"] == "person.create"
    assert entry["actor"] == key_actor(admin_key)
    assert entry["target"] == "dana"
    assert entry["details"] == {"name": "Dana", "roles": ["approver", "launcher"]}


def test_a_taken_id_is_409(api: Api) -> None:
    assert api.post("/v1/people", json={"id": "dana", "name": "Dana"}).status_code == 201
    response = api.post("/v1/people", json={"id": "dana", "name": "Dana 2", "roles": ["admin"]})
    assert_error(response, 409, "person_exists")
    assert api.get("/v1/people/dana").json()["roles"] == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"id": "dana", "name": "Dana", "roles": ["root"]}, "invalid_request"),
        ({"id": "dana", "name": "Dana", "roles": [], "password": "x"}, "invalid_request"),
        ({"id": "dana smith", "name": "Dana"}, "invalid_input"),
        ({"id": "dana", "name": ""}, "invalid_request"),
    ],
)
def test_a_bad_person_is_refused_and_nothing_is_stored(
    api: Api, body: dict[str, Any], code: str
) -> None:
    assert_error(api.post("/v1/people", json=body), 422, code)
    assert api.get("/v1/people").json() == []


def test_unknown_people_are_404(api: Api) -> None:
    assert_error(api.get("/v1/people/nobody"), 404, "not_found")
    assert_error(api.post("/v1/people/nobody/keys", json={}), 404, "not_found")
    assert_error(api.post("/v1/people/nobody/disable"), 404, "not_found")
    assert_error(api.put("/v1/people/nobody/roles", json={"roles": []}), 404, "not_found")


def test_roles_are_replaced_and_take_effect_at_once(
    api: Api, gateway: Gateway, person_api: PersonApi
) -> None:
    dana = person_api("dana", Role.VIEWER)
    assert_error(dana.get("/v1/agents"), 403, "role_required")
    response = api.put("/v1/people/dana/roles", json={"roles": ["admin"]})
    assert response.json()["roles"] == ["admin"]
    assert dana.get("/v1/agents").status_code == 200
    api.put("/v1/people/dana/roles", json={"roles": ["admin"]})
    [entry] = admin_entries(gateway, "person.roles")
    assert entry["details"] == {"roles": ["admin"], "previous": ["viewer"]}


# -- keys -----------------------------------------------------------------------------


def test_a_key_is_shown_once_and_its_secret_never_recorded(
    api: Api, app: FastAPI, gateway: Gateway
) -> None:
    api.post("/v1/people", json={"id": "dana", "name": "Dana", "roles": ["viewer"]})
    response = api.post("/v1/people/dana/keys", json={"name": "laptop"})
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    created = response.json()
    key = created.pop("key")
    assert key.startswith(f"ppk_{created['id']}.")
    assert created["name"] == "laptop"
    [listed] = api.get("/v1/people/dana").json()["keys"]
    assert "key" not in listed
    assert listed["id"] == created["id"]
    assert Api(app, key).get("/v1/me").json()["id"] == "dana"
    [entry] = admin_entries(gateway, "person.key")
    assert entry["details"] == {"key_id": created["id"], "name": "laptop"}
    secret = key.partition(".")[2]
    assert all(secret not in e.body_json for e in gateway.runtime.audit.iter_entries())


def test_a_key_without_a_body_gets_a_default_name(api: Api) -> None:
    api.post("/v1/people", json={"id": "dana", "name": "Dana"})
    assert api.post("/v1/people/dana/keys").json()["name"] == "personal key"


def test_the_plaintext_key_is_nowhere_in_the_data_directory(api: Api, gateway: Gateway) -> None:
    api.post("/v1/people", json={"id": "dana", "name": "Dana", "roles": ["admin"]})
    keys = [api.post("/v1/people/dana/keys").json()["key"] for _ in range(3)]
    for key in keys:
        Api(api.app, key).get("/v1/me")
    gateway.runtime.audit.checkpoint()
    stored = b"".join(
        path.read_bytes() for path in Path(gateway.runtime.home.path).rglob("*") if path.is_file()
    )
    for key in keys:
        assert key.partition(".")[2].encode() not in stored


def test_a_revoked_key_stops_working_at_once(api: Api, app: FastAPI, gateway: Gateway) -> None:
    api.post("/v1/people", json={"id": "dana", "name": "Dana", "roles": ["viewer"]})
    created = api.post("/v1/people/dana/keys").json()
    dana = Api(app, created["key"])
    assert dana.get("/v1/me").status_code == 200
    response = api.delete(f"/v1/people/dana/keys/{created['id']}")
    assert response.json()["revoked"] is True
    assert_error(dana.get("/v1/me"), 401, "revoked_api_key")
    assert_error(api.delete(f"/v1/people/dana/keys/{created['id']}"), 404, "not_found")
    assert [e["action"] for e in admin_entries(gateway, "person.key")] == [
        "person.key.create",
        "person.key.revoke",
    ]


def test_a_key_cannot_be_revoked_through_another_person(api: Api, app: FastAPI) -> None:
    for person in ("dana", "erin"):
        api.post("/v1/people", json={"id": person, "name": person})
    created = api.post("/v1/people/dana/keys").json()
    assert_error(api.delete(f"/v1/people/erin/keys/{created['id']}"), 404, "not_found")
    assert Api(app, created["key"]).get("/v1/me").status_code == 200


def test_a_disabled_person_is_refused_with_every_key(
    api: Api, app: FastAPI, gateway: Gateway
) -> None:
    api.post("/v1/people", json={"id": "dana", "name": "Dana", "roles": ["admin"]})
    keys = [Api(app, api.post("/v1/people/dana/keys").json()["key"]) for _ in range(2)]
    response = api.post("/v1/people/dana/disable")
    assert response.json()["disabled"] is True
    for dana in keys:
        assert_error(dana.get("/v1/me"), 401, "person_disabled")
        assert_error(dana.get("/v1/agents"), 401, "person_disabled")
    assert_error(api.post("/v1/people/dana/keys"), 422, "person_disabled")
    api.post("/v1/people/dana/disable")
    assert len(admin_entries(gateway, "person.disable")) == 1


# -- who may do what ------------------------------------------------------------------


def test_me_says_who_is_calling(api: Api, admin_key: str, person_api: PersonApi) -> None:
    me = api.get("/v1/me").json()
    assert me["kind"] == "admin_key"
    assert me["roles"] == ["admin"]
    assert me["actor"] == key_actor(admin_key)
    dana = person_api("dana", Role.APPROVER, Role.AUDITOR).get("/v1/me").json()
    assert dana == {
        "kind": "person",
        "id": "dana",
        "name": "Dana",
        "roles": ["approver", "auditor"],
        "actor": "person:dana",
    }
    assert person_api("nobody-special").get("/v1/me").json()["roles"] == []


ADMIN_ROUTES = [
    ("GET", "/v1/people", None),
    ("POST", "/v1/people", {"id": "mallory2", "name": "M", "roles": ["admin"]}),
    ("GET", "/v1/people/dana", None),
    ("PUT", "/v1/people/mallory/roles", {"roles": ["admin"]}),
    ("POST", "/v1/people/dana/keys", {}),
    ("POST", "/v1/people/dana/disable", None),
    ("DELETE", "/v1/people/dana/keys/0123456789abcdef", None),
    ("GET", "/v1/agents", None),
    ("POST", "/v1/agents", {"id": "rogue", "owner": "mallory"}),
    ("GET", "/v1/policies", None),
    ("GET", "/v1/audit", None),
    ("POST", "/v1/kill", {"scope": "all", "reason": "x"}),
]


@pytest.mark.parametrize(
    "roles", [(), (Role.VIEWER,), (Role.LAUNCHER, Role.APPROVER, Role.AUDITOR)]
)
@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES)
def test_a_person_without_admin_is_refused_on_admin_routes(
    api: Api,
    gateway: Gateway,
    person_api: PersonApi,
    roles: tuple[Role, ...],
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    api.post("/v1/people", json={"id": "dana", "name": "Dana"})
    mallory = person_api("mallory", *roles)
    before = gateway.runtime.audit.count()
    response = mallory.request(method, path, json=body)
    message = assert_error(response, 403, "role_required")["message"]
    assert "'admin'" in message
    assert "person:mallory" in message
    assert gateway.runtime.audit.count() == before
    assert gateway.runtime.people.get("mallory").roles == frozenset(roles)


def test_a_person_with_admin_acts_as_themselves(gateway: Gateway, person_api: PersonApi) -> None:
    adam = person_api("adam", Role.ADMIN)
    response = adam.post("/v1/people", json={"id": "dana", "name": "Dana", "roles": ["viewer"]})
    assert response.status_code == 201
    assert adam.post("/v1/agents", json={"id": "bot", "owner": "adam"}).status_code == 200
    [entry] = [e for e in admin_entries(gateway) if e["actor"] != "test"]
    assert entry["actor"] == "person:adam"


@pytest.mark.parametrize(
    "path", ["/v1/me", "/v1/people", "/v1/agents", "/v1/tasks", "/v1/audit", "/v1/policies"]
)
def test_an_agent_token_is_not_accepted_on_people_routes(
    app: FastAPI, incident_token: str, path: str
) -> None:
    response = Api(app, incident_token).get(path)
    message = assert_error(response, 401, "agent_token_not_accepted")["message"]
    assert "/v1/check" in message
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_forged_key_with_the_right_prefix_is_refused(api: Api, app: FastAPI) -> None:
    api.post("/v1/people", json={"id": "dana", "name": "Dana", "roles": ["admin"]})
    key = api.post("/v1/people/dana/keys").json()["key"]
    key_id = key.removeprefix("ppk_").partition(".")[0]
    forged = Api(app, f"ppk_{key_id}.{'A' * 43}")
    assert_error(forged.get("/v1/me"), 401, "invalid_api_key")
    assert_error(forged.post("/v1/people", json={"id": "x", "name": "x"}), 401, "invalid_api_key")


def test_a_secret_under_another_persons_key_id_is_refused(api: Api, app: FastAPI) -> None:
    api.post("/v1/people", json={"id": "adam", "name": "Adam", "roles": ["admin"]})
    api.post("/v1/people", json={"id": "dana", "name": "Dana", "roles": ["viewer"]})
    adams = api.post("/v1/people/adam/keys").json()
    danas_secret = api.post("/v1/people/dana/keys").json()["key"].partition(".")[2]
    spliced = Api(app, f"ppk_{adams['id']}.{danas_secret}")
    assert_error(spliced.get("/v1/agents"), 401, "invalid_api_key")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ppk_nope",
        "Bearer ppk_0123456789abcdef." + "a" * 43,
        "Bearer hunter2",
        "Basic ZGFuYTpodW50ZXIy",
        "Bearer prk_x.y",
    ],
)
def test_garbage_credentials_are_refused(anonymous: Api, header: str) -> None:
    response = anonymous.get("/v1/me", headers={"Authorization": header})
    assert_error(response, 401, "invalid_api_key")


def test_no_credentials_are_refused(anonymous: Api) -> None:
    assert_error(anonymous.get("/v1/me"), 401, "missing_api_key")
    assert_error(anonymous.get("/v1/people"), 401, "missing_api_key")


BEARER_VALUES = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=()), max_size=80),
    st.builds(
        lambda prefix, tail: prefix + tail,
        st.sampled_from(["prk_", "ppk_", "eyJ", ""]),
        st.text(alphabet=st.characters(exclude_categories=()), max_size=80),
    ),
    st.from_regex(r"[A-Za-z0-9_-]{1,30}\.[A-Za-z0-9_-]{0,30}\.[A-Za-z0-9_-]{0,30}", fullmatch=True),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=300)
@given(BEARER_VALUES)
def test_any_bearer_value_is_a_principal_or_unauthorized(gateway: Gateway, presented: str) -> None:
    """Whatever a client sends, authentication answers only with a 401 code."""
    try:
        principal = principal_for(gateway.runtime, presented)
    except Unauthorized as exc:
        code = exc.code
    else:
        pytest.fail(f"{presented!r} authenticated as {principal}")
    assert code in {"invalid_api_key", "agent_token_not_accepted"}
