"""The directory over HTTP and in ``proctor apply``: people, groups, access rules."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from proctor.admin import Admin
from proctor.gateway import Gateway
from proctor.manifest import apply_manifest, load_manifest
from proctor.model import Label
from proctor.server import create_app
from tests.conftest import REPO_ROOT, ensure_person
from tests.server.conftest import Api, assert_error


def admin_api(gateway: Gateway) -> Api:
    app: FastAPI = create_app(gateway)
    return Api(app, gateway.runtime.admin_key)


def test_people_groups_and_access_are_managed_over_http(gateway: Gateway) -> None:
    api = admin_api(gateway)
    human = {
        "id": "dana",
        "name": "Dana",
        "email": "dana@acme.example",
        "clearance": "confidential",
    }
    assert api.put("/v1/people/dana", json=human).json()["change"] == "created"
    assert api.put("/v1/people/dana", json=human).json()["change"] == "unchanged"
    group = {"id": "eng", "name": "Engineering", "people": ["dana"], "clearance": "internal"}
    assert api.put("/v1/groups/eng", json=group).json()["change"] == "created"
    rule = {"resources": "repo:acme/*", "grant": {"group:eng": "write"}}
    assert api.put("/v1/access", json=rule).json()["change"] == "created"
    assert api.get("/v1/access").json() == [{**rule, "tools": None}]
    assert api.get("/v1/groups/eng").json()["people"] == ["dana"]
    principal = gateway.runtime.directory.index.principal("dana")
    assert principal is not None
    assert principal.clearance is Label.CONFIDENTIAL
    assert "group:eng" in principal.subjects
    assert api.delete("/v1/groups/eng").status_code == 204
    assert_error(api.get("/v1/groups/eng"), 404, "unknown_group")


def test_mistakes_are_clear_errors(gateway: Gateway) -> None:
    api = admin_api(gateway)
    api.put("/v1/groups/a", json={"id": "a", "name": "A", "groups": ["b"]})
    cycle = api.put("/v1/groups/b", json={"id": "b", "name": "B", "groups": ["a"]})
    assert "b → a → b" in assert_error(cycle, 422, "group_cycle")["message"]
    both = api.put("/v1/access", json={"resources": "x", "tools": "y", "grant": {"d": "read"}})
    assert_error(both, 422, "invalid_access")
    level = api.put("/v1/access", json={"resources": "x", "grant": {"d": "own"}})
    assert_error(level, 422, "invalid_request")
    mismatch = api.put("/v1/people/dana", json={"id": "erin", "name": "Erin"})
    assert_error(mismatch, 422, "id_mismatch")
    email = api.put("/v1/people/dana", json={"id": "dana", "name": "D", "email": "not-mail"})
    assert_error(email, 422, "invalid_email")


def test_only_admins_manage_the_directory(gateway: Gateway) -> None:
    app = create_app(gateway)
    ensure_person(Admin(gateway), "vic")
    _, key = gateway.runtime.people.create_key("vic")
    response = Api(app, key).put("/v1/groups/eng", json={"id": "eng", "name": "E"})
    assert_error(response, 403, "role_required")


def test_a_resource_access_list_is_set_with_the_resource(gateway: Gateway) -> None:
    api = admin_api(gateway)
    resource = {
        "id": "repo:acme/payments-core",
        "owner": "alice",
        "label": "confidential",
        "access": {"alice": "admin", "group:payments": "write"},
    }
    assert api.post("/v1/resources", json=resource).json()["change"] == "created"
    shown = api.get("/v1/resources/repo:acme/payments-core").json()
    assert shown["access"] == {"alice": "admin", "group:payments": "write"}
    without = {k: v for k, v in resource.items() if k != "access"}
    assert api.post("/v1/resources", json=without).json()["change"] == "unchanged"
    again = api.get("/v1/resources/repo:acme/payments-core").json()
    assert again["access"] == shown["access"], "leaving access out leaves the list alone"


def test_the_example_manifest_builds_the_directory_and_applies_idempotently(
    admin: Admin, tmp_path: Path
) -> None:
    loaded = load_manifest(REPO_ROOT / "proctor.yaml")
    first = apply_manifest(admin, loaded, actor="t")
    kinds = {kind for kind, _, _ in first.items}
    assert {"human", "group", "access/resource"} <= kinds
    second = apply_manifest(admin, loaded, actor="t")
    assert not second.changed
    index = admin.runtime.directory.index
    alice = index.principal("alice-lead")
    assert alice is not None
    assert alice.clearance is Label.CONFIDENTIAL, "the payments group raises her clearance"
    dana = index.principal("dana")
    assert dana is not None
    assert "group:all-employees" in dana.subjects, "engineering is nested in all-employees"
