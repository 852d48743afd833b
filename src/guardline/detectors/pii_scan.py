"""Where the digit-bearing patterns can start, from ONE pass over the digits of a text.

Scanning 300 characters with a pattern that starts with a lookbehind or a letter class costs 5-10 us
per pattern in CPython's regex engine (it tries every position), and the detector has five of them
(digit runs, IBANs, IPv4, national ids with letters, street lines). Every one of them needs a digit at
a known distance from where it starts, so instead the text's digit runs are found once, and each
pattern is tried with ``pattern.match(text, pos)`` only at the positions it could start from. The
results are the same as ``finditer``'s (leftmost, non-overlapping), because a position that is not a
candidate cannot start a match (each function below says why); ``tests/detectors/test_pii_scan.py``
checks the equivalence on generated text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from .pii_patterns import EU_STREET_SUFFIXES, STREET_LEADS

__all__ = [
    "Digits",
    "digit_run_starts",
    "email_starts",
    "iban_starts",
    "ipv4_starts",
    "letter_id_starts",
    "matches_at",
    "scan_digits",
    "street_starts",
]

_RUN = re.compile(r"\d+")
_ASCII_DIGITS = frozenset("0123456789")


class Digits(NamedTuple):
    """The maximal runs of digits of a text, and how many digits it holds (``total``)."""

    runs: list[tuple[int, int]]
    total: int


def scan_digits(text: str) -> Digits:
    if text.isascii() and _ASCII_DIGITS.isdisjoint(text):
        return _NO_DIGITS  # most replies: a set test in C instead of a regex pass
    runs = [m.span() for m in _RUN.finditer(text)]
    return Digits(runs, sum([e - s for s, e in runs]))


_NO_DIGITS = Digits([], 0)


def matches_at(pattern: re.Pattern[str], text: str, starts: Iterable[int]) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` restricted to matches that start at one of ``starts``: tried in
    ascending order, skipping starts inside the previous match."""
    after = 0
    for pos in sorted(set(starts)):
        if pos < after:
            continue
        m = pattern.match(text, pos)
        if m is not None:
            after = m.end()
            yield m


def digit_run_starts(text: str, digits: Digits) -> Iterator[int]:
    """``DIGIT_RUN`` starts with ``+``, ``+ ``, ``(``, ``+(`` or a digit right before the digits of
    a run; inside a run its lookbehind (no word character before) fails."""
    for s, _ in digits.runs:
        yield s
        for k in (1, 2, 3):
            prefix = text[max(0, s - k):s]
            if len(prefix) == k and prefix[0] in "+(" and all(c in "+( \t" for c in prefix):
                yield s - k


def iban_starts(text: str, digits: Digits) -> list[int]:
    """An IBAN starts with two letters followed by the first digit run (its check digits)."""
    return [s - 2 for s, e in digits.runs if s >= 2 and e - s >= 2 and text[s - 2:s].isalpha()]


def ipv4_starts(text: str, digits: Digits) -> list[int]:
    """An IPv4 address starts at a run of at most three digits followed by a dot."""
    return [s for s, e in digits.runs if e - s <= 3 and text[e:e + 1] == "."]


def _token_start(text: str, s: int) -> int:
    while s > 0 and text[s - 1].isalnum():
        s -= 1
    return s


def letter_id_starts(text: str, digits: Digits) -> Iterator[int]:
    """Where ``LETTER_IDS`` can start, by the length of a digit run: ES DNI (8 digits) and FI HETU (6)
    start at the run; ES NIE (7) one or two characters before it (``X2482300W``, ``X-2482300-W``); UK
    NINO two or three before its first run (``AB123456C``: 6, ``AB 12 34 56 C``: 2); an IT codice
    fiscale at the start of its alphanumeric token, whose first digit run has at most three digits
    (``RCCMNL83S..``, or later ones when "omocodia" replaced digits by letters)."""
    for s, e in digits.runs:
        n = e - s
        if n in (6, 8):
            yield s
        if n == 7:
            yield from (s - 1, s - 2)
        if n in (2, 6) and s >= 3:
            yield from (s - 2, s - 3)
        elif n in (2, 6) and s == 2:
            yield 0
        if n <= 3:
            yield _token_start(text, s)


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"


def _word_starts(text: str, start: int, end: int) -> Iterator[int]:
    for p in range(start, end):
        if _is_word(text[p]) and (p == 0 or not _is_word(text[p - 1])):
            yield p


def street_starts(text: str, digits: Digits, *, at_numbers: bool = True) -> Iterator[int]:
    """``STREET`` starts at a house number, or (continental forms, house number of at most four digits)
    at the word before it that ends in a street suffix (``Storgatan 12``), or at a leading street word
    at most four blank-separated tokens before it on the same line (``Via dei Mille 12``).
    ``at_numbers=False``: the text has no English street word nor Romance one, so no line starts at a
    house number."""
    for s, e in digits.runs:
        if at_numbers:
            yield s
        if e - s > 4:
            continue
        line = text.rfind("\n", 0, s) + 1
        pos = s
        for i in range(4):
            if pos <= line or text[pos - 1] not in " \t":
                break
            blank = pos - 1
            while blank > line and text[blank - 1] in " \t":
                blank -= 1
            start = max(line, text.rfind(" ", line, blank) + 1, text.rfind("\t", line, blank) + 1)
            if start == blank:
                break
            token = text[start:blank]
            if token.endswith(STREET_LEADS) or (i == 0 and token.endswith(EU_STREET_SUFFIXES)):
                yield from _word_starts(text, start, blank)
            pos = start


def email_starts(text: str) -> Iterator[int]:
    """An e-mail address starts where the run of local-part characters (``[\\w.%+-]``) before its
    ``@`` starts: its lookbehind forbids starting anywhere after that."""
    at = text.find("@")
    while at >= 0:
        s = at
        while s > 0 and (_is_word(text[s - 1]) or text[s - 1] in ".%+-"):
            s -= 1
        yield s
        at = text.find("@", at + 1)
