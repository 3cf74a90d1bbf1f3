"""The replay as people read it: when, who, what, then the decision and its reasons.

Every line starts with a clock (UTC, to the millisecond); a call's decision, reasons
and approvers are indented under it. A timeline without a console prints nothing (the
tests replay the same scenarios silently).
"""

from __future__ import annotations

from datetime import datetime

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from proctor.approvals import ApprovalRequest
from proctor.demo._story import Scenario
from proctor.model import Decision, Outcome
from proctor.monitor import Alert
from proctor.store import utcnow

_STYLE = {Outcome.ALLOW: "green", Outcome.REQUIRE_APPROVAL: "yellow", Outcome.DENY: "red"}
#: The clock column (``12:34:56.789`` and two spaces); what follows wraps under itself.
_MARGIN = 14
_BULLET = "  · "
_BULLET_WIDTH = len(_BULLET)
_STAMP = "provenance_stamp"
_UNTRUSTED_CONTENT = "untrusted_content"


class Timeline:
    """Prints a replay to ``console``; prints nothing when ``console`` is None."""

    def __init__(self, console: Console | None):
        self.console = console

    def header(self, number: int, count: int, scenario: Scenario) -> None:
        if self.console is None:
            return
        self.console.print()
        self.console.rule(f"[bold]{number}/{count}  {escape(scenario.title)}[/bold]")
        self.console.print(escape(scenario.story), highlight=False)
        self.console.print()

    def event(self, actor: str, what: str) -> None:
        """Something a person (or Proctor, or the agent) did."""
        self._line(_clock(utcnow()), f"{escape(actor)} {escape(what)}")

    def text(self, text: str) -> None:
        """A block shown as it is (a policy's Cedar text, say), indented."""
        for line in text.strip("\n").splitlines():
            self._line("", f"[dim]{escape(line)}[/dim]")

    def call(self, agent: str, requester: str, what: str, tool: str, decision: Decision) -> None:
        """A call the agent attempted, the decision and why."""
        style = _STYLE[decision.outcome]
        self._line(
            _clock(decision.decided_at),
            f"[bold]{escape(agent)}[/bold] for {escape(requester)} {escape(what)} "
            f"[dim]({escape(tool)})[/dim]",
        )
        self._line("", f"→ [{style}]{decision.outcome}[/{style}] [dim]{decision.id}[/dim]")
        for reason in decision.reasons:
            policy = escape(f"[{reason.policy_id}]")
            self._point(f"{escape(reason.text)} [dim]{policy}[/dim]")
        for obligation in decision.obligations:
            if obligation.kind == _STAMP:
                stamp = str(obligation.params.get("text", ""))
                self._point(f"the published text is stamped: {escape(stamp)}")
            elif obligation.kind == _UNTRUSTED_CONTENT:
                why = str(obligation.params.get("why", ""))
                self._point(f"flagged, not held: {escape(why)}")

    def alert(self, alert: Alert) -> None:
        """An alert the monitor raised, to the agent's owner, with the calls behind it."""
        owner = alert.evidence.get("owner")
        to = f"{owner}, the owner of {alert.agent}" if owner else f"the owner of {alert.agent}"
        self._line(
            _clock(alert.created_at),
            f"[bold]proctor[/bold] alerts {escape(to)}: [red]{escape(alert.summary)}[/red] "
            f"[dim]{alert.id}[/dim]",
        )
        for call in alert.evidence.get("calls", ()):
            at = datetime.fromisoformat(str(call["at"]))
            self._point(f"{_clock(at)} {escape(str(call['tool']))} → {call['outcome']}")
        self._point(
            f"{alert.severity} severity; kept with the alerts and in the audit log, and sent "
            "to the webhook when one is configured"
        )

    def approvers(self, request: ApprovalRequest) -> None:
        waiting = ", ".join(
            f"{who} ({rule.replace('_', ' ')})" if who else rule
            for rule, who in request.approvers.items()
        )
        self._point(f"waits for {escape(waiting)}: {request.id}")

    def _point(self, markup: str) -> None:
        """One of a decision's reasons (or approvers, or obligations), under it."""
        self._line("", markup, bullet=True)

    def _line(self, clock: str, markup: str, *, bullet: bool = False) -> None:
        """``markup`` after the clock column; a long line wraps under its own start."""
        if self.console is None:
            return
        row = Table.grid()
        row.add_column(width=_MARGIN + (_BULLET_WIDTH if bullet else 0), no_wrap=True)
        row.add_column()
        prefix = f"{clock:<{_MARGIN}}" + (_BULLET if bullet else "")
        row.add_row(prefix, Text.from_markup(markup))
        self.console.print(row, highlight=False)


def _clock(moment: datetime | None) -> str:
    return moment.strftime("%H:%M:%S.%f")[:-3] if moment else ""
