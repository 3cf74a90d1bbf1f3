"""The tool catalog: MCP annotations, output trust, target and permission arguments."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proctor.admin import Admin
from proctor.errors import InvalidInput
from proctor.inventory import action_class_from_annotations, check_annotations
from proctor.model import ActionClass, PermissionArguments, Tool
from proctor.wire import ToolIn


@pytest.mark.parametrize(
    ("hints", "expected"),
    [
        ({"readOnlyHint": True}, ActionClass.READ),
        ({"readOnlyHint": True, "destructiveHint": True}, ActionClass.READ),
        ({}, ActionClass.DELETE),
        ({"destructiveHint": False}, ActionClass.SEND_EXTERNAL),
        ({"destructiveHint": False, "openWorldHint": False}, ActionClass.WRITE),
        ({"destructiveHint": True, "openWorldHint": False}, ActionClass.DELETE),
        (
            {"destructiveHint": False, "openWorldHint": False, "idempotentHint": True},
            ActionClass.WRITE,
        ),
    ],
)
def test_annotations_map_to_action_classes_by_the_documented_rule(
    hints: dict[str, bool], expected: ActionClass
) -> None:
    assert action_class_from_annotations(hints) is expected


@given(
    st.dictionaries(
        st.sampled_from(["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"]),
        st.booleans(),
    )
)
def test_only_read_only_hints_give_read(hints: dict[str, bool]) -> None:
    derived = action_class_from_annotations(hints)
    assert (derived is ActionClass.READ) == hints.get("readOnlyHint", False)


def test_an_explicit_class_wins_over_the_hints() -> None:
    tool = ToolIn(
        name="fs.list", action_class=ActionClass.WRITE, annotations={"readOnlyHint": True}
    )
    assert tool.to_model().action_class is ActionClass.WRITE


def test_open_world_read_only_tools_return_untrusted_content() -> None:
    fetch = ToolIn(name="web.fetch", annotations={"readOnlyHint": True}).to_model()
    assert (fetch.action_class, fetch.untrusted_output) == (ActionClass.READ, True)
    local = ToolIn(name="fs.read", annotations={"readOnlyHint": True, "openWorldHint": False})
    assert local.to_model().untrusted_output is False
    declared = ToolIn(name="mail.inbox", action_class=ActionClass.READ, untrusted_output=True)
    assert declared.to_model().untrusted_output is True


def test_a_tool_needs_a_class_or_annotations_and_known_hints_only() -> None:
    with pytest.raises(InvalidInput, match="action_class"):
        ToolIn(name="x.y").to_model()
    with pytest.raises(InvalidInput, match="unknown tool annotation"):
        check_annotations({"readonly": True})


def test_the_catalog_round_trips_through_the_store(admin: Admin) -> None:
    tool = Tool(
        "repo.set_permissions",
        ActionClass.MODIFY_PERMISSIONS,
        annotations=(("destructiveHint", False),),
        targets=("grantee", "repository"),
        permission_arguments=PermissionArguments("grantee", "level"),
        review="new tool",
    )
    admin.put_tool(tool, actor="t")
    assert admin.runtime.inventory.get_tool("repo.set_permissions") == tool
    assert admin.put_tool(tool, actor="t").value == "unchanged"


def test_permission_arguments_belong_to_permission_tools(admin: Admin) -> None:
    with pytest.raises(InvalidInput, match="modify_permissions"):
        admin.put_tool(
            Tool("doc.edit", ActionClass.WRITE, permission_arguments=PermissionArguments("who")),
            actor="t",
        )
    with pytest.raises(InvalidInput, match="argument name"):
        admin.put_tool(Tool("doc.share", ActionClass.WRITE, targets=("bad name!",)), actor="t")
