"""Where the hook puts an allowed call's provenance stamp: ``updatedInput``.

Every allowed ``publish`` and ``send_external`` call carries a provenance stamp
(docs/flow.md). Claude Code lets a ``PreToolUse`` hook that allows a call replace its
input (``hookSpecificOutput.updatedInput``), so the hook appends the stamp's text to
the tool's content argument, by the SDK's rule
(:func:`proctor.sdk._obligations.honour_obligations`). Which argument that is, it is
told per tool: ``PROCTOR_HOOK_STAMPS="mcp__forum__post=body,mail.send=text"`` (a Claude
Code tool name or the inventory name it is checked as; the argument ``proctor_stamp``
means the tool takes the stamp's parts as metadata). A call it cannot stamp is denied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from proctor.model import Decision
from proctor.sdk._obligations import STAMP_PARAMETER, honour_obligations

#: The environment variable naming each stamped tool's content argument.
STAMPS_ENV = "PROCTOR_HOOK_STAMPS"


def parse_stamps(text: str) -> dict[str, str]:
    """``"tool=argument,tool=argument"`` as a mapping; raises ``ValueError`` with a
    sentence saying what is wrong."""
    stamps: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        tool, equals, argument = (part.strip() for part in item.partition("="))
        if not equals or not tool or not argument:
            raise ValueError(f"{STAMPS_ENV}: {item.strip()!r} is not 'tool=argument'")
        if stamps.get(tool, argument) != argument:
            raise ValueError(f"{STAMPS_ENV} names two arguments for {tool}")
        stamps[tool] = argument
    return stamps


def stamp_argument(stamps: Mapping[str, str], tool_name: str, tool: str) -> str | None:
    """The argument configured for a call of the Claude Code tool ``tool_name``, which
    is checked as the inventory tool ``tool``."""
    return stamps.get(tool_name, stamps.get(tool))


def stamped_input(
    decision: Decision,
    tool_input: Mapping[str, Any],
    *,
    label: str,
    argument: str | None,
) -> dict[str, Any] | None:
    """The input an allowed call runs with when honouring ``decision``'s obligations
    changes it, else None (it runs as Claude sent it). Raises
    :class:`~proctor.sdk._obligations.ObligationUnmet` when it cannot be honoured."""
    takes_stamp = argument == STAMP_PARAMETER
    honoured = honour_obligations(
        decision,
        tool_input,
        tool=label,
        stamp_argument=None if takes_stamp else argument,
        takes_stamp=takes_stamp,
    )
    return None if honoured == dict(tool_input) else honoured
