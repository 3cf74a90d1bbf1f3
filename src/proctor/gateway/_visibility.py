"""Which tools an agent may not even see: those a policy would deny it outright.

An enforcement point that lists tools to an agent (the MCP proxy's ``tools/list``)
drops these, so the model is not offered tools it can never use. Each name is judged
as a call with no arguments and no resource, under the presented task token, the way
``explain`` judges: nothing is recorded. Hiding is a courtesy to the model, not the
control: a call of a hidden tool is still checked (and denied) like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from proctor.errors import InvalidInput, ProctorError, Unauthorized
from proctor.gateway._acting import Acting
from proctor.gateway._calls import check_call
from proctor.model import CheckRequest, Outcome, ToolCall

if TYPE_CHECKING:
    from proctor.gateway._gateway import Gateway

#: Denials that are about the tool (a policy's judgment), not about the caller.
_PER_TOOL_CODES = frozenset({"policy_denied", "policy_error"})
#: The most tool names one question may carry.
MAX_VISIBILITY_NAMES = 1000


@dataclass(frozen=True, slots=True)
class Visibility:
    """The token's agent and task (verified), and the names hidden from it."""

    agent_id: str
    task_id: str
    hidden: frozenset[str]


def visibility(gateway: Gateway, token: str, names: Sequence[str]) -> Visibility:
    """Judge each of ``names`` for the holder of ``token``; raises ``ProctorError`` when
    the token does not verify, or when no call could be allowed at all (the kill
    switch, a suspended agent, an expired task)."""
    if len(names) > MAX_VISIBILITY_NAMES:
        raise InvalidInput(f"ask about at most {MAX_VISIBILITY_NAMES} tools at once")
    if token.startswith(("prk_", "ppk_")):
        raise Unauthorized(
            "an API key belongs to a person, not an agent: agents present their task token",
            code="api_key_not_accepted",
        )
    credential = gateway.runtime.tokens.verify(token)
    acting = Acting.from_credential(credential)
    hidden: set[str] = set()
    for name in dict.fromkeys(names):
        try:
            check_call(ToolCall(name))
        except ProctorError:
            hidden.add(name)
            continue
        request = CheckRequest(acting.agent_id, acting.task_id, name)
        decision, _ = gateway._decide(
            "visibility", request, acting, None, credential, recorded=False
        )
        if decision.outcome is Outcome.DENY:
            if decision.code not in _PER_TOOL_CODES:
                # Not about this tool (a stopped agent, an expired task): say so once.
                raise ProctorError(decision.explain(), code=decision.code, http_status=403)
            hidden.add(name)
    return Visibility(acting.agent_id, acting.task_id, frozenset(hidden))
