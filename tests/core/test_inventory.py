"""Inventory, tasks and the declarative manifest on a real store."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from proctor.admin import Admin
from proctor.errors import InvalidInput, NotFound, Unauthorized
from proctor.gateway import Gateway
from proctor.inventory import Change
from proctor.manifest import apply_manifest, load_manifest
from proctor.model import ActionClass, Agent, Capabilities, Label, Resource, Tool
from tests.conftest import ensure_person

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_put_is_idempotent_and_reports_the_change(admin: Admin) -> None:
    agent = Agent(id="forum-bot", name="Forum", owner="platform")
    assert admin.put_agent(agent, actor="t") is Change.CREATED
    assert admin.put_agent(agent, actor="t") is Change.UNCHANGED
    renamed = Agent(id="forum-bot", name="Forum assistant", owner="platform")
    assert admin.put_agent(renamed, actor="t") is Change.UPDATED
    assert admin.runtime.inventory.get_agent("forum-bot").name == "Forum assistant"


def test_every_admin_change_is_audited_but_no_ops_are_not(admin: Admin) -> None:
    audit = admin.runtime.audit
    before = audit.count()
    admin.put_tool(Tool("forum.post", ActionClass.PUBLISH), actor="alice")
    admin.put_tool(Tool("forum.post", ActionClass.PUBLISH), actor="alice")
    assert audit.count() == before + 1
    entry = audit.tail(1)[0]
    assert entry.kind == "admin"
    assert entry.body["actor"] == "alice"
    assert entry.body["target"] == "forum.post"


@pytest.mark.parametrize("bad_id", ["", " spaces ", "a" * 201, "../etc", "semi;colon"])
def test_malformed_agent_ids_are_refused(admin: Admin, bad_id: str) -> None:
    with pytest.raises(InvalidInput):
        admin.put_agent(Agent(id=bad_id, name="x", owner="y"), actor="t")


def test_unknown_lookups_say_what_is_missing(admin: Admin) -> None:
    with pytest.raises(NotFound, match="agent 'nobody' is not in the inventory"):
        admin.runtime.inventory.get_agent("nobody")


def test_task_for_an_unregistered_agent_is_refused(admin: Admin) -> None:
    with pytest.raises(NotFound):
        admin.create_task(
            agent_id="ghost",
            requester="dana",
            purpose="x",
            capabilities=Capabilities(),
            actor="dana",
        )


@pytest.mark.parametrize("ttl", [timedelta(0), timedelta(hours=25)])
def test_task_lifetime_is_bounded(admin: Admin, ttl: timedelta) -> None:
    admin.put_agent(Agent(id="bot", name="b", owner="o"), actor="t")
    with pytest.raises(InvalidInput):
        admin.create_task(
            agent_id="bot",
            requester="dana",
            purpose="x",
            capabilities=Capabilities(),
            ttl=ttl,
            actor="dana",
        )


def test_tasks_survive_a_restart(gateway: Gateway, admin: Admin) -> None:
    admin.put_agent(Agent(id="bot", name="b", owner="o"), actor="t")
    ensure_person(admin, "dana")
    task = admin.create_task(
        agent_id="bot",
        requester="dana",
        purpose="analyze",
        capabilities=Capabilities(actions=frozenset({ActionClass.READ}), tools=("forum.*",)),
        actor="dana",
    )
    home = gateway.runtime.home.path
    gateway.close()
    with Gateway.open(home) as reopened:
        assert reopened.runtime.tasks.get(task.id) == task


def test_inventory_changes_made_by_another_process_are_seen(gateway: Gateway) -> None:
    with Gateway.open(gateway.runtime.home.path) as other:
        Admin(other).put_resource(Resource("doc:1", "bob", Label.RESTRICTED), actor="t")
    assert gateway.runtime.inventory.refresh().resources["doc:1"].label is Label.RESTRICTED


def test_manifest_apply_is_idempotent(admin: Admin) -> None:
    loaded = load_manifest(REPO_ROOT / "proctor.yaml")
    first = apply_manifest(admin, loaded, actor="t")
    assert first.count(Change.CREATED) == len(first.items)
    second = apply_manifest(admin, loaded, actor="t")
    assert not second.changed


def test_manifest_typos_are_errors_not_silence(tmp_path: Path) -> None:
    path = tmp_path / "proctor.yaml"
    path.write_text("agents:\n  - id: a\n    owner: o\n    ownr: typo\n")
    with pytest.raises(InvalidInput, match="ownr"):
        load_manifest(path)


def test_manifest_with_bad_action_class_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "proctor.yaml"
    path.write_text("tools:\n  - name: x.y\n    action_class: launch_missiles\n")
    with pytest.raises(InvalidInput, match=r"tools\.0\.action_class"):
        load_manifest(path)


def test_first_start_writes_a_private_admin_key(tmp_path: Path) -> None:
    with Gateway.open(tmp_path / "fresh") as gateway:
        runtime = gateway.runtime
        assert runtime.created
        key_path = runtime.home.admin_key_path
        assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(runtime.home.audit_key_path).st_mode) == 0o600
        key = key_path.read_text().strip()
        assert runtime.admin_keys.authenticate(key).name == "initial admin key"
    with Gateway.open(tmp_path / "fresh") as again:
        assert not again.runtime.created


def test_admin_keys_are_stored_hashed_and_can_be_revoked(gateway: Gateway) -> None:
    keys = gateway.runtime.admin_keys
    record, plaintext = keys.create("ci")
    with gateway.runtime.database.connect() as connection:
        stored = connection.exec_driver_sql("SELECT key_hash FROM admin_keys").scalars().all()
    assert all(plaintext.split(".", 1)[1] not in value for value in stored)
    keys.revoke(record.id)
    with pytest.raises(Unauthorized) as raised:
        keys.authenticate(plaintext)
    assert raised.value.code == "revoked_api_key"


@pytest.mark.parametrize(
    "presented",
    ["", "Bearer x", "prk_", "prk_abc", "prk_abc.", "prk_.secret", "prk_zz.wrong", "prk_a.\ud800"],
)
def test_forged_admin_keys_are_refused(gateway: Gateway, presented: str) -> None:
    with pytest.raises(Unauthorized):
        gateway.runtime.admin_keys.authenticate(presented)


def test_an_invalid_policy_update_keeps_the_old_policy(admin: Admin) -> None:
    from proctor.policy import InvalidPolicies

    good = '@id("no-spend")\nforbid(principal, action == Action::"spend", resource);\n'
    assert admin.put_policy("extra", good, actor="t") is Change.CREATED
    with pytest.raises(InvalidPolicies):
        admin.put_policy("extra", '@id("broken")\npermit(principal, action, resource', actor="t")
    assert [r.text for r in admin.runtime.policy_store.list()] == [good]
    assert "no-spend" in {p.id for p in admin.runtime.policies.policies()}


def test_replacing_a_policy_with_the_same_id_is_allowed(admin: Admin) -> None:
    first = '@id("x")\nforbid(principal, action == Action::"spend", resource);\n'
    second = '@id("x")\nforbid(principal, action == Action::"delete", resource);\n'
    admin.put_policy("extra", first, actor="t")
    assert admin.put_policy("extra", second, actor="t") is Change.UPDATED
    assert admin.put_policy("extra", second, actor="t") is Change.UNCHANGED


def test_apply_with_a_bad_policy_changes_nothing(admin: Admin, tmp_path: Path) -> None:
    from proctor.policy import InvalidPolicies

    (tmp_path / "bad.cedar").write_text("permit(principal, action, resource) when { nope };\n")
    manifest = tmp_path / "proctor.yaml"
    manifest.write_text("agents:\n  - id: a\n    owner: o\npolicies:\n  - file: bad.cedar\n")
    with pytest.raises(InvalidPolicies):
        apply_manifest(admin, load_manifest(manifest), actor="t")
    assert admin.runtime.inventory.list_agents() == []
