"""One pass of Aho-Corasick over folded text finds every lexicon term of every language.

The text is folded (``injection_fold``), every run of characters that are not letters or digits
becomes one space (with a compact map back), and each term is stored as `` term `` (or `` term``
for a prefix term), so a match is always at word boundaries and no hit needs filtering. Positions in a ``Hit`` are offsets in the text given to ``Matcher.hits`` (the
normalised text), so they map to the original text through ``Normalized.span``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import accumulate

import ahocorasick

from .injection_fold import fold, words

__all__ = ["Hit", "Matcher"]

_NON_WORD = re.compile(r"[\W_]")
_SPACE_RUN = re.compile(r"  +")


@dataclass(frozen=True, slots=True)
class Hit:
    start: int
    end: int
    concept: str


class _Squeezed:
    """Folded text with every run of non-word characters squeezed to one space, framed by spaces,
    and the way back: position ``q`` of ``text`` (``q >= 1``) is ``q - 1 + shift`` in the folded
    text, where ``shift`` is the shrinkage of the runs before it (found by bisection)."""

    __slots__ = ("bounds", "shifts", "text")

    def __init__(self, folded: str) -> None:
        mapped = words(folded)
        self.bounds: list[int] = []
        self.shifts: list[int] = []
        if "  " not in mapped:
            self.text = " " + mapped + " "
            return
        self.text = " " + _SPACE_RUN.sub(" ", mapped) + " "
        spans = [m.span() for m in _SPACE_RUN.finditer(mapped)]
        self.shifts = list(accumulate(e - s - 1 for s, e in spans))
        # a run becomes one space; what follows it starts one further, +1 for the frame space
        self.bounds = [s - shift + (e - s - 1) + 2 for (s, e), shift in zip(spans, self.shifts, strict=True)]

    def pos(self, q: int) -> int:
        """Folded-text offset of position ``q`` of ``text``."""
        i = bisect_right(self.bounds, q)
        return q - 1 + (self.shifts[i - 1] if i else 0)


def _key(term: str) -> tuple[str, bool]:
    prefix = term.endswith("*")
    body = term[:-1] if prefix else term
    words = " ".join(_NON_WORD.sub(" ", fold(body)).split())
    return words, prefix


class Matcher:
    """Finds concept hits; built once from ``{concept: terms}`` tables (several languages merged)."""

    def __init__(self, tables: Iterable[Mapping[str, tuple[str, ...]]]) -> None:
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, set[str]] = {}
        exact: dict[str, set[str]] = {}
        for table in tables:
            for concept, terms in table.items():
                for term in terms:
                    if term.startswith("^"):
                        exact.setdefault(term[1:], set()).add(concept)
                        continue
                    words, prefix = _key(term)
                    if not words:
                        continue
                    key = " " + words + ("" if prefix else " ")
                    entries.setdefault(key, set()).add(concept)
        for key, concepts in entries.items():
            self._automaton.add_word(key, (len(key), tuple(sorted(concepts)), key.endswith(" ")))
        self._automaton.make_automaton()
        self._exact: re.Pattern[str] | None = None
        self._exact_concepts: dict[str, tuple[str, ...]] = {}
        if exact:
            alts = sorted(exact, key=len, reverse=True)
            self._exact = re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(a) for a in alts) + r")(?![\w])")
            self._exact_concepts = {k: tuple(sorted(v)) for k, v in exact.items()}

    def hits(self, text: str, folded: str | None = None, *, exact: bool = True) -> list[Hit]:
        """Every concept hit in ``text``. ``folded``: ``text`` already folded, or a one-to-one
        rewriting of it to match instead (rot13, leetspeak: then pass ``exact=False``, the
        case-sensitive terms are read on ``text`` itself)."""
        sq = _Squeezed(fold(text) if folded is None else folded)
        out: list[Hit] = []
        for end, (length, concepts, closed) in self._automaton.iter(sq.text):
            # sq.text[end] is the last char of the key; the key starts with the space before the word
            s = end - length + 2  # first char of the word
            e = end if closed else end + 1  # exclusive end
            if not sq.bounds:
                start, stop = s - 1, e - 1
            else:
                start, stop = sq.pos(s), sq.pos(e - 1) + 1
            for concept in concepts:
                out.append(Hit(start, stop, concept))
        if self._exact is not None and exact:
            for m in self._exact.finditer(text):
                for concept in self._exact_concepts[m.group(0)]:
                    out.append(Hit(m.start(), m.end(), concept))
        out.sort(key=lambda h: (h.start, h.end))
        return out
