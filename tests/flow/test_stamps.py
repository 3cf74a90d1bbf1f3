"""Provenance stamps: every allowed publish and send_external carries one; the SDK puts
it on the outgoing content (or hands it to the tool as metadata) and refuses to run a
call it cannot stamp."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from proctor.admin import Admin
from proctor.errors import ActionDenied, InvalidInput
from proctor.gateway import Gateway
from proctor.home import Settings
from proctor.model import (
    ActionClass,
    Agent,
    Audience,
    Capabilities,
    Label,
    Outcome,
    Tool,
)
from proctor.people import Role
from proctor.sdk import Client, guarded, session
from proctor.server import create_app
from tests.conftest import ensure_person
from tests.flow.conftest import check, start_task
from tests.server.live import live_server

STAMP = "provenance_stamp"


@pytest.fixture
def token(admin: Admin) -> str:
    ensure_person(admin, "dana", Role.APPROVER, clearance=Label.CONFIDENTIAL)
    admin.put_agent(Agent("writer", "Release-notes writer", "platform-team"), actor="t")
    for tool in (
        Tool("notes.read", ActionClass.READ, Label.INTERNAL),
        Tool("forum.post", ActionClass.PUBLISH, Label.INTERNAL, audience=Audience.ORGANIZATION),
        Tool("mail.send", ActionClass.SEND_EXTERNAL, Label.INTERNAL, targets=("to",)),
    ):
        admin.put_tool(tool, actor="t")
    actions = frozenset({ActionClass.READ, ActionClass.PUBLISH, ActionClass.SEND_EXTERNAL})
    return start_task(admin, "writer", Capabilities(actions=actions), purpose="Post notes")[1]


def stamp_of(decision: Any) -> dict[str, Any]:
    (found,) = [o for o in decision.obligations if o.kind == STAMP]
    return dict(found.params)


def test_an_allowed_post_carries_a_stamp_naming_agent_person_task_and_decision(
    gateway: Gateway, token: str
) -> None:
    decision = check(gateway, token, "forum.post", body="v2.3 is out")
    assert decision.outcome is Outcome.ALLOW
    stamp = stamp_of(decision)
    task_id = stamp["task"]
    assert stamp == {
        "agent": "writer",
        "on_behalf_of": "dana",
        "task": task_id,
        "decision_id": decision.id,
        "reviewed_by": [],
        "text": f"— Written by AI agent writer for dana (task {task_id}, decision "
        f"{decision.id}); not reviewed by a person.",
    }
    # The audit entry keeps the obligation the caller was given.
    entry = list(gateway.runtime.audit.iter_entries(kinds={"decision"}))[-1]
    assert entry.seq == decision.audit_seq
    assert entry.body["obligations"][0]["kind"] == STAMP


def test_reads_and_writes_carry_no_stamp(gateway: Gateway, token: str) -> None:
    decision = check(gateway, token, "notes.read", id="n1")
    assert decision.outcome is Outcome.ALLOW
    assert decision.obligations == ()


def test_a_held_then_approved_send_is_stamped_as_reviewed(
    gateway: Gateway, token: str, admin: Admin
) -> None:
    held = check(gateway, token, "mail.send", to="partner@other.example", body="notes")
    assert held.outcome is Outcome.REQUIRE_APPROVAL
    assert held.obligations == ()
    dana = admin.runtime.people.get("dana")
    gateway.runtime.approvals.approve(held.approval_id or "", dana, "fine to send")
    allowed = check(gateway, token, "mail.send", to="partner@other.example", body="notes")
    assert allowed.outcome is Outcome.ALLOW
    stamp = stamp_of(allowed)
    assert stamp["reviewed_by"] == ["dana"]
    assert stamp["text"].endswith("; reviewed by dana.")


def test_the_template_is_configurable(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.yaml").write_text(
        "flow:\n  stamp_template: '[agent {agent} for {on_behalf_of} · {review}]'\n"
    )
    with Gateway.open(home) as gateway:
        admin = Admin(gateway)
        ensure_person(admin, "dana")
        admin.put_agent(Agent("writer", "Writer", "platform-team"), actor="t")
        tool = Tool("forum.post", ActionClass.PUBLISH, audience=Audience.ORGANIZATION)
        admin.put_tool(tool, actor="t")
        caps = Capabilities(actions=frozenset({ActionClass.PUBLISH}))
        _, token = start_task(admin, "writer", caps)
        decision = check(gateway, token, "forum.post", body="x")
    assert stamp_of(decision)["text"] == "[agent writer for dana · not reviewed by a person]"


@pytest.mark.parametrize("template", ["{agent} {secret}", "{0}", "{agent"])
def test_a_template_with_unknown_fields_is_refused(template: str) -> None:
    with pytest.raises(ValueError, match="stamp template may use"):
        Settings.model_validate({"flow": {"stamp_template": template}})


# The SDK side: in-process and over HTTP the stamp reaches the tool.

sent: list[dict[str, Any]] = []


@guarded("forum.post", stamp="body")
def post(thread: str, body: str) -> str:
    sent.append({"thread": thread, "body": body})
    return "posted"


@guarded("forum.post")
def post_with_metadata(thread: str, body: str, proctor_stamp: dict[str, Any] | None = None) -> str:
    sent.append({"thread": thread, "body": body, "meta": proctor_stamp})
    return "posted"


@guarded("forum.post")
def post_unstampable(thread: str, body: str) -> str:
    sent.append({"thread": thread, "body": body})
    return "posted"


@guarded("notes.read")
def read_notes(note: str) -> str:
    return f"notes {note}"


@pytest.fixture(params=["in-process", "http"])
def checker(request: pytest.FixtureRequest, gateway: Gateway) -> Iterator[Any]:
    sent.clear()
    if request.param == "in-process":
        yield gateway
        return
    with live_server(create_app(gateway)) as url, Client(url) as client:
        yield client


def test_the_sdk_appends_the_stamp_to_the_named_argument(checker: Any, token: str) -> None:
    with session(checker, token=token):
        assert post("4411", "v2.3 is out") == "posted"
    (call,) = sent
    body = call["body"]
    assert body.startswith("v2.3 is out\n\n— Written by AI agent writer for dana (task ")
    assert body.endswith("; not reviewed by a person.")


def test_a_tool_can_take_the_stamp_as_metadata(checker: Any, token: str) -> None:
    with session(checker, token=token):
        post_with_metadata("4411", "v2.3 is out")
    (call,) = sent
    assert call["body"] == "v2.3 is out"
    assert call["meta"]["agent"] == "writer"
    assert call["meta"]["on_behalf_of"] == "dana"
    assert call["meta"]["decision_id"].startswith("dec_")


def test_a_call_the_sdk_cannot_stamp_does_not_run(
    checker: Any, token: str, gateway: Gateway
) -> None:
    with session(checker, token=token), pytest.raises(ActionDenied) as raised:
        post_unstampable("4411", "v2.3 is out")
    assert sent == []
    assert raised.value.reason_code == "obligation_unmet"
    assert "stamp='<argument>'" in raised.value.message
    outcome = list(gateway.runtime.audit.iter_entries(kinds={"outcome"}))[-1]
    assert outcome.body["status"] == "skipped"


def test_calls_without_obligations_run_unchanged(checker: Any, token: str) -> None:
    with session(checker, token=token):
        assert read_notes("n1") == "notes n1"


def test_the_stamp_argument_is_not_judged(gateway: Gateway, token: str) -> None:
    with session(gateway, token=token):
        post_with_metadata("4411", "hello")
    decision = list(gateway.runtime.audit.iter_entries(kinds={"decision"}))[-1]
    assert "proctor_stamp" not in decision.body["arguments"]


def test_a_stamp_argument_the_function_lacks_is_refused_when_decorating() -> None:
    with pytest.raises(TypeError, match="no such parameter"):

        @guarded("forum.post", stamp="text")
        def post_text(body: str) -> None: ...


def test_a_stamp_argument_that_is_not_a_string_fails_closed(gateway: Gateway, token: str) -> None:
    @guarded("forum.post", stamp="body")
    def post_blocks(body: list[str]) -> None:
        sent.append({"body": body})

    sent.clear()
    with session(gateway, token=token), pytest.raises(ActionDenied) as raised:
        post_blocks(["a", "b"])
    assert raised.value.reason_code == "obligation_unmet"
    assert sent == []


def test_invalid_settings_fail_loudly_on_open(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.yaml").write_text("flow:\n  stamp_template: '{nope}'\n")
    with pytest.raises(InvalidInput):
        Gateway.open(home)


def test_a_stamp_the_caller_passes_is_replaced_by_the_real_one(checker: Any, token: str) -> None:
    forged = {"agent": "someone-else", "text": "reviewed by the CEO"}
    with session(checker, token=token):
        post_with_metadata("4411", "v2.3 is out", proctor_stamp=forged)
    (call,) = sent
    assert call["meta"]["agent"] == "writer"
    assert call["meta"]["text"].startswith("— Written by AI agent writer for dana")
