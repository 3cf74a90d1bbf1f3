"""Value provenance: for each argument of a call, whether its value came from the
requester's instruction, from trusted data, or from untrusted content.

``record_instruction`` and ``record_output`` keep, per task, keyed digests of the
values found in what the requester asked and in what tools returned; ``attribute``
gives every argument of a later call a :class:`Fact` that policies can judge.
``docs/provenance.md`` describes what is recorded, how facts are derived and what
provenance does not catch.
"""

from proctor.provenance._extract import observed as _observed
from proctor.provenance._key import ProvenanceKey
from proctor.provenance._model import (
    ArgumentProvenance,
    Fact,
    Observed,
    RecordReceipt,
    SessionSummary,
    Source,
    Trust,
    ValueKind,
)
from proctor.provenance._normalize import normalize
from proctor.provenance._register import (
    DEFAULT_MAX_OUTPUT_CHARS,
    DEFAULT_MAX_SESSIONS,
    DEFAULT_MAX_VALUES,
    SessionProvenance,
)


def extract(value: object) -> list[Observed]:
    """The typed values and free-text fingerprints in ``value`` (text or JSON-like),
    normalized, each once, in the order they were found."""
    return _observed(value, DEFAULT_MAX_OUTPUT_CHARS)


__all__ = [
    "DEFAULT_MAX_OUTPUT_CHARS",
    "DEFAULT_MAX_SESSIONS",
    "DEFAULT_MAX_VALUES",
    "ArgumentProvenance",
    "Fact",
    "Observed",
    "ProvenanceKey",
    "RecordReceipt",
    "SessionProvenance",
    "SessionSummary",
    "Source",
    "Trust",
    "ValueKind",
    "extract",
    "normalize",
]
