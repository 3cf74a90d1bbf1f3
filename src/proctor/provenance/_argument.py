"""What is looked up for an argument: its leaves, analysed once and kept a while."""

from __future__ import annotations

from proctor.provenance._extract import (
    K_WORDS,
    MAX_PIECE,
    MIN_ASSEMBLED,
    Leaf,
    kgrams,
    prepare,
    whole_values,
)
from proctor.provenance._model import ValueKind
from proctor.provenance._normalize import amount_of_number, compact_folded
from proctor.provenance._scan import Found, scan, without_values

_VALUE_MARKS = frozenset("@/:._-+#%=~\\0123456789")


class ArgumentLeaf:
    """One string or number of an argument: its whole canonical forms, and (worked out
    when first needed) the typed values in it, its letters if it is one word, and its
    word 5-grams."""

    __slots__ = ("_found", "_grams", "folded", "is_key", "one_word", "wholes")

    def __init__(self, folded: str, wholes: list[tuple[ValueKind, str]], is_key: bool = False):
        self.folded = folded
        self.wholes = wholes
        self.is_key = is_key
        self.one_word = " " not in folded
        self._found: list[Found] | None = None
        self._grams: list[str] | None = None

    def found(self) -> list[Found]:
        if self._found is None:
            self._found = scan(self.folded)
        return self._found

    def letters(self) -> str | None:
        """The letters of a one-word leaf without typed values, to reassemble."""
        if not self.one_word or self.is_key or self.found():
            return None
        letters = compact_folded(self.folded)
        return letters if MIN_ASSEMBLED <= len(letters) <= MAX_PIECE else None

    def grams(self) -> list[str]:
        if self._grams is None:
            long_enough = self.folded.count(" ") >= K_WORDS - 1
            self._grams = kgrams(without_values(self.folded, self.found())) if long_enough else []
        return self._grams

    def carries_value(self) -> bool:
        """Whether the leaf holds a value (a benign fact must then account for it),
        rather than being a plain word or prose around the argument's values."""
        if self.found() or self.letters() is not None:
            return True
        return any(
            " " not in canonical and not _VALUE_MARKS.isdisjoint(canonical)
            for _, canonical in self.wholes
        )


# Argument values recur (the same recipient, the same path): the analysis of short ones
# is kept, up to a bound (then all are forgotten at once: cheaper than keeping an
# order). Look-ups are never kept: the index changes.
_ANALYSED: dict[str | tuple[str, ValueKind | None, bool], ArgumentLeaf] = {}
_ANALYSED_MAX = 4096
_ANALYSED_TEXT_MAX = 256


def text_leaf(
    text: str, hint: ValueKind | None = None, is_key: bool = False
) -> ArgumentLeaf | None:
    key: str | tuple[str, ValueKind | None, bool] = (
        text if hint is None and not is_key else (text, hint, is_key)
    )
    analysed = _ANALYSED.get(key)
    if analysed is not None:
        return analysed
    folded = prepare(text)
    if not folded:
        return None
    analysed = ArgumentLeaf(folded, [] if is_key else whole_values(folded, hint), is_key)
    if len(text) <= _ANALYSED_TEXT_MAX:
        if len(_ANALYSED) >= _ANALYSED_MAX:
            _ANALYSED.clear()
        _ANALYSED[key] = analysed
    return analysed


def number_leaf(number: int | float) -> ArgumentLeaf | None:
    amount = str(number) if type(number) is int else amount_of_number(number)
    return None if amount is None else ArgumentLeaf("", [(ValueKind.AMOUNT, amount)])


def argument_leaf(leaf: Leaf) -> ArgumentLeaf | None:
    if leaf.number is not None:
        return number_leaf(leaf.number)
    return text_leaf(leaf.text or "", leaf.hint, leaf.is_key)


def clear_cache() -> None:
    """Forget the analysed argument values (for benchmarks of the uncached path)."""
    _ANALYSED.clear()
