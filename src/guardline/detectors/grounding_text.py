"""Small text helpers shared by the grounding modules: sentences, clauses, negation scope, word stems."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, cast

from .grounding_fast import CiPattern, lowered
from .grounding_lexicon import NEGATIONS, STOPWORDS

__all__ = ["WORD_RE", "clause_bounds", "content_stems", "is_negated", "phrase_bounds", "sentence_bounds", "stem",
           "trie_alt"]

def trie_alt(words: object) -> str:
    """A regex alternation of ``words`` (escaped) built as a prefix trie: ``day|days|dag`` becomes
    ``d(?:ay(?:s)?|ag)``. Python's ``re`` tries every branch of a flat alternation at every position;
    a trie fails after one character, which makes the word-list patterns several times faster."""
    trie: dict[str, Any] = {}
    for w in {str(x) for x in cast("Iterable[object]", words)}:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        end = "" in node
        branches = [re.escape(ch) + emit(sub) for ch, sub in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and len(branches[0]) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if end else body

    return emit(trie)


WORD_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_SENT_RE = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9ÀÂÄÅÉÈÊÖØÜÑ¿¡])|\n+")
_CONJ = trie_alt([*"but however although though whereas while yet except aber jedoch doch mais cependant pero "
                  "men dock maar echter ma però tuttavia mas porém contudo".split(), "sin embargo"])
_CLAUSE_RE = re.compile(rf"[.;!?\n]|\b(?:{_CONJ})\b", re.I)
_CLAUSE = CiPattern(_CLAUSE_RE)
_NEG_WORDS = trie_alt(w for w in NEGATIONS if w.isalpha() and len(w) > 1)
_NEG_RE = re.compile(rf"\w+n't\b|\bnon-|\bnot?\b|\b(?:{_NEG_WORDS})\b", re.I)


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence."""
    out: list[tuple[int, int]] = []
    pos = 0
    for m in _SENT_RE.finditer(text):
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        out.append((pos, len(text)))
    return out


def clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause around text[start:end]: from the last boundary before it to the next one after."""
    lo = 0
    low = lowered(text)
    for m in _CLAUSE.finditer(text, low, max(0, start - 300), start):
        lo = m.end()
    m2 = _CLAUSE.search(text, low, end, min(len(text), end + 300))
    hi = m2.start() if m2 else len(text)
    return lo, hi


_POST_NEG_RE = re.compile(r"[^.;!?\n]{0,25}?\b(?:(?:is|are|was|were)\s+not|isn't|aren't|not\s+(?:available|"
                          r"offered|provided)|unavailable)\b", re.I)


def is_negated(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is negated within its clause: a cue before it ("no valet, garage or lot
    parking"; the cue's scope ends at a comma that closes more than a short list item), a "non-" prefix,
    or a negated predicate right after it ("valet parking is not available")."""
    lo, _ = clause_bounds(text, start, end)
    for m in _NEG_RE.finditer(text, lo, start):
        segments = text[m.end():start].split(",")
        if all(len(seg.split()) <= 4 for seg in segments[:-1]):
            return True
    return _POST_NEG_RE.match(text, end) is not None


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A crude language-neutral stem: lower case, accents dropped, a plural "s" dropped, first five letters."""
    w = unicodedata.normalize("NFKD", word.lower())
    w = "".join(c for c in w if not unicodedata.combining(c))
    if len(w) > 3 and w.endswith("s"):
        w = w[:-1]
    return w[:5]


def content_stems(text: str, start: int = 0, end: int | None = None) -> list[str]:
    """Stems of the content words (not stop words, not negations, 3+ letters) in text[start:end]."""
    out = []
    for m in WORD_RE.finditer(text, start, len(text) if end is None else end):
        w = m.group(0).lower()
        if len(w) >= 3 and w not in STOPWORDS and w not in NEGATIONS:
            out.append(stem(w))
    return out


_PHRASE_END = re.compile(r"[,;:.!?()\n]|\s(?:and|or|but|while|whereas|although|with|including|as well as|"
                         r"und|oder|aber|et|ou|mais|y|o|pero|och|eller|men|en|of|maar|e|ma|mas)\s", re.I)


def phrase_bounds(text: str, start: int, end: int, lo: int, hi: int) -> tuple[int, int]:
    """The phrase around text[start:end] within [lo, hi): from the last comma, clause punctuation or
    coordinating word before it to the next one after it. Annotators mark the claim's phrase
    ("It offers outdoor seating", "and they accept reservations"), not its keyword."""
    a = lo
    for m in _PHRASE_END.finditer(text, lo, start):
        a = m.start() + (1 if m.group(0)[0].isspace() else m.end() - m.start())
    m2 = _PHRASE_END.search(text, end, hi)
    b = m2.start() if m2 else hi
    while a < start and text[a].isspace():
        a += 1
    while b > end and text[b - 1].isspace():
        b -= 1
    return a, max(b, end)
