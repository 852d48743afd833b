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

from .pii_cues import Cues, anchored
from .pii_patterns import DOT_WORD, EU_STREET_SUFFIXES, STREET_LEADS

__all__ = [
    "Digits",
    "digit_run_starts",
    "email_starts",
    "iban_starts",
    "ipv4_starts",
    "letter_id_starts",
    "matches_at",
    "maybe_obfuscated",
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
    return anchored(pattern, text, sorted(set(starts)))


def digit_run_starts(text: str, digits: Digits, min_digits: int = 1) -> Iterator[int]:
    """``DIGIT_RUN`` starts with ``+``, ``+ ``, ``(``, ``+(`` or a digit right before the digits of
    a run; inside a run its lookbehind (no word character before) fails. Only runs in a chain (runs
    joined by gaps of at most four separator characters, more than ``DIGIT_RUN`` ever joins) holding
    ``min_digits`` digits can start a match that long, so the other chains are not tried."""
    runs = digits.runs
    i = 0
    while i < len(runs):
        j, total = i, runs[i][1] - runs[i][0]
        while j + 1 < len(runs) and _joinable(text, runs[j][1], runs[j + 1][0]):
            j += 1
            total += runs[j][1] - runs[j][0]
        if total >= min_digits:
            for s, _ in runs[i:j + 1]:
                yield s
                if s and text[s - 1] in "+( \t":
                    for k in (1, 2, 3):
                        prefix = text[max(0, s - k):s]
                        if len(prefix) == k and prefix[0] in "+(" and not prefix.strip("+( \t"):
                            yield s - k
        i = j + 1


def _joinable(text: str, end: int, start: int) -> bool:
    return start - end <= 4 and not text[end:start].strip(" \t-./()")


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


def letter_id_starts(text: str, digits: Digits) -> list[int]:
    """Where ``LETTER_IDS`` can start, by the length of a digit run and the letters around it: ES DNI
    (8 digits, a letter after) and FI HETU (6 digits, a century sign after) start at the run; ES NIE
    (7) at an X, Y or Z one or two characters before it; UK NINO at two letters right before its first
    run (``AB123456C``: 6 digits, ``AB12 34 56 C``: 2) or before a blank (``AB 12 34 56 C``); an IT
    codice fiscale at the start of its alphanumeric token, at least six letters before a first digit
    run of at most three digits (``RCCMNL83S..``, or a later run when "omocodia" replaced digits)."""
    out: list[int] = []
    n_text = len(text)
    for s, e in digits.runs:
        n = e - s
        after = text[e:e + 2]
        if (n == 8 and (after[:1].isalpha() or (after[:1] in ("-", " ") and after[1:].isalpha()))) or (
                n == 6 and after[:1] and after[0] in "-+ABCDEFUVWXY"):
            out.append(s)
        if n == 7 and s >= 1:
            if text[s - 1] in "XYZxyz":
                out.append(s - 1)
            elif s >= 2 and text[s - 1] in "- " and text[s - 2] in "XYZxyz":
                out.append(s - 2)
        if n in (2, 6) and s >= 2:
            if text[s - 2:s].isalpha():
                out.append(s - 2)
            elif s >= 3 and text[s - 1] == " " and text[s - 3:s - 1].isalpha():
                out.append(s - 3)
        if n <= 3 and e < n_text:
            start = _token_start(text, s)
            if s - start >= 6:
                out.append(start)
    return out


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"


def _word_starts(text: str, start: int, end: int) -> Iterator[int]:
    for p in range(start, end):
        if _is_word(text[p]) and (p == 0 or not _is_word(text[p - 1])):
            yield p


def street_starts(text: str, digits: Digits, cues: Cues | None = None) -> Iterator[int]:
    """``STREET`` starts at a house number, or (continental forms, house number of at most four digits)
    at the word before it that ends in a street suffix (``Storgatan 12``), or at a leading street word
    at most four blank-separated tokens before it on the same line (``Via dei Mille 12``).

    With ``cues``, only where the words those forms need are present: a line starts at a number only
    when an English or Romance street word follows on its line; leading words are looked for only
    when one ("via", "rue", "calle" ...) stands before the number on its line, street suffixes only
    when a word ending in one ("-gatan", "-straße" ...) does."""
    if cues is not None and not (cues.at("street") or cues.at("street_lead") or cues.at("street_suffix")):
        return
    n = len(text)
    for s, e in digits.runs:
        if cues is None:
            yield s
        else:
            line_end = text.find("\n", e)
            if cues.within("street", e, n if line_end < 0 else line_end):
                yield s
        if e - s > 4 or s == 0 or text[s - 1] not in " \t":
            continue
        line = text.rfind("\n", 0, s) + 1
        leads = cues is None or cues.within("street_lead", line, s)
        if not (leads or cues is None or cues.within("street_suffix", line, s)):
            continue
        pos = s
        for i in range(4 if leads else 1):
            if pos <= line or text[pos - 1] not in " \t":
                break
            blank = pos - 1
            while blank > line and text[blank - 1] in " \t":
                blank -= 1
            start = max(line, text.rfind(" ", line, blank) + 1, text.rfind("\t", line, blank) + 1)
            if start == blank:
                break
            token = text[start:blank]
            if (leads and token.endswith(STREET_LEADS)) or (i == 0 and token.endswith(EU_STREET_SUFFIXES)):
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




def maybe_obfuscated(text: str, low: str) -> bool:
    """May ``text`` hold an obfuscated e-mail address (``anna dot berg at example dot org``)? Cheap
    substring tests before the costlier obfuscated e-mail pattern; ``low``: the lower-cased text."""
    if "dot" in low and DOT_WORD.search(low) is not None:
        return True
    if "(at" in low or "[at" in low or "{at" in low or "<at" in low or " @" in text or "@ " in text:
        return True
    return " at " in low and _dotted_word_at(low)


def _dotted_word_at(low: str) -> bool:
    """``OBFUSCATION_HINT.search(low)`` (``x.y at z``) looked for only where a blank precedes "at"
    instead of trying every position of the text."""
    for blank in (" ", "\t"):
        i = low.find(blank + "at")
        while i >= 0:
            if _dotted_before(low, i) and _word_after(low, i + 3):
                return True
            i = low.find(blank + "at", i + 1)
    return False


def _dotted_before(low: str, blank: int) -> bool:
    """Does ``\\w\\.\\w+`` end right before the blank run that ends at ``blank``?"""
    j = blank
    while j > 0 and low[j - 1] in " \t":
        j -= 1
    k = j
    while k > 0 and _is_word(low[k - 1]):
        k -= 1
    return k < j and k >= 2 and low[k - 1] == "." and _is_word(low[k - 2])


def _word_after(low: str, i: int) -> bool:
    """Is ``low[i:]`` a blank run followed by a word character?"""
    j = i
    while j < len(low) and low[j] in " \t":
        j += 1
    return j > i and j < len(low) and _is_word(low[j])
