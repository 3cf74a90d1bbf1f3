"""Telling people about approval requests: a Slack-compatible message per event.

The body is what a Slack (or Mattermost, Rocket.Chat…) incoming webhook accepts:
``text`` for notifications and ``blocks`` for the message, plus a ``proctor`` member
with the request as data for receivers that are programs. A new request carries
one-click links for each person who may answer it (when the gateway's public
address is configured); every link is bound to that person, single-use and
short-lived (see ``_links``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from proctor.approvals._links import ApprovalLinks, LinkAction
from proctor.approvals._model import ApprovalEvent, ApprovalRequest
from proctor.approvals._requests import Approvals
from proctor.approvals._rules import may_answer, may_deny
from proctor.notify import DeliveryResult, Notifier
from proctor.people import People, Person

log = logging.getLogger("proctor.approvals")

#: Events people hear about (``used`` and ``signed`` are for the log and the stream).
NOTIFIED_EVENTS = frozenset({"created", "approved", "denied", "expired"})
SUBJECT_PREFIX = "approval:"
_MAX_LINKED_PEOPLE = 10
_MAX_ARGUMENTS_SHOWN = 2500


@dataclass(frozen=True, slots=True)
class LinkSettings:
    """Where one-click links point, and how long they work."""

    public_url: str
    ttl: timedelta


class ApprovalNotifications:
    """Listens to approval events and sends a message for each one people should see."""

    def __init__(
        self,
        approvals: Approvals,
        people: People,
        notifier: Notifier,
        links: ApprovalLinks,
        link_settings: LinkSettings | None,
    ) -> None:
        self._approvals = approvals
        self._people = people
        self._notifier = notifier
        self._links = links
        self._link_settings = link_settings

    def __call__(self, event: ApprovalEvent) -> None:
        if event.kind not in NOTIFIED_EVENTS:
            return
        request = event.request
        links = self._links_for(request) if event.kind == "created" else []
        body = approval_message(event, links)
        self._notifier.send(SUBJECT_PREFIX + request.id, event.kind, body)

    def delivered(self, result: DeliveryResult) -> None:
        """Record in the audit log how a notification about a request ended."""
        if result.subject.startswith(SUBJECT_PREFIX):
            self._approvals.record_notified(result.subject.removeprefix(SUBJECT_PREFIX), result)

    def _links_for(self, request: ApprovalRequest) -> list[tuple[str, LinkAction, str]]:
        """(person, action, url) for every person who may answer ``request``."""
        settings = self._link_settings
        if settings is None:
            return []
        links: list[tuple[str, LinkAction, str]] = []
        for person in self._candidates(request):
            actions: list[LinkAction] = []
            if may_answer(person, request):
                actions.append("approve")
            if may_deny(person, request):
                actions.append("deny")
            for action in actions:
                token = self._links.issue(
                    request.id, person.id, action, ttl=settings.ttl, not_after=request.expires_at
                )
                url = f"{settings.public_url.rstrip('/')}/v1/approval-links/{token}"
                links.append((person.id, action, url))
        return links

    def _candidates(self, request: ApprovalRequest) -> list[Person]:
        named = {request.requester, *(p for p in request.approvers.values() if p)}
        roles = {
            rule.removeprefix("role:") for rule in request.approvers if rule.startswith("role:")
        }
        found: dict[str, Person] = {}
        for person in self._people.list():
            if person.disabled:
                continue
            if person.id in named or any(role.value in roles for role in person.roles):
                found[person.id] = person
            if len(found) >= _MAX_LINKED_PEOPLE:
                break
        return list(found.values())


def approval_message(
    event: ApprovalEvent, links: Iterable[tuple[str, LinkAction, str]] = ()
) -> dict[str, Any]:
    """The Slack-compatible body for ``event``."""
    request = event.request
    headline = _headline(event)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": headline[:150]}},
        {"type": "section", "fields": _fields(request)},
        {"type": "section", "text": _mrkdwn("*Why it was held*\n" + _reasons(request))},
        {"type": "section", "text": _mrkdwn("*Arguments*\n```" + _arguments(request) + "```")},
    ]
    if event.kind != "created":
        said = f"*{event.kind.capitalize()}*"
        if event.actor:
            said += f" by {_escape(event.actor)}"
        if event.reason:
            said += f": {_escape(event.reason)}"
        blocks.append({"type": "section", "text": _mrkdwn(said)})
    buttons = [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": f"{action.capitalize()} as {person}"[:75]},
            "url": url,
            **({"style": "primary"} if action == "approve" else {"style": "danger"}),
        }
        for person, action, url in links
    ]
    if buttons:
        blocks.append({"type": "actions", "elements": buttons[:25]})
    blocks.append({"type": "context", "elements": [_mrkdwn(_footer(request))]})
    return {
        "text": headline,
        "blocks": blocks,
        "proctor": {"event": f"approval.{event.kind}", "approval": request_record(request)},
    }


def request_record(request: ApprovalRequest) -> dict[str, Any]:
    """The request as plain JSON (for machine receivers, the API and the CLI)."""
    return {
        "id": request.id,
        "decision_id": request.decision_id,
        "status": request.status.value,
        "agent": request.agent_id,
        "task": request.task_id,
        "requester": request.requester,
        "purpose": request.purpose,
        "chain": list(request.chain),
        "tool": request.tool,
        "arguments": dict(request.arguments),
        "resource": request.resource,
        "reasons": [dict(reason) for reason in request.reasons],
        "risk": request.risk,
        "approvers": dict(request.approvers),
        "waiting_for": list(request.waiting_for),
        "signoffs": [
            {"rule": s.rule, "by": s.by, "at": s.at.isoformat(), "reason": s.reason}
            for s in request.signoffs
        ],
        "scope": request.scope.value,
        "call_hash": request.call_hash,
        "created_at": request.created_at.isoformat(),
        "expires_at": request.expires_at.isoformat(),
        "decided_at": request.decided_at.isoformat() if request.decided_at else None,
        "decided_by": request.decided_by,
        "decision_reason": request.decision_reason,
    }


def _headline(event: ApprovalEvent) -> str:
    request = event.request
    who = " → ".join(request.chain)
    verb = {
        "created": "Approval needed",
        "approved": "Approved",
        "denied": "Denied",
        "expired": "Expired (denied)",
    }[event.kind]
    return f"{verb}: {request.tool} by {who} (risk {request.risk})"


def _fields(request: ApprovalRequest) -> list[dict[str, str]]:
    waiting = ", ".join(
        f"{rule} ({person})" if person else rule
        for rule, person in request.approvers.items()
        if rule in request.waiting_for
    )
    pairs = [
        ("Agent", request.agent_id),
        ("On behalf of", request.requester),
        ("Task", f"{request.task_id}: {request.purpose}"),
        ("Chain", " → ".join(request.chain)),
        ("Tool", request.tool),
        ("Resource", request.resource or "-"),
        ("Waiting for", waiting or "-"),
        ("Expires", f"{request.expires_at:%Y-%m-%d %H:%M} UTC"),
    ]
    return [_mrkdwn(f"*{name}*\n{_escape(value)[:500]}") for name, value in pairs]


def _reasons(request: ApprovalRequest) -> str:
    lines = [f"• {_escape(str(reason.get('text', '')))}" for reason in request.reasons]
    return "\n".join(lines) or "-"


def _arguments(request: ApprovalRequest) -> str:
    text = json.dumps(dict(request.arguments), indent=2, ensure_ascii=False, sort_keys=True)
    if len(text) > _MAX_ARGUMENTS_SHOWN:
        text = text[:_MAX_ARGUMENTS_SHOWN] + "\n… (cut short; the full call is in the request)"
    return _escape(text.replace("```", "'''"))


def _footer(request: ApprovalRequest) -> str:
    return (
        f"request {request.id} · decision {request.decision_id} · "
        f"`proctor approvals show {request.id}`"
    )


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text[:3000]}


def _escape(text: str) -> str:
    """Slack's escaping: the three characters its markup gives meaning to."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
