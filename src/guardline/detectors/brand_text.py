"""Case- and diacritic-insensitive term matching for the brand and compliance detectors.

``fold`` turns normalised text into a matching form (casefolded, combining marks removed, a few
letters that do not decompose spelled out: ``ø -> o``, ``æ -> ae``, ``ß -> ss``) and keeps a map from
each folded character back to the normalised text, so that a match can be reported as a span of the
normalised text (which ``Context.span`` then maps to the original).

``TermMatcher`` holds one Aho-Corasick automaton (pyahocorasick) for any number of terms, built once
at construction; a scan is one pass over the text whatever the number of terms. Word boundaries are
checked after matching: a term that starts (ends) with a letter or digit matches only where the
character before (after) it is not one, so ``ass`` never fires inside ``class``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, TypeVar

import ahocorasick

__all__ = ["Folded", "Match", "TermMatcher", "fold", "fold_term"]

T = TypeVar("T")

# letters that NFD does not decompose into base + mark
_SPECIAL = {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i",
            "\u2019": "'", "\u2018": "'", "\u02bc": "'"}
_SPACES = re.compile(r"\s+")
_ODD_SPACE = re.compile(r"\s\s|[^\S ]")
_PIECES = re.compile(r"[!-~]+|\s+|[^\s!-~]")


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    out = []
    for c in unicodedata.normalize("NFD", ch.casefold()):
        if unicodedata.category(c) == "Mn":
            continue
        out.append(_SPECIAL.get(c, c))
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Folded:
    """Folded text; ``index[i]`` is the normalised-text index folded character ``i`` came from
    (None: identity)."""

    text: str
    index: tuple[int, ...] | None
    source_len: int

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a folded span to a span of the normalised text."""
        if self.index is None:
            return (start, end)
        if end <= start:
            pos = self.index[start] if start < len(self.index) else self.source_len
            return (pos, pos)
        return (self.index[start], self.index[end - 1] + 1)


def fold(text: str) -> Folded:
    """Fold ``text`` for matching (runs of whitespace become one space), keeping the offset map."""
    if text.isascii() and not _ODD_SPACE.search(text):
        return Folded(text.lower(), None, len(text))
    out: list[str] = []
    index: list[int] = []
    prev_space = False
    # ASCII runs are lowered in bulk; only whitespace and non-ASCII characters are handled one by one
    for m in _PIECES.finditer(text):
        piece, start = m.group(), m.start()
        if piece[0].isspace():
            if not prev_space:
                out.append(" ")
                index.append(start)
            prev_space = True
            continue
        prev_space = False
        if piece.isascii():
            out.append(piece.lower())
            index.extend(range(start, m.end()))
            continue
        f = _fold_char(piece)
        out.append(f)
        index.extend([start] * len(f))
    return Folded("".join(out), tuple(index), len(text))


def fold_term(term: str) -> str:
    """The folded form of a configured term (whitespace runs become one space)."""
    return _SPACES.sub(" ", fold(term.strip()).text)


@dataclass(frozen=True, slots=True)
class Match(Generic[T]):
    """A term match: ``start``/``end`` in FOLDED offsets, the folded term and its payload."""

    start: int
    end: int
    term: str
    payload: T


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"


class TermMatcher(Generic[T]):
    """Many terms, one automaton. Each folded term keeps every payload it was added with."""

    def __init__(self, terms: Iterable[tuple[str, T]]) -> None:
        table: dict[str, list[T]] = {}
        for term, payload in terms:
            key = fold_term(term)
            if key:
                table.setdefault(key, []).append(payload)
        self._automaton: ahocorasick.Automaton | None = None
        self.size = len(table)
        if table:
            automaton = ahocorasick.Automaton()
            for key, payloads in table.items():
                automaton.add_word(key, (key, tuple(payloads)))
            automaton.make_automaton()
            self._automaton = automaton

    def __len__(self) -> int:
        return self.size

    def scan(self, folded: str) -> Iterator[Match[T]]:
        """Every whole-word occurrence of a term in ``folded`` (already folded text)."""
        if self._automaton is None:
            return
        n = len(folded)
        for last, (key, payloads) in self._automaton.iter(folded):
            end = last + 1
            start = end - len(key)
            if _is_word(key[0]) and start > 0 and _is_word(folded[start - 1]):
                continue
            if _is_word(key[-1]) and end < n and _is_word(folded[end]):
                continue
            for payload in payloads:
                yield Match(start, end, key, payload)
