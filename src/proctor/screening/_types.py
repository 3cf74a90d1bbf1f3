"""What a screening says, and the contract every detector keeps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

EXCERPT_LIMIT = 120


def clip_excerpt(text: str, limit: int = EXCERPT_LIMIT) -> str:
    """One line of at most ``limit`` characters, for a person to read."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of evidence that a text carries instructions aimed at the agent.

    ``rule`` is a stable id (``override-instructions``); ``excerpt`` is at most ~120
    characters of what matched, as the detector saw it (for the heuristic detector:
    after normalization, so obfuscated text reads in plain letters); ``start`` is the
    offset in the screened text where the evidence begins; ``weight`` in [0, 1] is how
    much this evidence alone counts. ``path`` names the string inside a structured tool
    result (``$.results[0].snippet``) when the finding came from ``screen_value``, in
    which case ``start`` is the offset inside that string.
    """

    rule: str
    excerpt: str
    start: int
    weight: float
    path: str = ""


@dataclass(frozen=True, slots=True)
class Screening:
    """The verdict on one text (or one structured tool result).

    ``flagged`` means the text should be treated as carrying untrusted instructions;
    ``score`` in [0, 1] is the detector's confidence; ``findings`` say why.
    ``examined`` is how many characters of the input the detector looked at and
    ``truncated`` whether it left some out because of its scan bound.
    """

    flagged: bool
    score: float
    findings: tuple[Finding, ...]
    detector: str
    examined: int = 0
    truncated: bool = False

    def rules(self) -> tuple[str, ...]:
        """The distinct rule ids of the findings, the heaviest first."""
        best: dict[str, float] = {}
        for finding in self.findings:
            best[finding.rule] = max(best.get(finding.rule, 0.0), finding.weight)
        return tuple(sorted(best, key=lambda rule: (-best[rule], rule)))

    def summary(self) -> str:
        """One line saying why, e.g. ``instructions aimed at the agent: hidden-text``."""
        rules = ", ".join(self.rules())
        cut = " (only part of the text was examined)" if self.truncated else ""
        if self.flagged:
            return f"instructions aimed at the agent: {rules or 'no detail given'}{cut}"
        if rules:
            weak = f"score {self.score:.2f}; weak signs: {rules}"
            return f"no instructions aimed at the agent ({weak}){cut}"
        return f"no instructions aimed at the agent{cut}"


@runtime_checkable
class Detector(Protocol):
    """Screens text returned by a tool for instructions aimed at the agent.

    The contract every implementation keeps, because the gateway calls it on every
    tool output:

    - **pure**: the verdict depends only on the text (and the detector's
      configuration), and screening changes nothing;
    - **thread-safe**: one instance is shared by all requests;
    - **bounded time on any input**: a detector examines at most a fixed number of
      characters (and says so through ``Screening.examined`` / ``truncated``), so a
      megabyte of text costs a bounded, small amount of time;
    - **never raises** on odd input: binary-looking text, NUL bytes, huge lines,
      emoji, right-to-left scripts, zero-width or other invisible characters. A
      detector that cannot decide returns a flagged screening rather than raising
      (fail closed).
    """

    name: str

    def screen(self, text: str) -> Screening:
        """Screen one text."""
        ...
