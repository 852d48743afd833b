"""Small text helpers shared by the grounding modules: sentences, clauses, negation scope, word stems."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .grounding_lexicon import NEGATIONS, STOPWORDS

__all__ = ["WORD_RE", "clause_bounds", "content_stems", "is_negated", "sentence_bounds", "stem"]

WORD_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_SENT_RE = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9ÀÂÄÅÉÈÊÖØÜÑ¿¡])|\n+")
_CLAUSE_RE = re.compile(
    r"[.;!?\n]|\b(?:but|however|although|though|whereas|while|yet|except|aber|jedoch|doch|mais|cependant|"
    r"pero|sin embargo|men|dock|maar|echter|ma|però|tuttavia|mas|porém|contudo)\b", re.I)
_NEG_RE = re.compile(r"\w+n't\b|\bnon-|\bnot?\b|\b(?:{})\b".format("|".join(sorted(
    (re.escape(w) for w in NEGATIONS if w.isalpha() and len(w) > 1), key=len, reverse=True))), re.I)


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
    for m in _CLAUSE_RE.finditer(text, max(0, start - 300), start):
        lo = m.end()
    m2 = _CLAUSE_RE.search(text, end, min(len(text), end + 300))
    hi = m2.start() if m2 else len(text)
    return lo, hi


_POST_NEG_RE = re.compile(r"^[^.;!?\n]{0,25}?\b(?:(?:is|are|was|were)\s+not|isn't|aren't|not\s+(?:available|"
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
