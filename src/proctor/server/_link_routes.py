"""One-click approval links: ``GET`` shows the call and a form, ``POST`` decides, once.

The link itself is the credential (signed, single-use, short-lived, bound to one
person; see ``proctor.approvals._links``). Opening it decides nothing, because chat
apps and mail scanners open links on their own; only the form's POST spends it.
The pages carry no scripts, leak the link to nobody (``Referrer-Policy:
no-referrer``) and are never cached.
"""

from __future__ import annotations

import html
import json
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse

from proctor.approvals import ApprovalRequest, LinkClaims
from proctor.errors import InvalidInput, ProctorError
from proctor.server._context import Context

router = APIRouter(prefix="/v1/approval-links", tags=["approvals"], include_in_schema=True)

_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
}
_MAX_ARGUMENTS = 4000


@router.get("/{token}", response_class=HTMLResponse)
def open_link(token: str, context: Context) -> HTMLResponse:
    """The held call and a form to confirm; nothing is decided by opening the link."""
    runtime = context.runtime
    try:
        claims = runtime.approval_links.peek(token)
        request = runtime.approvals.get(claims.approval_id)
    except ProctorError as exc:
        return _page(
            "This link cannot be used", f"<p>{_e(exc.message)}</p>", status=exc.http_status
        )
    if request.decided:
        body = f"<p>This request is already {_e(request.status.value)}.</p>"
        return _page("Already answered", body, status=409)
    return _page(f"{claims.action.capitalize()} {request.tool}?", _form(claims, request))


@router.post("/{token}", response_class=HTMLResponse)
def use_link(
    token: str, context: Context, reason: Annotated[str, Form(max_length=2000)] = ""
) -> HTMLResponse:
    """Spend the link: approve or deny as the person it names, with their reason."""
    runtime = context.runtime
    try:
        if not reason.strip():
            raise InvalidInput("say why: a decision needs a reason", code="invalid_reason")
        claims = runtime.approval_links.redeem(token)
        person = runtime.people.get(claims.person_id)
        if claims.action == "approve":
            request = runtime.approvals.approve(claims.approval_id, person, reason)
        else:
            request = runtime.approvals.deny(claims.approval_id, person, reason)
    except ProctorError as exc:
        title = "Not done"
        return _page(title, f"<p>{_e(exc.message)} ({_e(exc.code)})</p>", status=exc.http_status)
    said = "approved" if claims.action == "approve" else "denied"
    status = request.status.value
    waiting = ", ".join(request.waiting_for)
    more = f" It still waits for: {_e(waiting)}." if request.waiting_for else ""
    body = (
        f"<p>You {said} {_e(request.tool)} for {_e(request.agent_id)}; "
        f"the request is now {_e(status)}.{more}</p>"
    )
    return _page("Recorded", body)


def _form(claims: LinkClaims, request: ApprovalRequest) -> str:
    arguments = json.dumps(dict(request.arguments), indent=2, ensure_ascii=False, sort_keys=True)
    if len(arguments) > _MAX_ARGUMENTS:
        arguments = arguments[:_MAX_ARGUMENTS] + "\n… (cut short)"
    reasons = "".join(f"<li>{_e(str(r.get('text', '')))}</li>" for r in request.reasons)
    rows = [
        ("You act as", claims.person_id),
        ("Agent", " → ".join(request.chain)),
        ("On behalf of", request.requester),
        ("Task", f"{request.task_id}: {request.purpose}"),
        ("Tool", request.tool),
        ("Resource", request.resource or "-"),
        ("Risk", str(request.risk)),
        ("Expires", f"{request.expires_at:%Y-%m-%d %H:%M} UTC"),
    ]
    table = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    verb = claims.action.capitalize()
    return (
        f"<table>{table}</table><h2>Why it was held</h2><ul>{reasons}</ul>"
        f"<h2>Arguments</h2><pre>{_e(arguments)}</pre>"
        '<form method="post"><label>Reason (recorded in the audit log)<br>'
        '<textarea name="reason" required maxlength="2000" rows="3" cols="60"></textarea>'
        f'</label><br><button type="submit">{verb}</button></form>'
    )


def _page(title: str, body: str, *, status: int = 200) -> HTMLResponse:
    document = (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>Proctor: {_e(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:50em;margin:2em auto}"
        "th{text-align:left;padding-right:1em}pre{background:#f4f4f4;padding:1em}</style>"
        f"</head><body><h1>{_e(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(document, status_code=status, headers=_HEADERS)


def _e(text: str) -> str:
    return html.escape(text, quote=True)
