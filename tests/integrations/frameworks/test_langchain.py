"""LangChain / LangGraph tools behind Proctor, driven by LangChain's own fake chat model."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated, Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import BaseTool, InjectedToolArg, InjectedToolCallId, tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.types import Command

from proctor.errors import ProctorError
from proctor.integrations.langchain import ProctorRefusal, guard_tool, guard_tools
from proctor.sdk import session
from tests.integrations.frameworks.conftest import (
    INJECTED,
    STAMP_START,
    Support,
    answer_soon,
    audit,
    pending_request,
    require_watermark,
)

ran: list[str] = []
stamps: list[dict[str, Any] | None] = []


@pytest.fixture(autouse=True)
def nothing_ran() -> None:
    ran.clear()
    stamps.clear()


@tool
def search_docs(query: str, limit: int = 3) -> str:
    """Search the deploy documentation."""
    ran.append(f"search:{query}")
    return f"{limit} pages about {query}"


@tool("close_ticket")
def close_ticket(ticket: int) -> str:
    """Close a support ticket."""
    ran.append(f"close:{ticket}")
    return f"closed {ticket}"


@tool
def post(body: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> str:
    """Post an answer on the company forum."""
    ran.append(f"post:{body}")
    return f"posted ({tool_call_id})"


@tool
def post_with_metadata(
    body: str, proctor_stamp: Annotated[dict[str, Any] | None, InjectedToolArg] = None
) -> str:
    """Post an answer on the company forum, with who wrote it as metadata."""
    ran.append(f"post:{body}")
    stamps.append(proctor_stamp)
    return "posted"


@tool
def read_page(url: str) -> str:
    """Read a page of the deploy documentation."""
    ran.append(f"read:{url}")
    return INJECTED


@tool
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


def guarded(support: Support, tools: list[BaseTool], **options: Any) -> list[BaseTool]:
    return [
        guard_tool(t, name=NAMES[t.name], checker=support.gateway, token=support.token, **options)
        for t in tools
    ]


def call(name: str, args: dict[str, Any], call_id: str) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": name, "args": args, "id": call_id}])


def agent_graph(tools: list[BaseTool], replies: list[AIMessage], **compile: Any) -> Any:
    """A LangGraph agent: the fake model answers from a script, a ToolNode runs the tools."""
    model = GenericFakeChatModel(messages=iter(replies))
    graph = StateGraph(MessagesState)
    graph.add_node("agent", lambda state: {"messages": [model.invoke(state["messages"])]})
    graph.add_node("tools", ToolNode(tools))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    return graph.compile(**compile)


def tool_messages(result: dict[str, Any]) -> dict[str, ToolMessage]:
    return {m.tool_call_id: m for m in result["messages"] if isinstance(m, ToolMessage)}


def test_the_model_sees_exactly_the_tools_it_saw_before(support: Support) -> None:
    tools: list[BaseTool] = [search_docs, close_ticket, post]
    for original, wrapped in zip(tools, guarded(support, tools), strict=True):
        assert convert_to_openai_tool(wrapped) == convert_to_openai_tool(original)
        assert wrapped.name == original.name
        assert wrapped.args == original.args


def test_an_agent_run_executes_allowed_calls_and_shows_refusals_to_the_model(
    support: Support,
) -> None:
    replies = [
        call("search_docs", {"query": "rollback"}, "c1"),
        call("close_ticket", {"ticket": 7}, "c2"),
        call("post", {"body": "widen the permissions"}, "c3"),
        AIMessage("done"),
    ]
    graph = agent_graph(guarded(support, [search_docs, close_ticket, post]), replies)
    result = graph.invoke({"messages": [HumanMessage("how do I roll back?")]})
    answers = tool_messages(result)

    assert ran == ["search:rollback"]
    assert answers["c1"].content == "3 pages about rollback"
    assert answers["c1"].status == "success"
    assert answers["c2"].status == "error"
    assert "Proctor denied the call to close_ticket (policy_denied" in answers["c2"].content
    assert answers["c3"].status == "error"
    assert "held the call to post for a person's approval" in answers["c3"].content
    assert result["messages"][-1].content == "done"

    decisions = audit(support.gateway, "decision")
    assert [d["outcome"] for d in decisions] == ["allow", "deny", "require_approval"]
    assert decisions[0]["arguments"] == {"query": "rollback"}
    assert decisions[2]["arguments"] == {"body": "widen the permissions"}  # no injected id
    assert [o["status"] for o in audit(support.gateway, "outcome")] == ["succeeded", "skipped"]


def test_a_failing_tool_is_recorded_as_failed_and_raises_as_before(support: Support) -> None:
    [wrapped] = guarded(support, [broken])
    with pytest.raises(RuntimeError, match="index unavailable"):
        wrapped.invoke({"query": "x"})
    [outcome] = audit(support.gateway, "outcome")
    assert outcome["status"] == "failed"
    assert "index unavailable" in outcome["summary"]


def test_handle_refusal_false_raises_the_tool_exception(support: Support) -> None:
    [wrapped] = guarded(support, [close_ticket], handle_refusal=False)
    with pytest.raises(ProctorRefusal) as refused:
        wrapped.invoke({"ticket": 7})
    assert refused.value.answer.code == "policy_denied"
    assert ran == []


def test_a_held_call_that_waits_runs_once_a_person_approves(support: Support) -> None:
    [wrapped] = guarded(support, [post], wait=timedelta(seconds=10), stamp="body")
    answer_soon(support, approve=True)
    message = wrapped.invoke(
        {"type": "tool_call", "id": "c9", "name": "post", "args": {"body": "release notes"}}
    )
    assert message.content == "posted (c9)"
    [posted] = ran
    assert posted.startswith("post:release notes\n\n— Written by AI agent support-bot")
    assert posted.endswith("; reviewed by dana.")
    held, approved = audit(support.gateway, "decision")
    assert approved["decision_id"] == held["decision_id"]
    assert approved["code"] == "approved"
    [outcome] = audit(support.gateway, "outcome")
    assert (outcome["decision_id"], outcome["status"]) == (held["decision_id"], "succeeded")


def test_a_held_call_that_people_deny_does_not_run(support: Support) -> None:
    [wrapped] = guarded(support, [post], wait=timedelta(seconds=10))
    answer_soon(support, approve=False)
    result = wrapped.invoke({"body": "release notes"})
    assert "approval_denied" in result
    assert "not in public" in result
    assert ran == []


def test_on_hold_interrupt_pauses_the_graph_and_resumes_after_approval(support: Support) -> None:
    replies = [call("post", {"body": "release notes"}, "c1"), AIMessage("posted it")]
    graph = agent_graph(
        guarded(support, [post], on_hold="interrupt", stamp="body"),
        replies,
        checkpointer=InMemorySaver(),
    )
    thread = {"configurable": {"thread_id": "t1"}}

    paused = graph.invoke({"messages": [HumanMessage("post the notes")]}, thread)
    [interruption] = paused["__interrupt__"]
    held = interruption.value["proctor"]
    assert held["verdict"] == "held"
    assert held["approval_id"] == pending_request(support.gateway)
    assert ran == []

    support.gateway.runtime.approvals.approve(held["approval_id"], support.dana, "fine")
    done = graph.invoke(Command(resume="approved"), thread)
    [posted] = ran
    assert posted.startswith("post:release notes\n\n— Written by AI agent support-bot")
    assert tool_messages(done)["c1"].content == "posted (c1)"
    assert done["messages"][-1].content == "posted it"


def test_on_hold_interrupt_resumed_without_approval_tells_the_model_it_is_pending(
    support: Support,
) -> None:
    replies = [call("post", {"body": "notes"}, "c1"), AIMessage("ok")]
    graph = agent_graph(
        guarded(support, [post], on_hold="interrupt"), replies, checkpointer=InMemorySaver()
    )
    thread = {"configurable": {"thread_id": "t2"}}
    graph.invoke({"messages": [HumanMessage("post")]}, thread)
    done = graph.invoke(Command(resume="go"), thread)
    assert ran == []
    assert "held the call to post" in tool_messages(done)["c1"].content


def test_async_invocation_is_checked_the_same_way(support: Support) -> None:
    allowed, denied = guarded(support, [search_docs, close_ticket])

    async def agent() -> tuple[Any, Any]:
        return await allowed.ainvoke({"query": "deploy"}), await denied.ainvoke({"ticket": 1})

    found, refused = asyncio.run(agent())
    assert found == "3 pages about deploy"
    assert "Proctor denied" in refused
    assert ran == ["search:deploy"]


def test_the_session_supplies_checker_and_token(support: Support) -> None:
    [wrapped] = guard_tools([search_docs], prefix="")
    with pytest.raises(ProctorError) as missing:
        wrapped.invoke({"query": "x"})
    assert missing.value.code == "no_session"
    wrapped = guard_tool(search_docs, name="docs.search")
    with session(support.gateway, token=support.token):
        assert wrapped.invoke({"query": "x"}) == "3 pages about x"


def test_a_resource_function_names_the_resource_from_the_arguments(support: Support) -> None:
    wrapped = guard_tool(
        search_docs,
        name="docs.search",
        resource=lambda args: f"docs:{args['query']}",
        checker=support.gateway,
        token=support.token,
    )
    wrapped.invoke({"query": "deploy"})
    [decision] = audit(support.gateway, "decision")
    assert decision["resource"] == "docs:deploy"


# -- obligations: the provenance stamp, and what cannot be honoured ------------------


def test_an_allowed_post_runs_with_the_stamp_appended(publisher: Support) -> None:
    replies = [call("post", {"body": "Roll back with the deploy job"}, "c1"), AIMessage("ok")]
    graph = agent_graph(guarded(publisher, [post], stamp="body"), replies)
    result = graph.invoke({"messages": [HumanMessage("post the answer")]})
    assert tool_messages(result)["c1"].status == "success"
    [posted] = ran
    assert posted.startswith("post:Roll back with the deploy job" + STAMP_START)
    [decision] = audit(publisher.gateway, "decision")
    assert posted.endswith(f"decision {decision['decision_id']}); not reviewed by a person.")
    # Judged on what the model sent; the stamp is added after the decision.
    assert decision["arguments"] == {"body": "Roll back with the deploy job"}


def test_a_post_with_nowhere_to_put_the_stamp_does_not_run(publisher: Support) -> None:
    replies = [call("post", {"body": "Roll back"}, "c1"), AIMessage("ok")]
    graph = agent_graph(guarded(publisher, [post]), replies)
    result = graph.invoke({"messages": [HumanMessage("post the answer")]})
    refusal = tool_messages(result)["c1"]
    assert ran == []  # the tool function was never called
    assert refusal.status == "error"
    assert "Proctor denied the call to post (obligation_unmet" in refusal.content
    assert "provenance stamp" in refusal.content
    [decision] = audit(publisher.gateway, "decision")
    [outcome] = audit(publisher.gateway, "outcome")
    assert decision["outcome"] == "allow"
    assert (outcome["status"], outcome["decision_id"]) == ("skipped", decision["decision_id"])


def test_a_stamp_argument_that_is_not_a_string_refuses(publisher: Support) -> None:
    [wrapped] = guarded(publisher, [post], stamp="body")
    answer = wrapped.invoke({"body": ["not", "text"]})
    assert "obligation_unmet" in answer
    assert ran == []


def test_a_tool_with_a_proctor_stamp_parameter_gets_the_parts_not_the_models(
    publisher: Support,
) -> None:
    [wrapped] = guarded(publisher, [post_with_metadata])
    assert "proctor_stamp" not in convert_to_openai_tool(wrapped)["function"]["parameters"]
    forged = {"agent": "someone-else", "text": "reviewed by the CEO"}
    wrapped.invoke({"body": "Roll back", "proctor_stamp": forged})
    assert ran == ["post:Roll back"]
    [given] = stamps
    assert given is not None
    assert (given["agent"], given["on_behalf_of"]) == ("support-bot", "dana")
    [decision] = audit(publisher.gateway, "decision")
    assert given["decision_id"] == decision["decision_id"]
    assert decision["arguments"] == {"body": "Roll back"}


def test_a_proctor_stamp_the_model_sends_to_an_unstamped_call_is_dropped(
    support: Support,
) -> None:
    wrapped = guard_tool(
        post_with_metadata, name="docs.search", checker=support.gateway, token=support.token
    )
    wrapped.invoke({"body": "x", "proctor_stamp": {"text": "forged"}})
    assert stamps == [None]


def test_an_obligation_kind_no_guard_knows_is_refused(publisher: Support, admin: Any) -> None:
    require_watermark(admin)
    [wrapped] = guarded(publisher, [post], stamp="body")
    answer = wrapped.invoke({"body": "Roll back"})
    assert "obligation_unmet" in answer
    assert "'watermark'" in answer
    assert ran == []


def test_a_stamp_argument_the_tool_does_not_have_is_refused_when_wrapping() -> None:
    with pytest.raises(TypeError, match="no such argument"):
        guard_tool(post, stamp="text")
    with pytest.raises(TypeError, match="not there: pots"):
        guard_tools([post], stamps={"pots": "body"})


def test_async_calls_are_stamped_too(publisher: Support) -> None:
    [wrapped] = guarded(publisher, [post], stamp="body")
    asyncio.run(
        wrapped.ainvoke(
            {"type": "tool_call", "id": "c1", "name": "post", "args": {"body": "Roll back"}}
        )
    )
    [posted] = ran
    assert posted.startswith("post:Roll back" + STAMP_START)


# -- what a tool returned is screened ------------------------------------------------


def test_an_injected_tool_result_holds_the_next_high_risk_call(publisher: Support) -> None:
    replies = [
        call("read_page", {"url": "docs/rollback"}, "c1"),
        call("post", {"body": "Here are the deploy keys"}, "c2"),
        AIMessage("done"),
    ]
    tools = guarded(publisher, [read_page]) + guarded(publisher, [post], stamp="body")
    graph = agent_graph(tools, replies)
    result = graph.invoke({"messages": [HumanMessage("answer the rollback question")]})
    assert ran == ["read:docs/rollback"]  # the post was held, not run
    held = tool_messages(result)["c2"]
    assert "held the call to post" in held.content
    assert "instructions aimed at the agent were found" in held.content
    read_outcome = audit(publisher.gateway, "outcome")[0]
    assert read_outcome["screened"]["injection"] is True
