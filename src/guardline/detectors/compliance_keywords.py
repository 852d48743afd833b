"""Consent keywords (STOP, START, HELP and their equivalents) and opt-out confirmations.

Tables live in ``data/compliance/keywords.tsv`` and ``confirmations.txt``. A consent keyword counts
only as the WHOLE inbound message: case, accents, surrounding punctuation, symbols and emoji are
ignored ("Stop!", "ARRÊT", "stop 🙏"), anything else makes it an ordinary message ("Is there a bus
stop near your store?").
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .brand_text import TermMatcher, fold, fold_term

__all__ = ["Keyword", "classify", "confirmation_matcher", "keywords"]

KINDS = ("optout", "optout_all", "optin", "help")


@dataclass(frozen=True, slots=True)
class Keyword:
    kind: str  # optout | optout_all | optin | help
    language: str
    keyword: str  # folded


def _data(name: str) -> list[str]:
    text = resources.files("guardline").joinpath("data", "compliance", name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=1)
def keywords() -> dict[str, Keyword]:
    """Folded keyword -> Keyword."""
    out: dict[str, Keyword] = {}
    for line in _data("keywords.tsv"):
        kind, lang, word = (p.strip() for p in line.split("\t"))
        if kind not in KINDS:
            raise ValueError(f"keywords.tsv: unknown kind {kind!r}")
        key = fold_term(word)
        out.setdefault(key, Keyword(kind, lang, key))
    return out


def _strip_edges(text: str) -> str:
    """Drop punctuation, symbols, emoji and spaces around the text (not inside it)."""
    def keep(c: str) -> bool:
        return unicodedata.category(c)[0] in "LN"

    start, end = 0, len(text)
    while start < end and not keep(text[start]):
        start += 1
    while end > start and not keep(text[end - 1]):
        end -= 1
    return text[start:end]


def classify(text: str, extra: dict[str, Keyword] | None = None) -> Keyword | None:
    """The consent keyword that ``text`` (normalised) consists of, or None. ``extra`` (folded keyword
    -> Keyword) comes from the policy and wins over the built-in table."""
    if len(text) > 64:
        return None
    core = _strip_edges(fold(text).text)
    table = keywords()
    for key in (core, core.replace("-", " ")):
        hit = (extra or {}).get(key) or table.get(key)
        if hit is not None:
            return hit
    return None


@lru_cache(maxsize=1)
def confirmation_matcher() -> TermMatcher[str]:
    return TermMatcher((p, "confirmation") for p in _data("confirmations.txt"))
