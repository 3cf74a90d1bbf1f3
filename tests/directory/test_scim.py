"""Loading the directory from what an identity provider exports (SCIM 2.0)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from fastapi import FastAPI

from proctor.admin import Admin
from proctor.directory import export_scim, import_scim
from proctor.errors import InvalidInput
from proctor.gateway import Gateway
from proctor.inventory import Change
from proctor.model import Label
from proctor.people import Role
from proctor.server import create_app
from tests.server.conftest import Api, assert_error

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
CLEARANCE = "urn:proctor:params:scim:schemas:extension:2.0:User"

#: The shape an identity provider exports: opaque ids, members by id, nested groups.
EXPORT: dict[str, Any] = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
    "totalResults": 5,
    "Resources": [
        {
            "schemas": [USER],
            "id": "2819c223-7f76-453a-919d-413861904646",
            "userName": "dana@acme.example",
            "name": {"givenName": "Dana", "familyName": "Scully"},
            "emails": [
                {"value": "dana.home@example.org", "type": "home"},
                {"value": "dana@acme.example", "type": "work", "primary": True},
            ],
            "active": True,
        },
        {
            "schemas": [USER, CLEARANCE],
            "id": "9e7d2c6a-0b1f-4a8e-8f0a-6c1b2d3e4f50",
            "userName": "alice@acme.example",
            "displayName": "Alice Lead",
            CLEARANCE: {"clearance": "restricted"},
        },
        {
            "schemas": [USER],
            "id": "5b9e1a7c-2d3f-4e6a-9b8c-7d6e5f4a3b2c",
            "userName": "mallory@acme.example",
            "displayName": "Mallory",
            "active": False,
        },
        {
            "schemas": [GROUP],
            "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
            "displayName": "Payments Team",
            "members": [{"value": "9e7d2c6a-0b1f-4a8e-8f0a-6c1b2d3e4f50", "type": "User"}],
        },
        {
            "schemas": [GROUP],
            "id": "0b2c4d6e-8f0a-4c1e-9d3b-5a7c9e1f3b5d",
            "displayName": "Engineering",
            "members": [
                {"value": "2819c223-7f76-453a-919d-413861904646", "type": "User"},
                {"value": "e9e30dba-f08f-4109-8486-d5c6a331660a", "type": "Group"},
            ],
        },
    ],
}


def test_users_and_groups_are_loaded_with_nesting_email_and_clearance(admin: Admin) -> None:
    report = import_scim(admin, EXPORT, actor="t")
    assert report.count(Change.CREATED) == 5
    people = {p.id: p for p in admin.runtime.people.list()}
    dana = people["dana@acme.example"]
    assert (dana.name, dana.email, dana.clearance) == (
        "Dana Scully",
        "dana@acme.example",
        Label.INTERNAL,
    )
    assert people["alice@acme.example"].clearance is Label.RESTRICTED
    assert people["mallory@acme.example"].disabled
    assert report.disabled == ["mallory@acme.example"]
    engineering = admin.runtime.directory.store.group("engineering")
    assert engineering.people == ("dana@acme.example",)
    assert engineering.groups == ("payments-team",)
    index = admin.runtime.directory.index
    alice = index.principal("alice@acme.example")
    assert alice is not None
    assert {"group:payments-team", "group:engineering"} <= alice.subjects


def test_importing_the_same_export_twice_changes_nothing(admin: Admin) -> None:
    import_scim(admin, EXPORT, actor="t")
    before = admin.runtime.audit.count()
    again = import_scim(admin, EXPORT, actor="t")
    assert again.count(Change.UNCHANGED) == 5
    assert admin.runtime.audit.count() == before


def test_an_export_imports_back_to_the_same_directory(admin: Admin, tmp_path: Any) -> None:
    import_scim(admin, EXPORT, actor="t")
    admin.runtime.people.set_roles("dana@acme.example", [Role.APPROVER])
    exported = export_scim(admin)
    with Gateway.open(tmp_path / "elsewhere") as other:
        elsewhere = Admin(other)
        import_scim(elsewhere, json.loads(json.dumps(exported)), actor="t")
        assert export_scim(elsewhere) == exported
        groups = other.runtime.directory.store.groups()
        assert groups == admin.runtime.directory.store.groups()
        # Roles are Proctor's own: they never travel through SCIM.
        assert other.runtime.people.get("dana@acme.example").roles == frozenset()


def test_roles_and_clearance_set_in_proctor_survive_a_re_import(admin: Admin) -> None:
    import_scim(admin, EXPORT, actor="t")
    admin.runtime.people.set_roles("dana@acme.example", [Role.APPROVER])
    import_scim(admin, EXPORT, actor="t")
    assert admin.runtime.people.get("dana@acme.example").roles == {Role.APPROVER}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["Resources"][4]["members"].append({"value": "nobody", "type": "User"}),
         "member 'nobody' is not a known User"),
        (lambda d: d["Resources"][3]["members"].append(
            {"value": "0b2c4d6e-8f0a-4c1e-9d3b-5a7c9e1f3b5d", "type": "Group"}),
         "groups may not contain themselves"),
        (lambda d: d["Resources"][0].pop("userName"), "has no userName"),
        (lambda d: d["Resources"][1][CLEARANCE].update(clearance="top-secret"), "not a label"),
        (lambda d: d["Resources"].append({"schemas": ["urn:other"]}), "neither a SCIM User"),
    ],
    ids=["unknown member", "cycle", "no userName", "bad clearance", "unknown resource"],
)  # fmt: skip
def test_a_bad_export_changes_nothing(admin: Admin, mutate: Any, message: str) -> None:
    document = copy.deepcopy(EXPORT)
    mutate(document)
    with pytest.raises(InvalidInput) as raised:
        import_scim(admin, document, actor="t")
    assert raised.value.code in ("invalid_scim", "group_cycle")
    assert message in raised.value.message
    assert admin.runtime.people.list() == []
    assert admin.runtime.directory.store.groups() == []


def test_scim_over_http_needs_an_admin_and_round_trips(gateway: Gateway) -> None:
    app: FastAPI = create_app(gateway)
    api = Api(app, gateway.runtime.admin_key)
    loaded = api.post("/v1/directory/scim", json=EXPORT)
    assert loaded.status_code == 200, loaded.text
    assert loaded.json()["disabled"] == ["mallory@acme.example"]
    exported = api.get("/v1/directory/scim").json()
    assert exported["totalResults"] == 5
    assert_error(Api(app, None).get("/v1/directory/scim"), 401, "missing_api_key")
    broken = api.post("/v1/directory/scim", json={"Resources": [{"schemas": [USER]}]})
    assert_error(broken, 422, "invalid_scim")
