"""The rule table of the heuristic detector: what it looks for, as readable data.

Every pattern is matched against the normalized text (lower case, look-alikes
folded, whitespace collapsed; see ``_normalize``). A rule fires when one of its
patterns matches, and is only tried near one of its anchors (see ``_rule``).
``weight`` is how much the rule alone counts; a text is flagged when the combined
weight of the rules that fire close together reaches the threshold (see
``_heuristic``). ``docs/screening.md`` describes each rule in words.
"""

from __future__ import annotations

from proctor.screening._rule import Rule
from proctor.screening._rules_request import (
    AUTHORITY_CLAIM,
    CODE_EXECUTION,
    CONCEALMENT,
    EXFILTRATION,
    FINANCIAL_ACTION,
    IMAGE_LINK_WITH_QUERY,
    PERMISSION_WIDENING,
    SENSITIVE_DATA_REQUEST,
    URL_DATA_TEMPLATE,
)
from proctor.screening._rules_voice import (
    ADDRESSED_TO_AI,
    COMMAND_TO_AI,
    DECODE_AND_FOLLOW,
    NEW_INSTRUCTIONS,
    OVERRIDE_INSTRUCTIONS,
    OVERRIDE_USER,
    ROLE_MARKER,
    ROLE_PLAY,
    SYSTEM_PROMPT_PROBE,
    TOOL_POISONING,
)

RULES: tuple[Rule, ...] = (
    OVERRIDE_INSTRUCTIONS,
    NEW_INSTRUCTIONS,
    ADDRESSED_TO_AI,
    COMMAND_TO_AI,
    CONCEALMENT,
    EXFILTRATION,
    SENSITIVE_DATA_REQUEST,
    SYSTEM_PROMPT_PROBE,
    ROLE_MARKER,
    ROLE_PLAY,
    AUTHORITY_CLAIM,
    PERMISSION_WIDENING,
    TOOL_POISONING,
    OVERRIDE_USER,
    URL_DATA_TEMPLATE,
    IMAGE_LINK_WITH_QUERY,
    CODE_EXECUTION,
    FINANCIAL_ACTION,
    DECODE_AND_FOLLOW,
)

HIDDEN_TEXT = Rule(
    "hidden-text",
    0.35,
    "the instruction sits in text a person does not see: an HTML comment, an element"
    " hidden by style (display:none, white or zero-size text, off-screen), a hidden"
    " attribute (alt, title, value, content, data-*)",
    (),
    (),
)
ENCODED_TEXT = Rule(
    "encoded-text",
    0.35,
    "the instruction is encoded: base64, letters spaced out, words joined by underscores,"
    " or percent-encoded in a link",
    (),
    (),
)

ALL_RULES: tuple[Rule, ...] = (*RULES, HIDDEN_TEXT, ENCODED_TEXT)
