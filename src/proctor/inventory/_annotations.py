"""From MCP tool annotations to an action class: the documented rule.

MCP servers describe tools with hints (``readOnlyHint``, ``destructiveHint``,
``idempotentHint``, ``openWorldHint``; the MCP specification's defaults apply when a
hint is missing). When a tool is registered without an explicit action class, its
class follows from the hints, first rule that applies:

1. ``readOnlyHint`` true → ``read`` (with ``openWorldHint`` also true, what it returns
   comes from outside the organization: its output is untrusted);
2. ``destructiveHint`` true (the specification's default for a tool that is not
   read-only) → ``delete``;
3. ``openWorldHint`` true (the default) → ``send_external``;
4. otherwise → ``write``.

``idempotentHint`` changes nothing: repeating a call safely says nothing about what one
call may do. An explicit action class always wins over the hints. Hints are claims a
server makes about itself, so the rule errs towards the riskier class.
"""

from __future__ import annotations

from collections.abc import Mapping

from proctor.errors import InvalidInput
from proctor.model import ActionClass

#: The hints the MCP specification defines, with its defaults.
ANNOTATION_DEFAULTS: Mapping[str, bool] = {
    "readOnlyHint": False,
    "destructiveHint": True,
    "idempotentHint": False,
    "openWorldHint": True,
}


def check_annotations(annotations: Mapping[str, object]) -> tuple[tuple[str, bool], ...]:
    """The known hints of ``annotations`` as sorted pairs; anything else is an error."""
    pairs = []
    for name, value in annotations.items():
        if name not in ANNOTATION_DEFAULTS:
            known = ", ".join(ANNOTATION_DEFAULTS)
            raise InvalidInput(
                f"unknown tool annotation {name!r}: use {known}", code="invalid_annotations"
            )
        if not isinstance(value, bool):
            raise InvalidInput(
                f"tool annotation {name} must be true or false", code="invalid_annotations"
            )
        pairs.append((name, value))
    return tuple(sorted(pairs))


def action_class_from_annotations(annotations: Mapping[str, bool]) -> ActionClass:
    """The action class the hints imply (see the module doc for the rule)."""
    hints = {**ANNOTATION_DEFAULTS, **annotations}
    if hints["readOnlyHint"]:
        return ActionClass.READ
    if hints["destructiveHint"]:
        return ActionClass.DELETE
    if hints["openWorldHint"]:
        return ActionClass.SEND_EXTERNAL
    return ActionClass.WRITE


def untrusted_from_annotations(annotations: Mapping[str, bool]) -> bool:
    """Whether a tool's output is untrusted by its hints: it reaches the open world."""
    return {**ANNOTATION_DEFAULTS, **annotations}["openWorldHint"]
