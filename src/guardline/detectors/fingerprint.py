"""Canonical forms and keyed fingerprints of values and text, for the leakage detector.

A fingerprint is ``HMAC-SHA256(tenant_key, domain || canonical form)`` truncated to 16 bytes, where
``tenant_key = keys.key("fingerprint", tenant)``; values (``b"v\\x00"``) and 8-word text shingles
(``b"s\\x00"``) are domain-separated. Canonical forms are case-folded, so ``ANA@X.COM`` and
``ana@x.com`` share a fingerprint. The value itself is never kept, only its fingerprint.

Where candidates come from, in a text:

- PII matches (``detectors.pii``): their ``canonical`` forms (E.164 and national number for phones,
  compact cards, IBANs and ids, folded names), plus the compact form of the matched text;
- identifier-like tokens (order and account ids, usernames, zip codes): a token of letters and digits
  (``-`` and ``_`` allowed inside) with a digit and at least 5 characters, and runs of digit groups
  separated by spaces, dots, dashes, slashes or brackets (``3348 9175 02``), compacted;
- name-like word pairs and triples (``Crystal Minh``), folded, skipping common words;
- 8-word shingles of the text, folded.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = [
    "FP_BYTES",
    "SHINGLE",
    "VALUE",
    "Candidate",
    "compact",
    "fingerprint",
    "fold",
    "identifier_candidates",
    "is_date_like",
    "name_candidates",
    "record_identifier_forms",
    "shingles",
]

FP_BYTES = 16
VALUE = b"v\x00"
SHINGLE = b"s\x00"


def fingerprint(key: bytes, domain: bytes, canonical: str) -> bytes:
    """The keyed fingerprint of one canonical form (already folded)."""
    return hmac.digest(key, domain + canonical.encode("utf-8", "surrogatepass"), "sha256")[:FP_BYTES]


def _strip_marks(value: str) -> str:
    if value.isascii():
        return value
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(value: str) -> str:
    """Case-fold, strip diacritics, collapse whitespace (names, emails, every canonical form)."""
    return " ".join(_strip_marks(value).casefold().split())


def compact(value: str) -> str:
    """Letters and digits only, folded: ``(977) 625-2661`` -> ``9776252661``, ``AB-12`` -> ``ab12``."""
    return "".join(c for c in _strip_marks(value).casefold() if c.isalnum())


@dataclass(frozen=True, slots=True)
class Candidate:
    """A piece of text that may be someone's value: NORMALISED offsets, its type and canonical forms."""

    start: int
    end: int
    type: str
    forms: tuple[str, ...]


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


def identifier_candidates(text: str, *, min_chars: int = _MIN_ID) -> list[Candidate]:
    """Identifier-like tokens and digit-group runs of ``text``, each with its compact form."""
    out: dict[tuple[int, int], Candidate] = {}
    for m in _TOKEN.finditer(text):
        token = m.group()
        if not any(c.isdigit() for c in token):
            continue
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
    for m in _TOKEN.finditer(text):
        token = m.group()
        if any(c.isdigit() for c in token) and not is_date_like(token):
            form = compact(token)
            if min_chars <= len(form) <= _MAX_ID:
                forms.add(form)
    for run in _digit_runs(text):
        raw = text[run[0].start():run[-1].end()]
        digits = "".join(g.group() for g in run)
        if min_chars <= len(digits) <= _MAX_ID and not is_date_like(raw) and _DECIMAL.search(raw) is None:
            forms.add(digits)
    return forms


_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_GAP = re.compile(r"[ \t]{1,3}")
# words that are never part of a person's name in a reply (kept short: names are rare, cost is HMACs)
_COMMON = frozenset("""
a about after again all also am an and any are as at be been before but by can could did do does
for from get got had has have he her here hi his how i if in is it its just let may me more my no
not now of on one or our out please she so some sure than thank thanks that the their them then
there they this to today too up us was we well were what when where which who will with would yes
you your yours order account number email phone name address card help day dear
""".split())


def name_candidates(text: str) -> list[Candidate]:
    """Pairs and triples of adjacent words (no punctuation between) that could be a person's name."""
    words = [m for m in _WORD.finditer(text) if len(m.group()) > 1 and m.group().casefold() not in _COMMON]
    out: list[Candidate] = []
    for i in range(len(words) - 1):
        end = i
        for j in (i + 1, i + 2):
            if j >= len(words) or _GAP.fullmatch(text, words[j - 1].end(), words[j].start()) is None:
                break
            end = j
            name = fold(" ".join(w.group() for w in words[i:end + 1]))
            out.append(Candidate(words[i].start(), words[end].end(), "name", (name,)))
    return out


_SHINGLE_WORD = re.compile(r"\w+")


def shingles(text: str, n: int = 8) -> list[tuple[int, int, str]]:
    """Every run of ``n`` consecutive words: (start, end, folded words joined by one space)."""
    words = list(_SHINGLE_WORD.finditer(text))
    if len(words) < n:
        return []
    folded = [_strip_marks(w.group()).casefold() for w in words]
    return [(words[i].start(), words[i + n - 1].end(), " ".join(folded[i:i + n]))
            for i in range(len(words) - n + 1)]


def unique_forms(forms: Iterable[str]) -> list[str]:
    """Folded, non-empty, de-duplicated forms in their first order."""
    return list(dict.fromkeys(f for f in (fold(x) for x in forms) if f))
