"""Permission widening on confidential and restricted resources, through the gateway,
on three real tool shapes: a repository's collaborators, a document's sharing, a
storage bucket's IAM policy. Widening is held for the resource's owner (confidential)
or denied (restricted); narrowing runs."""

from __future__ import annotations

import pytest

from proctor.admin import Admin
from proctor.directory import AccessLevel, Grant
from proctor.gateway import Gateway
from proctor.model import (
    ActionClass,
    Agent,
    Capabilities,
    Label,
    Outcome,
    PermissionArguments,
    Resource,
    Tool,
)
from proctor.people import Role
from tests.conftest import ensure_person
from tests.flow.conftest import check, policy_ids, start_task

REPO = "repo:acme/payments-core"
DOC = "doc:2027-reorg-plan"
BUCKET = "bucket:acme-payroll-exports"
WIDEN_CONFIDENTIAL = "hold-widening-on-confidential-resource"
WIDEN_RESTRICTED = "deny-widening-on-restricted-resource"


@pytest.fixture
def token(admin: Admin) -> str:
    ensure_person(admin, "dana", clearance=Label.RESTRICTED)
    ensure_person(admin, "alice-lead", Role.APPROVER, clearance=Label.RESTRICTED)
    ensure_person(admin, "bob")
    admin.put_agent(Agent("access-bot", "Access janitor", "platform-team"), actor="t")
    tools = (
        # GitHub: PUT /repos/{owner}/{repo}/collaborators/{username} {permission}
        Tool(
            "github.set_collaborator",
            ActionClass.MODIFY_PERMISSIONS,
            Label.CONFIDENTIAL,
            permission_arguments=PermissionArguments("username", "permission"),
        ),
        # Google Drive: permissions.create {role, type, emailAddress}
        Tool(
            "drive.share",
            ActionClass.MODIFY_PERMISSIONS,
            Label.CONFIDENTIAL,
            permission_arguments=PermissionArguments("permission.grantee", "permission.role"),
        ),
        # Cloud Storage: setIamPolicy with one binding {role, members}
        Tool(
            "gcs.add_bucket_binding",
            ActionClass.MODIFY_PERMISSIONS,
            Label.CONFIDENTIAL,
            permission_arguments=PermissionArguments("binding.members", "binding.role"),
        ),
        Tool("acl.change", ActionClass.MODIFY_PERMISSIONS, Label.CONFIDENTIAL),
    )
    for tool in tools:
        admin.put_tool(tool, actor="t")
    owners = {"dana": AccessLevel.ADMIN, "bob": AccessLevel.READ}
    access = tuple(Grant(subject, level) for subject, level in owners.items())
    admin.put_resource(Resource(REPO, "alice-lead", Label.CONFIDENTIAL), actor="t", access=access)
    admin.put_resource(Resource(DOC, "alice-lead", Label.RESTRICTED), actor="t", access=access)
    admin.put_resource(Resource(BUCKET, "alice-lead", Label.CONFIDENTIAL), actor="t", access=access)
    actions = frozenset({ActionClass.READ, ActionClass.MODIFY_PERMISSIONS})
    return start_task(admin, "access-bot", Capabilities(actions=actions))[1]


@pytest.mark.parametrize(
    ("username", "permission"),
    [("all-employees", "pull"), ("bob", "push"), ("bob", "admin"), ("carol", "pull")],
)
def test_widening_a_repository_is_held_for_its_owner(
    gateway: Gateway, token: str, username: str, permission: str
) -> None:
    decision = check(
        gateway, token, "github.set_collaborator", REPO, username=username, permission=permission
    )
    assert decision.outcome is Outcome.REQUIRE_APPROVAL
    assert policy_ids(decision) == [WIDEN_CONFIDENTIAL]
    request = gateway.runtime.approvals.get(decision.approval_id or "")
    assert request.approvers == {"resource_owner": "alice-lead"}
    assert "alice-lead" in decision.explain()


