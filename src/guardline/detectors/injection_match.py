"""One pass of Aho-Corasick over folded text finds every lexicon term of every language.

The text is folded (``injection_fold``), every character that is not a letter or digit becomes a
space (one to one), and runs of spaces are squeezed (with an index map back); each term is stored
as `` term `` (or `` term`` for a prefix term), so a match is always at word boundaries and no hit
needs filtering. Positions in a ``Hit`` are offsets in the text given to ``Matcher.hits`` (the
normalised text), so they map to the original text through ``Normalized.span``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import ahocorasick

from .injection_fold import fold

__all__ = ["Hit", "Matcher", "prepare"]

_NON_WORD = re.compile(r"[\W_]")
_SPACES = re.compile(r" {2,}")


@dataclass(frozen=True, slots=True)
class Hit:
    start: int
    end: int
    concept: str


def prepare(folded: str) -> tuple[str, list[int] | None]:
    """Folded text -> (`` words separated by single spaces ``, index map or None when identity).

    The returned string has one leading and one trailing space; position ``i`` in it (``i >= 1``)
    is position ``index[i - 1]`` (or ``i - 1``) of ``folded``.
    """
    mapped = _NON_WORD.sub(" ", folded)
    if "  " not in mapped:
        return " " + mapped + " ", None
    index: list[int] = []
    parts: list[str] = []
    pos = 0
    for m in _SPACES.finditer(mapped):
        parts.append(mapped[pos : m.start() + 1])
        index.extend(range(pos, m.start() + 1))
        pos = m.end()
    parts.append(mapped[pos:])
    index.extend(range(pos, len(mapped)))
    return " " + "".join(parts) + " ", index


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

    def hits(self, text: str, folded: str | None = None) -> list[Hit]:
        """Every concept hit in ``text``. ``folded``: a one-to-one rewriting of ``text`` to match
        instead (rot13, leetspeak); then the case-sensitive terms, read on ``text``, are skipped."""
        spaced, index = prepare(fold(text) if folded is None else folded)
        out: list[Hit] = []
        for end, (length, concepts, closed) in self._automaton.iter(spaced):
            # spaced[end] is the last char of the key; the key starts with the space before the word
            s = end - length + 2  # first char of the word, in spaced coordinates
            e = end if closed else end + 1  # exclusive end, in spaced coordinates
            if index is None:
                start, stop = s - 1, e - 1
            else:
                start, stop = index[s - 1], index[e - 2] + 1
            for concept in concepts:
                out.append(Hit(start, stop, concept))
        if self._exact is not None and folded is None:
            for m in self._exact.finditer(text):
                for concept in self._exact_concepts[m.group(0)]:
                    out.append(Hit(m.start(), m.end(), concept))
        out.sort(key=lambda h: (h.start, h.end))
        return out
