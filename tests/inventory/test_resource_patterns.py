"""Resource entries by pattern: one entry describes thousands of files or repositories."""

from __future__ import annotations

from proctor.admin import Admin
from proctor.model import ActionClass, Label, Resource, Tool


def test_the_most_specific_entry_describes_a_resource(admin: Admin) -> None:
    admin.put_resource(Resource("repo:*", "it", Label.INTERNAL), actor="t")
    admin.put_resource(Resource("repo:acme/*", "eng", Label.CONFIDENTIAL), actor="t")
    admin.put_resource(Resource("repo:acme/site", "web", Label.PUBLIC), actor="t")
    snapshot = admin.runtime.inventory.snapshot
    site = snapshot.resource("repo:acme/site")
    assert site is not None
    assert (site.owner, site.label) == ("web", Label.PUBLIC), "its own entry wins"
    core = snapshot.resource("repo:acme/payments-core")
    assert core is not None
    assert (core.id, core.owner, core.label) == (
        "repo:acme/payments-core",
        "eng",
        Label.CONFIDENTIAL,
    )
    other = snapshot.resource("repo:globex/x")
    assert other is not None
    assert (other.owner, other.label) == ("it", Label.INTERNAL)
    assert snapshot.resource("file:/etc/passwd") is None


def test_data_no_entry_describes_is_restricted(admin: Admin) -> None:
    tool = Tool("fs.read", ActionClass.READ, Label.PUBLIC)
    admin.put_resource(Resource("file:/srv/*", "ops", Label.INTERNAL), actor="t")
    snapshot = admin.runtime.inventory.snapshot
    assert snapshot.data_label(tool, "file:/srv/app.py") is Label.INTERNAL
    assert snapshot.data_label(tool, "file:/home/x") is Label.RESTRICTED
    assert snapshot.data_label(tool, None) is Label.PUBLIC
