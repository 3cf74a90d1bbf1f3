"""The one sentence a reason quotes: which kind of value, which sources; never the value."""

from __future__ import annotations

from proctor.provenance._model import KIND_WORDS, ArgumentProvenance, Fact, Source, ValueKind

_MAX_NAMED_SOURCES = 3
_OVERFLOW_NOTE = (
    " This session overflowed its provenance bound, so an older value may have been dropped."
)
_UNSEEN: dict[tuple[str, bool], ArgumentProvenance] = {}
_UNSEEN_MAX = 4096


def describe(
    fact: Fact,
    name: str,
    kinds: list[ValueKind],
    assembled: bool,
    sources: tuple[Source, ...],
    overflowed: bool,
    settled: Fact | None,
) -> str:
    """The detail of an answer: ``settled`` is the fact when the whole argument was
    accounted for; ``assembled`` says whether a value was made of pieces."""
    label = f"argument `{name[:64]}`"
    what = _kinds(kinds)
    how = "was assembled from pieces of" if assembled else "came from"
    if fact is Fact.UNSEEN:
        if not kinds:
            return unseen(name, overflowed).detail
        sentence = (
            f"{label}: only part of it was seen ({what} from {_sources(sources)}); "
            "the rest was produced by the model."
        )
        return sentence + _OVERFLOW_NOTE if overflowed else sentence
    if fact is Fact.USER:
        return f"{label}: the {what} was given in the requester's instruction."
    if fact is Fact.TRUSTED and settled is not None:
        return f"{label}: the {what} {how} trusted data ({_sources(sources)})."
    if fact is Fact.UNTRUSTED:
        return f"{label}: the {what} {how} untrusted content ({_sources(sources)})."
    return f"{label}: the {what} {how} sources of different trust ({_sources(sources)})."


def unseen(name: str, overflowed: bool) -> ArgumentProvenance:
    """The answer for an argument nothing recorded matches (kept per argument name:
    it is the most common answer and does not depend on the value)."""
    known = _UNSEEN.get((name, overflowed))
    if known is not None:
        return known
    sentence = (
        f"argument `{name[:64]}`: nothing in it was seen in the requester's instruction or "
        "in a recorded tool output; the model produced it."
    )
    answer = ArgumentProvenance(
        Fact.UNSEEN, (), (), sentence + _OVERFLOW_NOTE if overflowed else sentence
    )
    if len(_UNSEEN) < _UNSEEN_MAX:
        _UNSEEN[(name, overflowed)] = answer
    return answer


def _kinds(kinds: list[ValueKind]) -> str:
    names: list[str] = []
    for kind in kinds:
        word = KIND_WORDS[kind]
        if word not in names:
            names.append(word)
    if len(names) <= 1:
        return names[0] if names else "value"
    return ", ".join(names[:-1]) + " and " + names[-1]


def _sources(sources: tuple[Source, ...]) -> str:
    trusts = {source.trust for source in sources}
    if len(trusts) > 1:
        named = [f"{source.trust.value}: {source.describe()}" for source in sources]
    else:
        named = [source.describe() for source in sources]
    if len(named) > _MAX_NAMED_SOURCES:
        rest = len(named) - _MAX_NAMED_SOURCES
        named = [*named[:_MAX_NAMED_SOURCES], f"and {rest} more"]
    return "; ".join(named)
