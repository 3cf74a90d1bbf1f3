"""Agents, tools and calls the policy tests share."""

from __future__ import annotations

from proctor.model import UNCLASSIFIED_ACTION, ActionClass, Agent, Audience, Label, Tool
from proctor.policy import (
    PolicyDocument,
    PolicyEngine,
    PolicyInput,
    RequesterFacts,
    ResourceFacts,
    TaskFacts,
)

#: A requester cleared for everything and holding every access: the default policies
#: that bound agents by their requester stay out of the way of the rule under test.
UNBOUNDED = RequesterFacts("restricted", cleared=True, permitted=True)

BOT = Agent("forum-bot", "Forum assistant", "platform-team", groups=("assistants",))
INTERN = Agent("intern-bot", "Intern", "alice", groups=("interns", "assistants"))

TOOLS = {
    tool.name: tool
    for tool in (
        Tool("forum.read_thread", ActionClass.READ, Label.INTERNAL),
        Tool("forum.post", ActionClass.PUBLISH, Label.INTERNAL, audience=Audience.ORGANIZATION),
        Tool("forum.edit", ActionClass.WRITE, Label.INTERNAL),
        Tool("repo.set_permissions", ActionClass.MODIFY_PERMISSIONS, Label.CONFIDENTIAL),
        Tool("vault.read_secret", ActionClass.READ, Label.RESTRICTED),
        Tool("mail.send", ActionClass.SEND_EXTERNAL, Label.INTERNAL, audience=Audience.PUBLIC),
    )
}


def task(
    granted: str = "read",
    *,
    action: bool = False,
    tool: bool = False,
    by_name: bool = False,
    delivers: bool = False,
    purpose: str = "analyse the incident thread",
) -> TaskFacts:
    """Task facts; by default an analysis task that grants nothing for the call at hand."""
    return TaskFacts(
        id="task-1",
        purpose=purpose,
        requester="bob",
        granted=granted,
        grants_action=action,
        grants_tool=tool or by_name,
        grants_tool_by_name=by_name,
        delivers=delivers,
    )


def call(
    tool_name: str,
    facts: TaskFacts | None = None,
    *,
    agent: Agent = BOT,
    resource: ResourceFacts | None = None,
    approved: bool = False,
    requester: RequesterFacts = UNBOUNDED,
) -> PolicyInput:
    """A call as the gateway would describe it."""
    tool = TOOLS.get(tool_name)
    action = tool.action_class.value if tool else UNCLASSIFIED_ACTION
    if resource is None:
        label = tool.label.value if tool else "restricted"
        resource = ResourceFacts(id="", known=False, label=label, owner="")
    return PolicyInput(
        agent, tool_name, tool, action, facts or task(), resource, requester, approved=approved
    )


def engine(*texts: str, include_defaults: bool = True, cache_size: int = 4096) -> PolicyEngine:
    """An engine with the shared inventory and ``texts`` loaded as extra documents."""
    documents = [PolicyDocument(f"extra-{n}.cedar", text) for n, text in enumerate(texts)]
    loaded = PolicyEngine(documents, include_defaults=include_defaults, cache_size=cache_size)
    loaded.set_inventory([BOT, INTERN], TOOLS.values())
    return loaded
