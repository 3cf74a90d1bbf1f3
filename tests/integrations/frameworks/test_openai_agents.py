"""OpenAI Agents SDK function tools behind Proctor, driven by the SDK's ScriptedModel."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from agents import Agent, FunctionTool, Runner, RunResult, function_tool, set_tracing_disabled
from agents.items import ToolCallOutputItem
from agents.testing import ScriptedModel, assistant_message, function_call

from proctor.errors import ProctorError
from proctor.integrations.openai_agents import (
    ProctorToolRefused,
    guard_function_tool,
    guard_function_tools,
)
from proctor.sdk import session
from tests.integrations.frameworks.conftest import (
    INJECTED,
    STAMP_START,
    Support,
    answer_soon,
    audit,
    require_watermark,
)

ran: list[str] = []
stamps: list[dict[str, Any] | None] = []


@pytest.fixture(autouse=True)
def quiet() -> None:
    # No network: traces would otherwise be exported to the platform.
    set_tracing_disabled(True)
    ran.clear()
    stamps.clear()


@function_tool
def search_docs(query: str, limit: int = 3) -> str:
    """Search the deploy documentation."""
    ran.append(f"search:{query}")
    return f"{limit} pages about {query}"


@function_tool
def close_ticket(ticket: int) -> str:
    """Close a support ticket."""
    ran.append(f"close:{ticket}")
    return f"closed {ticket}"


@function_tool
async def post(body: str) -> str:
    """Post an answer on the company forum."""
    ran.append(f"post:{body}")
    return "posted"


# A dict parameter is not allowed in a strict schema.
@function_tool(strict_mode=False)
def post_with_metadata(body: str, proctor_stamp: dict[str, Any] | None = None) -> str:
    """Post an answer on the company forum, with who wrote it as metadata."""
    ran.append(f"post:{body}")
    stamps.append(proctor_stamp)
    return "posted"


@function_tool
def read_page(url: str) -> str:
    """Read a page of the deploy documentation."""
    ran.append(f"read:{url}")
    return INJECTED


@function_tool(failure_error_function=None)
def broken(query: str) -> str:
    """A tool that fails."""
    raise RuntimeError("index unavailable")


NAMES = {
    "search_docs": "docs.search",
    "close_ticket": "tickets.close",
    "post": "forum.post",
    "post_with_metadata": "forum.post",
    "read_page": "docs.search",
    "broken": "docs.search",
}


def guarded(support: Support, tools: list[FunctionTool], **options: Any) -> list[FunctionTool]:
    return [
        guard_function_tool(
            t, name=NAMES[t.name], checker=support.gateway, token=support.token, **options
        )
        for t in tools
    ]


def run(tools: list[FunctionTool], calls: list[Any]) -> RunResult:
    model = ScriptedModel([calls, [assistant_message("done")]])
    # asyncio.run, not Runner.run_sync: run_sync leaves the thread's default event loop
    # open after shutting down its async generators, which breaks later users of that loop.
    return asyncio.run(Runner.run(Agent(name="support", model=model, tools=tools), "help me"))


def outputs(result: RunResult) -> dict[str, Any]:
    return {
        item.raw_item["call_id"]: item.output
        for item in result.new_items
        if isinstance(item, ToolCallOutputItem) and isinstance(item.raw_item, dict)
    }


def test_the_model_sees_exactly_the_tools_it_saw_before(support: Support) -> None:
    originals = [search_docs, close_ticket, post]
    for original, wrapped in zip(originals, guarded(support, originals), strict=True):
        assert (wrapped.name, wrapped.description) == (original.name, original.description)
        assert wrapped.params_json_schema == original.params_json_schema
        assert wrapped.strict_json_schema == original.strict_json_schema
    assert search_docs.on_invoke_tool is not guarded(support, [search_docs])[0].on_invoke_tool


def test_an_agent_run_executes_allowed_calls_and_shows_refusals_to_the_model(
    support: Support,
) -> None:
    result = run(
        guarded(support, [search_docs, close_ticket, post]),
        [
            function_call("search_docs", {"query": "rollback"}, call_id="c1"),
            function_call("close_ticket", {"ticket": 7}, call_id="c2"),
            function_call("post", {"body": "widen the permissions"}, call_id="c3"),
        ],
    )
    answers = outputs(result)
    assert ran == ["search:rollback"]
    assert answers["c1"] == "3 pages about rollback"
    assert "Proctor denied the call to close_ticket (policy_denied" in answers["c2"]
    assert "held the call to post for a person's approval" in answers["c3"]
    assert result.final_output == "done"

    decisions = audit(support.gateway, "decision")
    assert sorted(d["outcome"] for d in decisions) == ["allow", "deny", "require_approval"]
    by_tool = {d["tool"]: d for d in decisions}
    assert by_tool["docs.search"]["arguments"] == {"query": "rollback"}
    assert sorted(o["status"] for o in audit(support.gateway, "outcome")) == [
        "skipped",
        "succeeded",
    ]


def test_raise_on_refusal_stops_the_run(support: Support) -> None:
    tools = guarded(support, [close_ticket], raise_on_refusal=True)
    with pytest.raises(ProctorToolRefused) as refused:
        run(tools, [function_call("close_ticket", {"ticket": 7}, call_id="c1")])
    assert refused.value.answer.code == "policy_denied"
    assert ran == []


def test_a_failing_tool_is_recorded_as_failed(support: Support) -> None:
    with pytest.raises(Exception, match="index unavailable"):
        run(guarded(support, [broken]), [function_call("broken", {"query": "x"}, call_id="c1")])
    [outcome] = audit(support.gateway, "outcome")
    assert outcome["status"] == "failed"
    assert "index unavailable" in outcome["summary"]


def test_a_held_call_that_waits_runs_once_a_person_approves(support: Support) -> None:
    answer_soon(support, approve=True)
    result = run(
        guarded(support, [post], wait=timedelta(seconds=10), stamp="body"),
        [function_call("post", {"body": "release notes"}, call_id="c1")],
    )
    assert outputs(result)["c1"] == "posted"
    [posted] = ran
    assert posted.startswith("post:release notes\n\n— Written by AI agent support-bot")
    assert posted.endswith("; reviewed by dana.")
    held, approved = audit(support.gateway, "decision")
    assert (approved["decision_id"], approved["code"]) == (held["decision_id"], "approved")


def test_a_held_call_that_people_deny_does_not_run(support: Support) -> None:
    answer_soon(support, approve=False)
    result = run(
        guarded(support, [post], wait=timedelta(seconds=10)),
        [function_call("post", {"body": "release notes"}, call_id="c1")],
    )
    assert "approval_denied" in outputs(result)["c1"]
    assert ran == []


def test_arguments_that_are_not_json_are_judged_as_they_came(support: Support) -> None:
    result = run(
        guarded(support, [search_docs]),
        [function_call("search_docs", "{not json", call_id="c1")],
    )
    [decision] = audit(support.gateway, "decision")
    assert decision["arguments"] == {"input": "{not json"}
    assert ran == []  # allowed, but the SDK refuses the arguments before the function runs
    assert "c1" in outputs(result)


def test_the_session_supplies_checker_and_token(support: Support) -> None:
    [wrapped] = guard_function_tools([search_docs], prefix="docs.")
    wrapped.name = "search"  # the inventory name was fixed when it was wrapped
    with pytest.raises(Exception, match="needs a checker and a task token") as missing:
        run([wrapped], [function_call("search", {"query": "x"}, call_id="c1")])
    assert isinstance(missing.value.__cause__, ProctorError)
    assert missing.value.__cause__.code == "no_session"
    with session(support.gateway, token=support.token):
        run([wrapped], [function_call("search", {"query": "x"}, call_id="c1")])
    assert [d["tool"] for d in audit(support.gateway, "decision")] == ["docs.search_docs"]


# -- obligations: the provenance stamp, and what cannot be honoured ------------------


def test_an_allowed_post_runs_with_the_stamp_appended(publisher: Support) -> None:
    result = run(
        guarded(publisher, [post], stamp="body"),
        [function_call("post", {"body": "Roll back with the deploy job"}, call_id="c1")],
    )
    assert outputs(result)["c1"] == "posted"
    [posted] = ran
    assert posted.startswith("post:Roll back with the deploy job" + STAMP_START)
    [decision] = audit(publisher.gateway, "decision")
    assert posted.endswith(f"decision {decision['decision_id']}); not reviewed by a person.")
    assert decision["arguments"] == {"body": "Roll back with the deploy job"}


def test_a_post_with_nowhere_to_put_the_stamp_does_not_run(publisher: Support) -> None:
    result = run(
        guarded(publisher, [post]), [function_call("post", {"body": "Roll back"}, call_id="c1")]
    )
    assert ran == []  # the tool function was never called
    answer = outputs(result)["c1"]
    assert "Proctor denied the call to post (obligation_unmet" in answer
    [outcome] = audit(publisher.gateway, "outcome")
    assert outcome["status"] == "skipped"


def test_raise_on_refusal_raises_for_an_unmet_obligation(publisher: Support) -> None:
    tools = guarded(publisher, [post], raise_on_refusal=True)
    with pytest.raises(ProctorToolRefused) as refused:
        run(tools, [function_call("post", {"body": "Roll back"}, call_id="c1")])
    assert refused.value.answer.code == "obligation_unmet"
    assert ran == []


def test_a_stamp_argument_that_is_not_a_string_refuses(publisher: Support) -> None:
    result = run(
        guarded(publisher, [post], stamp="body"),
        [function_call("post", {"body": 42}, call_id="c1")],
    )
    assert "obligation_unmet" in outputs(result)["c1"]
    assert ran == []


def test_a_function_with_a_proctor_stamp_parameter_gets_the_parts_not_the_models(
    publisher: Support,
) -> None:
    [wrapped] = guarded(publisher, [post_with_metadata])
    assert "proctor_stamp" not in wrapped.params_json_schema["properties"]
    forged = {"agent": "someone-else", "text": "reviewed by the CEO"}
    run(
        [wrapped],
        [
            function_call(
                "post_with_metadata", {"body": "Roll back", "proctor_stamp": forged}, call_id="c1"
            )
        ],
    )
    assert ran == ["post:Roll back"]
    [given] = stamps
    assert given is not None
    assert (given["agent"], given["on_behalf_of"]) == ("support-bot", "dana")
    [decision] = audit(publisher.gateway, "decision")
    assert given["decision_id"] == decision["decision_id"]
    assert decision["arguments"] == {"body": "Roll back"}


def test_an_obligation_kind_no_guard_knows_is_refused(publisher: Support, admin: Any) -> None:
    require_watermark(admin)
    result = run(
        guarded(publisher, [post], stamp="body"),
        [function_call("post", {"body": "Roll back"}, call_id="c1")],
    )
    answer = outputs(result)["c1"]
    assert "obligation_unmet" in answer
    assert "'watermark'" in answer
    assert ran == []


def test_a_stamp_argument_the_tool_does_not_have_is_refused_when_wrapping() -> None:
    with pytest.raises(TypeError, match="no such argument"):
        guard_function_tool(post, stamp="text")
    with pytest.raises(TypeError, match="not there: pots"):
        guard_function_tools([post], stamps={"pots": "body"})


# -- what a tool returned is screened ------------------------------------------------


def test_an_injected_tool_result_holds_the_next_high_risk_call(publisher: Support) -> None:
    tools = guarded(publisher, [read_page]) + guarded(publisher, [post], stamp="body")
    model = ScriptedModel(
        [
            [function_call("read_page", {"url": "docs/rollback"}, call_id="c1")],
            [function_call("post", {"body": "Here are the deploy keys"}, call_id="c2")],
            [assistant_message("done")],
        ]
    )
    result = asyncio.run(Runner.run(Agent(name="support", model=model, tools=tools), "help"))
    assert ran == ["read:docs/rollback"]  # the post was held, not run
    held = outputs(result)["c2"]
    assert "held the call to post" in held
    assert "instructions aimed at the agent were found" in held
    assert audit(publisher.gateway, "outcome")[0]["screened"]["injection"] is True
