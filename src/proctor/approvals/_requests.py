"""Approval requests: opened when a call is held, decided by the right people, used once.

Every change happens in one write transaction that first re-reads the row, so of
two people deciding at once exactly one wins, and a single-use approval allows
exactly one call. Every change is appended to the audit log (kind ``approval``)
and told to listeners (notifiers, the live stream, waiting agents).
"""

from __future__ import annotations

import builtins
import logging
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from proctor.approvals._model import (
    ApprovalEvent,
    ApprovalListener,
    ApprovalRequest,
    ApprovalScope,
    ApprovalStatus,
    HeldCall,
    Signoff,
)
from proctor.approvals._rows import from_row, to_row
from proctor.approvals._rules import may_deny, may_sign, not_an_approver
from proctor.approvals._tables import approval_requests
from proctor.audit import AuditEntry, AuditLog, StoredRow
from proctor.errors import Conflict, Forbidden, InvalidInput, NotFound
from proctor.notify import DeliveryResult
from proctor.people import Person
from proctor.store import Database, PreparedSelect, utcnow

log = logging.getLogger("proctor.approvals")

DEFAULT_APPROVAL_TTL = timedelta(minutes=15)
MAX_REASON = 2000
_WAIT_SLICE_S = 0.5


#: What a person could not do of a held call themselves (empty: nothing), in words.
Reach = Callable[[Person, ApprovalRequest], str]

_STANDING = (
    ApprovalStatus.PENDING.value,
    ApprovalStatus.APPROVED.value,
    ApprovalStatus.DENIED.value,
)
# Built once: a held call is checked against it on every check (building the
# expression each time cost more than running it).
_STANDING_QUERY = (
    sa.select(approval_requests)
    .where(
        approval_requests.c.task_id == sa.bindparam("task_id"),
        sa.or_(
            sa.and_(
                approval_requests.c.call_hash == sa.bindparam("call_hash"),
                # Not ``in_``: its expanding parameter is re-rendered on every run.
                sa.or_(*(approval_requests.c.status == status for status in _STANDING)),
            ),
            sa.and_(
                approval_requests.c.scope == ApprovalScope.TASK_TOOL.value,
                approval_requests.c.status == ApprovalStatus.APPROVED.value,
                approval_requests.c.agent_id == sa.bindparam("agent_id"),
                approval_requests.c.tool == sa.bindparam("tool"),
            ),
        ),
    )
    .order_by(approval_requests.c.created_at)
)


@dataclass(frozen=True, slots=True)
class CallStanding:
    """What people have said about one call so far (see :meth:`Approvals.standing_for`)."""

    usable: ApprovalRequest | None
    denied: ApprovalRequest | None
    pending: ApprovalRequest | None


