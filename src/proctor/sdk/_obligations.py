"""Honouring an allowed decision's obligations before the guarded function runs.

The rule for ``provenance_stamp`` (allowed ``publish`` and ``send_external`` calls):

- ``@guarded(..., stamp="body")``: the stamp's text is appended to the string
  argument ``body``, as its own paragraph (``body + "\\n\\n" + text``). The text
  comes from the gateway's ``flow.stamp_template`` setting.
- a guarded function with a ``proctor_stamp`` parameter receives the stamp's parts
  (``agent``, ``on_behalf_of``, ``task``, ``decision_id``, ``reviewed_by``,
  ``text``) as a dict: for a tool that carries them as metadata.

A guard that can do neither fails closed: the call does not run and
:class:`~proctor.errors.ActionDenied` is raised with code ``obligation_unmet``, as
for any obligation kind this SDK does not know. ``untrusted_content`` is
informational and is logged.
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

log = logging.getLogger("proctor.sdk")


class ObligationUnmet(Exception):
    """An allowed call carries an obligation this guard cannot honour."""


def honour(
    decision: Decision,
    bound: inspect.BoundArguments,
    *,
    tool: str,
    stamp: str | None,
) -> None:
    """Apply ``decision``'s obligations to ``bound`` in place; raise
    :class:`ObligationUnmet` for one that cannot be applied."""
    for obligation in decision.obligations:
        if obligation.kind == STAMP:
            _apply_stamp(obligation, bound, tool=tool, stamp=stamp)
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


def _apply_stamp(
    obligation: Obligation, bound: inspect.BoundArguments, *, tool: str, stamp: str | None
) -> None:
    params: Mapping[str, Any] = obligation.params
    text = str(params.get("text", ""))
    applied = False
    if STAMP_PARAMETER in bound.signature.parameters:
        bound.arguments[STAMP_PARAMETER] = dict(params)
        applied = True
    if stamp is not None:
        content = bound.arguments.get(stamp)
        if not isinstance(content, str):
            raise ObligationUnmet(
                f"{tool} must carry a provenance stamp in its argument {stamp!r}, "
                f"which is {type(content).__name__}, not a string"
            )
        bound.arguments[stamp] = f"{content}\n\n{text}" if content else text
        applied = True
    if not applied:
        raise ObligationUnmet(
            f"{tool} was allowed on condition its content carries a provenance stamp, and "
            f"the guard has nowhere to put it: pass stamp='<argument>' to @guarded, or give "
            f"the function a {STAMP_PARAMETER} parameter"
        )
