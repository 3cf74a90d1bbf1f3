"""``Client``: the gateway's check interface over HTTP, failing closed.

A check that cannot reach the gateway, or gets an answer that is not a decision,
comes back as a ``deny`` with code ``gateway_unreachable``: an agent whose
gateway is down does nothing, rather than everything.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

import proctor
from proctor._wire_calls import (
    ApprovalOut,
    DecisionOut,
    ErrorOut,
    OutcomeIn,
    OutcomeOut,
    VisibilityIn,
    VisibilityOut,
    check_to_wire,
    decision_from_wire,
)
from proctor.approvals import ApprovalRequest
from proctor.errors import InvalidInput, ProctorError
from proctor.model import (
    CheckRequest,
    Decision,
    Label,
    Outcome,
    OutcomeStatus,
    Reason,
    ToolCall,
)
from proctor.sdk._wait import wait

if TYPE_CHECKING:
    from proctor.gateway import Visibility
    from proctor.wire import (
        AgentIn,
        AgentOut,
        HumanIn,
        McpPinOut,
        McpToolIn,
        McpToolsOut,
        Put,
        ResourceIn,
        ResourceOut,
        TaskIn,
        TaskOut,
        ToolIn,
        ToolOut,
    )

OutT = TypeVar("OutT", bound=BaseModel)


class _Unreachable(ProctorError):
    code = "gateway_unreachable"
    http_status = 503


class Client:
    """Talks to a Proctor gateway's ``/v1`` API; satisfies :class:`~proctor.sdk.Checker`.

    :meth:`check` and :meth:`record_outcome` send the agent's task token;
    the admin helpers send ``key`` (an admin or personal API key), which an agent
    never needs. Errors the API answers (``{"code", "message"}``) are raised as
    :class:`~proctor.errors.ProctorError` with the server's code; :meth:`check`
    never raises for a transport failure.
    """

    def __init__(self, url: str, key: str | None = None, *, timeout: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self._key = key
        self._http = httpx.Client(
            base_url=self.url,
            headers={"User-Agent": f"proctor-sdk/{proctor.__version__}"},
            timeout=timeout,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def check(self, token: str, call: ToolCall) -> Decision:
        """Decide one call made under the task token ``token``; a gateway that cannot
        answer means ``deny``.

        A call that cannot even be sent (arguments that are not JSON, an over-long
        tool name) is denied here with code ``invalid_input``, as the in-process
        gateway would deny it.
        """
        request = CheckRequest(agent_id="", task_id="", **_call_fields(call))
        try:
            content = _json(check_to_wire(call).model_dump())
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, error['loc']))}: {error['msg']}" for error in exc.errors()
            )
            return _local_deny(request, "invalid_input", f"the call is not valid: {problems}")
        except InvalidInput as exc:
            return _local_deny(request, exc.code, exc.message)
        try:
            answer = self._call("POST", "/v1/check", content, DecisionOut, credential=token)
        except _Unreachable as exc:
            return _local_deny(request, exc.code, exc.message)
        return decision_from_wire(answer, call)

    def record_outcome(
        self,
        token: str,
        decision_id: str,
        status: OutcomeStatus,
        summary: str = "",
        *,
        label: Label | None = None,
        untrusted: bool | None = None,
        result: object = None,
    ) -> OutcomeOut:
        """Record what happened after a decision, under the token it was checked with;
        raises ``ProctorError`` on failure."""
        body = OutcomeIn(
            decision_id=decision_id,
            status=status,
            summary=summary,
            label=label,
            untrusted=untrusted,
            result=result,
        )
        return self._call(
            "POST", "/v1/outcomes", body.model_dump_json(), OutcomeOut, credential=token
        )

    def wait_for_approval(
        self, token: str, decision_id: str, timeout: timedelta
    ) -> ApprovalRequest:
        """Long-poll the approval request of a held decision for up to ``timeout`` (at
        most a minute); raises ``ProctorError`` when the gateway cannot answer."""
        seconds = max(0.0, timeout.total_seconds())
        path = f"/v1/decisions/{quote(decision_id, safe='')}/wait?timeout_s={seconds:.3f}"
        answer = self._call(
            "POST", path, "", ApprovalOut, credential=token, read_timeout=seconds + 10
        )
        return answer.to_model()

    def wait(
        self,
        decision_id: str,
        *,
        token: str | None = None,
        timeout: timedelta = timedelta(minutes=15),
    ) -> ApprovalRequest:
        """Wait for people to answer a held decision (``token`` defaults to the active
        session's); then call the guarded function again if it was approved."""
        return wait(decision_id, timeout=timeout, checker=self, token=token)

    def visibility(self, token: str, names: Sequence[str]) -> Visibility:
        """Which of ``names`` a policy denies the holder of ``token`` outright
        (``POST /v1/mcp/visibility``, with the task token); raises ``ProctorError``."""
        # Imported here: its module loads the policy engine, which checking calls does not need.
        from proctor.gateway import Visibility

        body = VisibilityIn(tools=list(names)).model_dump_json()
        answer = self._call("POST", "/v1/mcp/visibility", body, VisibilityOut, credential=token)
        return Visibility(answer.agent_id, answer.task_id, frozenset(answer.hidden))

    # -- admin helpers ---------------------------------------------------------------
    # Each imports its shapes from proctor.wire when called: an agent's client (the
    # Claude Code hook, started for every tool call) never loads them.

    def observe_mcp_tools(
        self, server: str, tools: Sequence[McpToolIn], unannotated: str = "require_approval"
    ) -> McpToolsOut:
        """Register and pin an upstream MCP server's tool listing
        (``POST /v1/mcp/servers/{server}/tools``)."""
        from proctor.wire import McpToolsIn, McpToolsOut

        body = McpToolsIn(tools=list(tools), unannotated=unannotated).model_dump_json()
        path = f"/v1/mcp/servers/{quote(server, safe='')}/tools"
        return self._call("POST", path, body, McpToolsOut)

    def accept_mcp_tool(self, server: str, tool: str, reason: str) -> McpPinOut:
        """Accept a changed or unannotated MCP tool
        (``POST /v1/mcp/servers/{server}/tools/{tool}/accept``)."""
        from proctor.wire import McpAcceptIn, McpPinOut

        path = f"/v1/mcp/servers/{quote(server, safe='')}/tools/{quote(tool, safe='')}/accept"
        return self._call("POST", path, McpAcceptIn(reason=reason).model_dump_json(), McpPinOut)

    def put_agent(self, agent: AgentIn) -> Put[AgentOut]:
        """Register or update an agent (``POST /v1/agents``)."""
        from proctor.wire import AgentOut, Put

        return self._call("POST", "/v1/agents", agent.model_dump_json(), Put[AgentOut])

    def put_human(self, human: HumanIn) -> Put[HumanIn]:
        """Add a person to the directory or update them (``PUT /v1/people/{id}``)."""
        from proctor.wire import HumanIn, Put

        path = f"/v1/people/{quote(human.id, safe='')}"
        return self._call("PUT", path, human.model_dump_json(), Put[HumanIn])

    def put_tool(self, tool: ToolIn) -> Put[ToolOut]:
        """Register or update a tool (``POST /v1/tools``)."""
        from proctor.wire import Put, ToolOut

        return self._call("POST", "/v1/tools", tool.model_dump_json(), Put[ToolOut])

    def put_resource(self, resource: ResourceIn) -> Put[ResourceOut]:
        """Register or update a resource (``POST /v1/resources``)."""
        from proctor.wire import Put, ResourceOut

        return self._call("POST", "/v1/resources", resource.model_dump_json(), Put[ResourceOut])

    def create_task(self, task: TaskIn) -> TaskOut:
        """Give an agent a task (``POST /v1/tasks``); ``credential`` holds its task token."""
        from proctor.wire import TaskOut

        return self._call("POST", "/v1/tasks", task.model_dump_json(), TaskOut)

    # -- transport -------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        content: str,
        model: type[OutT],
        *,
        credential: str | None = None,
        read_timeout: float | None = None,
    ) -> OutT:
        """Send ``content``; ``credential`` (a task token) replaces the client's key."""
        headers = {"Content-Type": "application/json"}
        bearer = credential if credential is not None else self._key
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        try:
            timeout = (
                httpx.Timeout(self._http.timeout.connect, read=read_timeout)
                if read_timeout is not None
                else self._http.timeout
            )
            response = self._http.request(
                method, path, content=content, headers=headers, timeout=timeout
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise _Unreachable(
                f"the Proctor gateway at {self.url} could not be reached "
                f"({type(exc).__name__}: {exc}); the call is denied"
            ) from exc
        if response.is_success:
            try:
                return model.model_validate_json(response.content)
            except ValidationError:
                raise _Unreachable(_garbage(self.url, response)) from None
        try:
            error = ErrorOut.model_validate_json(response.content)
        except ValidationError:
            raise _Unreachable(_garbage(self.url, response)) from None
        raise ProctorError(error.message, code=error.code, http_status=response.status_code)


def _json(body: dict[str, Any]) -> str:
    # allow_nan=False: NaN is not JSON, and silently sending null would change the call.
    try:
        return json.dumps(body, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"call arguments must be plain JSON values: {exc}") from exc


def _call_fields(call: ToolCall) -> dict[str, Any]:
    return {"tool": call.tool, "arguments": call.arguments, "resource": call.resource}


def _garbage(url: str, response: httpx.Response) -> str:
    return (
        f"the Proctor gateway at {url} gave an answer that is not Proctor's "
        f"(HTTP {response.status_code}, {response.headers.get('content-type', 'no type')}); "
        "the call is denied"
    )


def _local_deny(request: CheckRequest, code: str, message: str) -> Decision:
    """A deny made here, not by the gateway: it is not in the audit log."""
    return Decision(
        id="local_" + secrets.token_hex(10),
        outcome=Outcome.DENY,
        code=code,
        reasons=(Reason(policy_id=code, text=message, effect=Outcome.DENY),),
        risk=100,
        request=request,
    )