class Approvals:
    """The register of approval requests."""

    def __init__(
        self,
        database: Database,
        audit: AuditLog,
        *,
        clock: Callable[[], datetime] = utcnow,
        reach: Reach | None = None,
    ) -> None:
        self._db = database
        self._audit = audit
        self._clock = clock
        self._reach = reach
        self._listeners: list[ApprovalListener] = []
        self._listeners_lock = threading.Lock()
        self._changed = threading.Condition()
        self._standing = PreparedSelect(database, _STANDING_QUERY)

    # -- listeners ---------------------------------------------------------------------

    def subscribe(self, listener: ApprovalListener) -> Callable[[], None]:
        """Call ``listener`` with every event of this process; returns an unsubscribe."""
        with self._listeners_lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._listeners_lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _emit(self, event: ApprovalEvent) -> None:
        with self._listeners_lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                # A broken notifier must not undo or block a decision already made.
                log.exception("approval listener failed on %s %s", event.kind, event.request.id)
        with self._changed:
            self._changed.notify_all()

    # -- opening and finding -------------------------------------------------------------

    def open(self, held: HeldCall) -> ApprovalRequest:
        """A pending request for ``held``, stored (audited as ``approval.created``)."""
        request = self.prepare(held)
        self.store(request)
        return request

    def prepare(self, held: HeldCall) -> ApprovalRequest:
        """The pending request ``held`` needs, not stored yet (see :meth:`store`)."""
        if not held.approvers:
            raise InvalidInput("a held call needs at least one approver rule")
        now = self._clock()
        return ApprovalRequest(
            id="apr_" + secrets.token_hex(10),
            decision_id=held.decision_id,
            status=ApprovalStatus.PENDING,
            call_hash=held.call_hash,
            agent_id=held.agent_id,
            task_id=held.task_id,
            requester=held.requester,
            purpose=held.purpose,
            chain=held.chain,
            tool=held.tool,
            arguments=held.arguments,
            resource=held.resource,
            reasons=held.reasons,
            risk=held.risk,
            approvers=dict(held.approvers),
            signoffs=(),
            scope=ApprovalScope.CALL,
            created_at=now,
            expires_at=now + timedelta(seconds=held.ttl_s),
            updated_at=now,
        )

    def store(
        self, request: ApprovalRequest, *, then: tuple[str, Mapping[str, Any]] | None = None
    ) -> list[AuditEntry]:
        """Store a prepared request, its ``approval.created`` entry and ``then`` (the held
        decision's own entry) in one transaction, then tell listeners; the entries.

        All of them are committed or none is (:class:`StoreError`): a held decision is
        never recorded pointing at a request that does not exist, nor a request left
        behind by a decision that could not be recorded. Once this returns, anyone
        reading the store (an approver's CLI in another process) finds the request.
        """
        created = ("approval", _audit_body(request, "approval.created", "gateway", ""))
        entries = self._audit.append_all(
            [created] if then is None else [created, then],
            rows=[StoredRow(approval_requests, to_row(request))],
        )
        self._emit(ApprovalEvent("created", request))
        return entries

    def standing_for(self, task_id: str, call_hash: str, agent_id: str, tool: str) -> CallStanding:
        """Where people stand on this call, in one read of the store: an approval that
        lets it go ahead (for this exact call and not used yet, or a widening to this
        tool for this agent on this task), a denial of this exact call, and the live
        pending request for it."""
        params = {"task_id": task_id, "call_hash": call_hash, "agent_id": agent_id, "tool": tool}
        found = [from_row(row) for row in self._standing.rows(params)]
        now = self._clock()
        exact = [r for r in found if r.call_hash == call_hash]
        approved = [r for r in found if r.status is ApprovalStatus.APPROVED]
        usable = [r for r in approved if r.call_hash == call_hash] or approved
        return CallStanding(
            usable=usable[0] if usable else None,
            denied=next((r for r in exact if r.status is ApprovalStatus.DENIED), None),
            pending=next(
                (r for r in exact if r.status is ApprovalStatus.PENDING and not r.is_expired(now)),
                None,
            ),
        )

    def get(self, approval_id: str) -> ApprovalRequest:
        """The request, or :class:`NotFound` (``unknown_approval``)."""
        self.expire_due()
        found = self._select(
            sa.select(approval_requests).where(approval_requests.c.id == approval_id)
        )
        if not found:
            raise NotFound(f"no approval request {approval_id!r}", code="unknown_approval")
        return found[0]

    def for_decision(self, decision_id: str) -> ApprovalRequest | None:
        """The request a held decision opened, if any."""
        self.expire_due()
        found = self._select(
            sa.select(approval_requests).where(approval_requests.c.decision_id == decision_id)
        )
        return found[0] if found else None

    def list(
        self, *, status: ApprovalStatus | None = None, limit: int = 100
    ) -> builtins.list[ApprovalRequest]:
        """Requests, newest first (pending ones that ran out are marked expired first)."""
        self.expire_due()
        query = sa.select(approval_requests).order_by(approval_requests.c.created_at.desc())
        if status is not None:
            query = query.where(approval_requests.c.status == status.value)
        return self._select(query.limit(max(1, min(limit, 1000))))

    def changed_since(
        self, moment: datetime, *, limit: int = 500
    ) -> builtins.list[ApprovalRequest]:
        """Requests that changed at or after ``moment``, oldest change first (for streams:
        they see changes made by every process sharing the store)."""
        self.expire_due()
        table = approval_requests
        query = (
            sa.select(table)
            .where(table.c.updated_at >= moment)
            .order_by(table.c.updated_at, table.c.id)
            .limit(limit)
        )
        return self._select(query)

    # -- deciding ----------------------------------------------------------------------

    def approve(
        self,
        approval_id: str,
        person: Person,
        reason: str,
        *,
        scope: ApprovalScope = ApprovalScope.CALL,
    ) -> ApprovalRequest:
        """Sign off every rule of the request ``person`` may answer for.

        The request is approved once every rule is signed; a widening
        (``TASK_TOOL``) holds only if every sign-off asked for it.
        """
        reason = _reason(reason)

        def change(request: ApprovalRequest, now: datetime) -> ApprovalRequest:
            rules = [r for r in request.waiting_for if may_sign(person, r, request)]
            if not rules:
                raise Forbidden(not_an_approver(person, request), code="not_an_approver")
            lacking = self._reach(person, request) if self._reach is not None else ""
            if lacking:
                raise Forbidden(
                    f"person:{person.id} may not lift this hold: an approver can only allow "
                    f"what they could do themselves, and {lacking}",
                    code="approver_lacks_access",
                )
            signed = request.signoffs + tuple(
                Signoff(rule, person.id, now, reason, scope) for rule in rules
            )
            updated = replace(request, signoffs=signed)
            if updated.waiting_for:
                return updated
            widened = all(s.scope is ApprovalScope.TASK_TOOL for s in signed)
            return replace(
                updated,
                status=ApprovalStatus.APPROVED,
                scope=ApprovalScope.TASK_TOOL if widened else ApprovalScope.CALL,
                decided_at=now,
                decided_by=person.id,
                decision_reason=reason,
            )

        _require_person(person)
        before, after = self._change(approval_id, change)
        kind = "approved" if after.status is ApprovalStatus.APPROVED else "signed"
        details = {"scope": scope.value, "rules": list(before.waiting_for)}
        self._record(after, f"approval.{kind}", f"person:{person.id}", reason, details)
        self._emit(ApprovalEvent(kind, after, f"person:{person.id}", reason))
        return after

    def deny(self, approval_id: str, person: Person, reason: str) -> ApprovalRequest:
        """Deny the request: anyone who may answer it, its requester or an admin may
        (each holding the role ``approver`` or ``admin``)."""
        reason = _reason(reason)

        def change(request: ApprovalRequest, now: datetime) -> ApprovalRequest:
            if not may_deny(person, request):
                raise Forbidden(not_an_approver(person, request), code="not_an_approver")
            return replace(
                request,
                status=ApprovalStatus.DENIED,
                decided_at=now,
                decided_by=person.id,
                decision_reason=reason,
            )

        _require_person(person)
        _, after = self._change(approval_id, change)
        self._record(after, "approval.denied", f"person:{person.id}", reason)
        self._emit(ApprovalEvent("denied", after, f"person:{person.id}", reason))
        return after

    def record_notified(self, approval_id: str, result: DeliveryResult) -> None:
        """Audit how a notification about the request ended (``approval.notified``)."""
        try:
            request = self.get(approval_id)
        except NotFound:
            log.warning("notification %s is about an unknown request", result.delivery_id)
            return
        details = {
            "event": result.event,
            "delivery_id": result.delivery_id,
            "delivered": result.delivered,
            "attempts": result.attempts,
            "status_code": result.status_code,
        }
        reason = "" if result.delivered else (result.error or "not delivered")[:300]
        self._record(request, "approval.notified", "notifier", reason, details)

    def use(self, approval_id: str, decision_id: str) -> bool:
        """Spend a single-use approval on the call it allowed; False if already spent.

        A widened approval (``TASK_TOOL``) is not spent. The conditional update is
        what makes "exactly once" hold across threads and processes.
        """
        now = self._clock()
        with self._db.begin() as connection:
            done = connection.execute(
                sa.update(approval_requests)
                .where(
                    approval_requests.c.id == approval_id,
                    approval_requests.c.status == ApprovalStatus.APPROVED.value,
                    approval_requests.c.scope == ApprovalScope.CALL.value,
                )
                .values(status=ApprovalStatus.USED.value, used_at=now, updated_at=now)
            )
        if not done.rowcount:
            request = self.get(approval_id)
            return request.status is ApprovalStatus.APPROVED
        request = self.get(approval_id)
        self._record(request, "approval.used", "gateway", "", {"by_decision": decision_id})
        self._emit(ApprovalEvent("used", request))
        return True

    def expire_due(self) -> builtins.list[ApprovalRequest]:
        """Mark pending requests past their expiry as expired, and audit each one.

        Called before every read and by the server's sweeper, so a request that ran
        out while no process was running is recorded as expired on the next start.
        """
        now = self._clock()
        query = sa.select(approval_requests).where(
            approval_requests.c.status == ApprovalStatus.PENDING.value,
            approval_requests.c.expires_at <= now,
        )
        expired: builtins.list[ApprovalRequest] = []
        for request in self._select(query):
            with self._db.begin() as connection:
                done = connection.execute(
                    sa.update(approval_requests)
                    .where(
                        approval_requests.c.id == request.id,
                        approval_requests.c.status == ApprovalStatus.PENDING.value,
                    )
                    .values(status=ApprovalStatus.EXPIRED.value, decided_at=now, updated_at=now)
                )
            if done.rowcount:
                gone = replace(
                    request, status=ApprovalStatus.EXPIRED, decided_at=now, updated_at=now
                )
                self._record(gone, "approval.expired", "gateway", "nobody answered in time")
                self._emit(ApprovalEvent("expired", gone))
                expired.append(gone)
        return expired

    def wait(self, approval_id: str, timeout: timedelta) -> ApprovalRequest:
        """The request once it is decided or expired, or as it is when ``timeout`` ends.

        Long-polls: woken at once by a decision in this process, and re-reading the
        store every half second for decisions made by another process.
        """
        deadline = self._clock() + timeout
        while True:
            request = self.get(approval_id)
            remaining = (deadline - self._clock()).total_seconds()
            if request.decided or remaining <= 0:
                return request
            with self._changed:
                self._changed.wait(min(_WAIT_SLICE_S, remaining))

    # -- internals -----------------------------------------------------------------------

    def _change(
        self, approval_id: str, change: Callable[[ApprovalRequest, datetime], ApprovalRequest]
    ) -> tuple[ApprovalRequest, ApprovalRequest]:
        self.expire_due()
        now = self._clock()
        with self._db.begin() as connection:
            row = (
                connection.execute(
                    sa.select(approval_requests)
                    .where(approval_requests.c.id == approval_id)
                    .with_for_update()
                )
                .mappings()
                .first()
            )
            if row is None:
                raise NotFound(f"no approval request {approval_id!r}", code="unknown_approval")
            before = from_row(row)
            if before.status is not ApprovalStatus.PENDING:
                raise Conflict(
                    f"approval request {approval_id} is already {before.status.value}"
                    + (f" (by {before.decided_by})" if before.decided_by else ""),
                    code="approval_already_decided",
                )
            if before.is_expired(now):
                raise Conflict(
                    f"approval request {approval_id} expired at {before.expires_at}",
                    code="approval_expired",
                )
            after = replace(change(before, now), updated_at=now)
            values = to_row(after)
            del values["id"]
            connection.execute(
                sa.update(approval_requests)
                .where(approval_requests.c.id == approval_id)
                .values(**values)
            )
        return before, after

    def _select(self, query: sa.Select[Any]) -> builtins.list[ApprovalRequest]:
        with self._db.connect() as connection:
            return [from_row(row) for row in connection.execute(query).mappings()]

    def _record(
        self,
        request: ApprovalRequest,
        action: str,
        actor: str,
        reason: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        self._audit.append("approval", _audit_body(request, action, actor, reason, details))


def _audit_body(
    request: ApprovalRequest,
    action: str,
    actor: str,
    reason: str,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "action": action,
        "approval_id": request.id,
        "decision_id": request.decision_id,
        "actor": actor,
        "reason": reason,
        "status": request.status.value,
        "agent": request.agent_id,
        "task": request.task_id,
        "tool": request.tool,
        "waiting_for": list(request.waiting_for),
        "details": details or {},
    }


def _require_person(person: Person) -> None:
    if person.disabled:
        raise Forbidden(f"person:{person.id} is disabled", code="person_disabled")


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidInput(
            "say why: a decision on an approval needs a reason", code="invalid_reason"
        )
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"a reason is at most {MAX_REASON} characters", code="invalid_reason")
    return reason
