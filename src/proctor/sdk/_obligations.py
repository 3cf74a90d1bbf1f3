"""Honouring an allowed decision's obligations before the guarded call runs.

One rule, shared by ``@guarded``, the framework adapters and the Claude Code hook. For
``provenance_stamp`` (allowed ``publish`` and ``send_external`` calls):

- a stamp argument (``@guarded(..., stamp="body")``, ``guard_tool(..., stamp="body")``,
  ...): the stamp's text is appended to that string argument, as its own paragraph
  (``body + "\\n\\n" + text``). The text comes from the gateway's
  ``flow.stamp_template`` setting.
- a tool with a ``proctor_stamp`` parameter receives the stamp's parts (``agent``,
  ``on_behalf_of``, ``task``, ``decision_id``, ``reviewed_by``, ``text``) as a dict:
  for a tool that carries them as metadata.

A guard that can do neither fails closed: the call does not run and is refused with
code ``obligation_unmet``, as for any obligation kind this SDK does not know.
``untrusted_content`` is informational and is logged.

``proctor_stamp`` is the guard's to fill in, never the caller's: a value the caller (or
the model) put there is dropped, and the stamp's parts take its place when there is
a stamp to give.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from typing import Any

from proctor.model import Decision, Obligation

#: The keyword through which a guarded function receives the stamp as metadata.
STAMP_PARAMETER = "proctor_stamp"
STAMP = "provenance_stamp"
UNTRUSTED_CONTENT = "untrusted_content"
#: The reason code of a call refused because an obligation could not be honoured.
OBLIGATION_UNMET = "obligation_unmet"

log = logging.getLogger("proctor.sdk")


class ObligationUnmet(Exception):
    """An allowed call carries an obligation this guard cannot honour."""


def honour_obligations(
    decision: Decision,
    arguments: Mapping[str, Any],
    *,
    tool: str,
    stamp_argument: str | None = None,
    takes_stamp: bool = False,
) -> dict[str, Any]:
    """The arguments to run an allowed call with: ``arguments`` with ``decision``'s
    obligations applied (the caller's mapping is not changed).

    ``stamp_argument`` names the string argument a provenance stamp's text is appended
    to; ``takes_stamp`` says the tool has a ``proctor_stamp`` parameter for its parts.
    Raises :class:`ObligationUnmet` for an obligation that cannot be applied.
    """
    honoured = {name: value for name, value in arguments.items() if name != STAMP_PARAMETER}
    for obligation in decision.obligations:
        if obligation.kind == STAMP:
            _apply_stamp(obligation, honoured, tool, stamp_argument, takes_stamp)
        elif obligation.kind == UNTRUSTED_CONTENT:
            log.warning(
                "%s runs with arguments %s carrying untrusted content: %s",
                tool,
                ", ".join(obligation.params.get("arguments", [])),
                obligation.params.get("why", ""),
            )
        else:
            raise ObligationUnmet(
                f"{tool} was allowed with an obligation this SDK does not know "
                f"({obligation.kind!r}); upgrade the SDK or remove the policy's @obligation"
            )
    return honoured


def honour(
    decision: Decision,
    bound: inspect.BoundArguments,
    *,
    tool: str,
    stamp: str | None,
) -> None:
    """Apply ``decision``'s obligations to ``bound`` in place (see
    :func:`honour_obligations`); raise :class:`ObligationUnmet` for one that cannot be
    applied."""
    honoured = honour_obligations(
        decision,
        bound.arguments,
        tool=tool,
        stamp_argument=stamp,
        takes_stamp=STAMP_PARAMETER in bound.signature.parameters,
    )
    bound.arguments.clear()
    bound.arguments.update(honoured)


def _apply_stamp(
    obligation: Obligation,
    arguments: dict[str, Any],
    tool: str,
    stamp_argument: str | None,
    takes_stamp: bool,
) -> None:
    params: Mapping[str, Any] = obligation.params
    text = str(params.get("text", ""))
    if takes_stamp:
        arguments[STAMP_PARAMETER] = dict(params)
    if stamp_argument is not None:
        if stamp_argument not in arguments:
            raise ObligationUnmet(
                f"{tool} must carry a provenance stamp in its argument {stamp_argument!r}, "
                "which the call does not have"
            )
        content = arguments[stamp_argument]
        if not isinstance(content, str):
            raise ObligationUnmet(
                f"{tool} must carry a provenance stamp in its argument {stamp_argument!r}, "
                f"which is {type(content).__name__}, not a string"
            )
        arguments[stamp_argument] = f"{content}\n\n{text}" if content else text
    elif not takes_stamp:
        raise ObligationUnmet(
            f"{tool} was allowed on condition its content carries a provenance stamp, and "
            f"the guard has nowhere to put it: pass stamp='<argument>' when guarding it, "
            f"or give the tool a {STAMP_PARAMETER} parameter"
        )
