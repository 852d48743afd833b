"""Case-insensitive word patterns, matched fast and with the same results.

Python's ``re`` skips a branch of an alternation after one character comparison only when it matches
case-sensitively: under ``re.IGNORECASE`` it enters every branch at every position, which made the
grounding detector's word tables (commitments, business events, number words, currencies, dates) most
of its CPU. ``CiPattern`` runs such a pattern case-sensitively on the lowered text instead, behind a
pre-screen (the same pattern without its ``\\b`` assertions, which ``re`` scans for its first letters
in C) that rejects most texts at once. The matches are the same, offsets included, because:

- the pattern's own letters are all lower case (checked when it is built);
- ``str.lower()`` keeps every offset where it keeps the length (checked per text);
- ``re.IGNORECASE`` equates a character with a pattern letter exactly when its lower case is that
  letter, except for a few characters that it also folds onto ASCII letters ("ı" onto "i", "ſ" onto
  "s"; ``str.lower()`` keeps them). A text holding one of them, or whose length ``lower()`` changes
  ("İ"), is matched with the original pattern.

Matches found on the lowered text carry lowered groups: callers that look at the case of what matched
read it from the original text by offset.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

__all__ = ["CiPattern", "lowered"]

# characters that re.IGNORECASE folds onto an ASCII letter while str.lower() leaves them alone
_FOLD_ONTO_ASCII = frozenset("ıſ")
_ESCAPE = re.compile(r"\\.|\(\?P<\w+>|\(\?P=\w+\)")  # escapes and group names are not letters to match


_CACHED_CHARS = 2048  # replies and their sentences are kept; long grounding texts are lowered afresh


def lowered(text: str) -> str | None:
    """``text.lower()`` when matching it case-sensitively equals matching ``text`` case-insensitively;
    None when it does not (the length changes or the text holds a character ``re`` folds specially)."""
    return _lower(text) if len(text) > _CACHED_CHARS else _cached_lower(text)


def _lower(text: str) -> str | None:
    low = text.lower()
    if len(low) != len(text) or not _FOLD_ONTO_ASCII.isdisjoint(text):
        return None
    return low


_cached_lower = lru_cache(maxsize=1024)(_lower)


def _lower_case_only(src: str) -> str:
    letters = _ESCAPE.sub("", src)
    if letters != letters.lower():
        raise ValueError(f"pattern has upper-case letters: {src[:60]!r}")
    return src


class CiPattern:
    """A case-insensitive pattern with ``search``, ``match`` and ``finditer`` that take the text and
    its ``lowered`` form.

    ``screen``: a pattern (lower case, matched case-sensitively on the lowered text) that finds
    something wherever the pattern could match, cheaper to scan for ("a digit" before a price). By
    default the pattern itself without its ``\\b`` assertions (dropping a zero-width assertion only
    widens what matches; without a leading one ``re`` scans for the first letters in C)."""

    __slots__ = ("ci", "cs", "screen")

    def __init__(self, pattern: re.Pattern[str], *, screen: str | None = None) -> None:
        src = _lower_case_only(pattern.pattern)
        if not pattern.flags & re.IGNORECASE:
            raise ValueError("pattern is not case-insensitive")
        self.ci = pattern
        flags = pattern.flags & ~re.IGNORECASE
        self.cs = re.compile(src, flags)
        if screen is not None:
            self.screen = re.compile(_lower_case_only(screen), flags)
        else:
            self.screen = re.compile(src.replace(r"\b", ""), flags) if r"[\b" not in src else self.cs

    def finditer(self, text: str, low: str | None, pos: int = 0,
                 endpos: int | None = None) -> Iterator[re.Match[str]]:
        end = len(text) if endpos is None else endpos
        if low is None:
            return self.ci.finditer(text, pos, end)
        if self.screen.search(low, pos, end) is None:
            return iter(())
        return self.cs.finditer(low, pos, end)

    def search(self, text: str, low: str | None, pos: int = 0, endpos: int | None = None) -> re.Match[str] | None:
        end = len(text) if endpos is None else endpos
        if low is None:
            return self.ci.search(text, pos, end)
        if self.screen.search(low, pos, end) is None:
            return None
        return self.cs.search(low, pos, end)

    def match(self, text: str, low: str | None, pos: int = 0, endpos: int | None = None) -> re.Match[str] | None:
        end = len(text) if endpos is None else endpos
        if low is None:
            return self.ci.match(text, pos, end)
        return self.cs.match(low, pos, end)
