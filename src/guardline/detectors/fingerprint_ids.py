"""Identifier-like values in text: order and account ids, usernames, zip codes, phone numbers the phone
library could not validate.

Two uses: ``identifier_candidates`` lists what a REPLY might leak (looked up, never stored), generously:
every token of letters and digits (``-`` and ``_`` allowed inside) with a digit and at least 5
characters, and every run of up to 5 digit groups separated by spaces, dots, dashes, slashes or
brackets (``3348 9175 02``); ``record_identifier_forms`` lists what a CRM record or a customer's own
message OWNS (stored), conservatively: single tokens and whole digit-group runs, never dates or
amounts (shared by many customers). Forms are compact: folded, letters and digits only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .fingerprint import Candidate, compact

__all__ = ["identifier_candidates", "is_date_like", "record_identifier_forms"]

_HAS_DIGIT = re.compile(r"\d")
# a token: letters and digits, ``-`` and ``_`` inside (``[^\W_]`` is exactly ``str.isalnum``)
_TOKEN = re.compile(r"[^\W_]+(?:[-_][^\W_]+)*")
_DIGITS = re.compile(r"\d+")
_GROUP_GAP = re.compile(r"[ .\-/()]{1,3}")
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
_DECIMAL = re.compile(r"[.,]\d{1,2}$")  # 299.00, 1.5: amounts, not identifiers
_MIN_ID = 5
_MAX_ID = 34  # the longest IBAN
_MAX_GROUPS = 5


def is_date_like(token: str) -> bool:
    return _DATE.fullmatch(token) is not None


def digit_tokens(text: str) -> Iterator[re.Match[str]]:
    """The tokens of ``text`` that hold a digit, left to right. Found from the digits outwards (a reply
    has few digits and many words): back from each digit run to its token's start, then the token
    regex from there; a digit run inside the token just found is skipped."""
    end = 0
    for d in _DIGITS.finditer(text):
        j = d.start()
        if j < end:
            continue
        while j > 0:
            c = text[j - 1]
            if c.isalnum() or (c in "-_" and j >= 2 and text[j - 2].isalnum()):
                j -= 1
            else:
                break
        m = _TOKEN.match(text, j)
        assert m is not None
        end = m.end()
        yield m


def identifier_candidates(text: str, *, min_chars: int = _MIN_ID) -> list[Candidate]:
    """Identifier-like tokens and digit-group runs of ``text``, each with its compact form(s)."""
    out: dict[tuple[int, int], Candidate] = {}
    if _HAS_DIGIT.search(text) is None:
        return []
    for m in digit_tokens(text):
        token = m.group()
        form = compact(token)
        if min_chars <= len(form) <= _MAX_ID:
            forms = _digit_forms(form)
            if m.start() > 0 and text[m.start() - 1] == "+" and form.isdigit():
                forms = _international(form)
            out[(m.start(), m.end())] = Candidate(m.start(), m.end(), "identifier", forms)
    for run in _digit_runs(text):
        for i in range(len(run)):
            digits = ""
            for j in range(i, min(i + _MAX_GROUPS, len(run))):
                digits += run[j].group()
                if len(digits) > _MAX_ID:
                    break
                if len(digits) >= min_chars and (run[i].start(), run[j].end()) not in out:
                    span = (run[i].start(), run[j].end())
                    out[span] = Candidate(span[0], span[1], "identifier", _digit_forms(digits))
    return list(out.values())


def _digit_forms(form: str) -> tuple[str, ...]:
    """A number written with a national trunk prefix (``06 12 34 56 78``) is also looked up without
    it, as phone numbers are stored by their national significant number."""
    if form.startswith("0") and form.isdigit():
        bare = form.lstrip("0")
        if len(bare) >= _MIN_ID:
            return (form, bare)
    return (form,)


def _international(digits: str) -> tuple[str, ...]:
    """``+19871485916``: a number the phone library could not validate is also looked up without a
    country code of 1 to 3 digits (stored phones carry their national significant number)."""
    return (digits, *(digits[k:] for k in (1, 2, 3) if len(digits) - k >= 7))


def _digit_runs(text: str) -> Iterator[list[re.Match[str]]]:
    """Maximal runs of digit groups separated by short gaps of separators."""
    run: list[re.Match[str]] = []
    for m in _DIGITS.finditer(text):
        if run and _GROUP_GAP.fullmatch(text, run[-1].end(), m.start()) is None:
            if len(run) > 1:
                yield run
            run = []
        run.append(m)
    if len(run) > 1:
        yield run


def record_identifier_forms(text: str, *, min_chars: int = _MIN_ID) -> set[str]:
    """Compact forms of the identifier-like tokens of a text whose values belong to its owner (a CRM
    record): single tokens and whole digit-group runs (``(977) 625-2661``), dates excluded (dates are
    shared by many customers)."""
    forms: set[str] = set()
    if _HAS_DIGIT.search(text) is None:
        return forms
    for m in digit_tokens(text):
        token = m.group()
        if not is_date_like(token):
            form = compact(token)
            if min_chars <= len(form) <= _MAX_ID:
                forms.add(form)
    for run in _digit_runs(text):
        raw = text[run[0].start():run[-1].end()]
        digits = "".join(g.group() for g in run)
        if min_chars <= len(digits) <= _MAX_ID and not is_date_like(raw) and _DECIMAL.search(raw) is None:
            forms.add(digits)
    return forms