@pytest.mark.parametrize(("username", "permission"), [("bob", "pull"), ("bob", "none")])
def test_keeping_or_narrowing_a_repository_runs(
    gateway: Gateway, token: str, username: str, permission: str
) -> None:
    decision = check(
        gateway, token, "github.set_collaborator", REPO, username=username, permission=permission
    )
    assert decision.outcome is Outcome.ALLOW, decision.explain()


@pytest.mark.parametrize(
    "permission",
    [
        {"grantee": "anyone", "role": "reader"},
        {"grantee": "domain:acme.example", "role": "commenter"},
        {"grantee": "bob", "role": "writer"},
    ],
)
def test_sharing_a_restricted_document_wider_is_denied(
    gateway: Gateway, token: str, permission: dict[str, str]
) -> None:
    decision = check(gateway, token, "drive.share", DOC, permission=permission)
    assert decision.outcome is Outcome.DENY
    assert WIDEN_RESTRICTED in policy_ids(decision)
    assert "never widened by an agent" in decision.explain()


def test_unsharing_a_restricted_document_is_not_a_widening(gateway: Gateway, token: str) -> None:
    decision = check(
        gateway, token, "drive.share", DOC, permission={"grantee": "bob", "role": "none"}
    )
    # Restricted tools must still be granted by name: only the widening rule is absent.
    assert WIDEN_RESTRICTED not in policy_ids(decision)


@pytest.mark.parametrize(
    "binding",
    [
        {"role": "roles/storage.objectViewer", "members": ["allUsers"]},
        {"role": "roles/storage.objectViewer", "members": ["allAuthenticatedUsers"]},
        {"role": "roles/storage.admin", "members": ["bob"]},
        {"role": "roles/storage.objectViewer", "members": ["bob", "allUsers"]},
    ],
)
def test_opening_a_confidential_bucket_is_held(
    gateway: Gateway, token: str, binding: dict[str, object]
) -> None:
    decision = check(gateway, token, "gcs.add_bucket_binding", BUCKET, binding=binding)
    assert decision.outcome is Outcome.REQUIRE_APPROVAL
    assert policy_ids(decision) == [WIDEN_CONFIDENTIAL]


def test_a_binding_at_the_level_already_held_runs(gateway: Gateway, token: str) -> None:
    binding = {"role": "roles/storage.legacyBucketReader", "members": ["bob"]}
    decision = check(gateway, token, "gcs.add_bucket_binding", BUCKET, binding=binding)
    assert decision.outcome is Outcome.ALLOW, decision.explain()


def test_a_level_proctor_cannot_read_counts_as_admin(gateway: Gateway, token: str) -> None:
    decision = check(
        gateway, token, "github.set_collaborator", REPO, username="bob", permission="superuser"
    )
    assert decision.outcome is Outcome.REQUIRE_APPROVAL
    assert "to admin" in decision.explain()


def test_a_permission_tool_without_declared_arguments_counts_as_widening(
    gateway: Gateway, token: str
) -> None:
    decision = check(gateway, token, "acl.change", REPO, anything="bob")
    assert decision.outcome is Outcome.REQUIRE_APPROVAL
    assert "does not declare its grantee" in decision.explain()


def test_the_owner_approving_lets_exactly_that_widening_run(
    gateway: Gateway, token: str, admin: Admin
) -> None:
    call = {"username": "all-employees", "permission": "pull"}
    held = check(gateway, token, "github.set_collaborator", REPO, **call)
    owner = admin.runtime.people.get("alice-lead")
    gateway.runtime.approvals.approve(held.approval_id or "", owner, "one-off for the audit")
    again = check(gateway, token, "github.set_collaborator", REPO, **call)
    assert again.outcome is Outcome.ALLOW
    assert again.reviewed_by == ("alice-lead",)
    wider = check(gateway, token, "github.set_collaborator", REPO, username="public")
    assert wider.outcome is Outcome.REQUIRE_APPROVAL
