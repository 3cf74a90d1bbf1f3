"""Prompt-injection screening: is a tool's output trying to instruct the agent?

``HeuristicDetector`` is the default, dependency-free detector; any object with a
``name`` and a ``screen(text) -> Screening`` method is a ``Detector`` too (a
model-based one, for instance). ``screen_value`` screens a structured tool result.
``docs/screening.md`` explains the rules, the score and the measured quality.
"""

from proctor.screening._heuristic import DEFAULT_MAX_CHARS, DEFAULT_THRESHOLD, HeuristicDetector
from proctor.screening._normalize import normalize
from proctor.screening._rule import Rule
from proctor.screening._rules import ALL_RULES
from proctor.screening._types import Detector, Finding, Screening
from proctor.screening._value import screen_value

__all__ = [
    "ALL_RULES",
    "DEFAULT_MAX_CHARS",
    "DEFAULT_THRESHOLD",
    "Detector",
    "Finding",
    "HeuristicDetector",
    "Rule",
    "Screening",
    "normalize",
    "screen_value",
]
