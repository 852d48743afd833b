"""PII found by context rather than by checksum: street addresses, dates of birth, credentials (names:
``pii_names``).

These are cues (a street suffix, "address:", "born on", "password is"), so
their scores are below 1.0 and their default severities lower than checksummed values (credentials
excepted: a leaked password is serious however it was spotted).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from .pii_base import CREDENTIAL, DOB, STREET_ADDRESS, PiiMatch, fold_name
from .pii_cues import Cues, anchored
from .pii_patterns import (
    ADDRESS_LABEL,
    SECRET_CUE,
    SECRET_TOKEN,
    STREET,
)
from .pii_patterns import DOB as DOB_RE
from .pii_scan import Digits, matches_at, street_starts

__all__ = ["find_addresses", "find_credentials", "find_dates_of_birth", "parse_date"]

def find_addresses(text: str, cues: Cues, digits: Digits) -> Iterator[PiiMatch]:
    if not digits.total:
        return  # every address pattern needs a house number
    seen: list[tuple[int, int]] = []
    for m in matches_at(STREET, text, street_starts(text, digits, cues)):
        s, e = m.span()
        value = text[s:e].rstrip(".,")
        seen.append((s, s + len(value)))
        yield PiiMatch(STREET_ADDRESS, "street", s, s + len(value), value, (fold_name(value),), 0.7)
    for m in anchored(ADDRESS_LABEL, text, cues.at("address")):
        s = m.start("addr")
        value = m.group("addr")
        cut = re.search(r"[.?!](?:\s|$)", value)
        if cut is not None:
            value = value[: cut.start()]
        value = value.rstrip(" \t.,;")
        e = s + len(value)
        if len(value) < 4 or not any(c.isdigit() for c in value):
            continue
        if any(a < e and s < b for a, b in seen):
            continue
        yield PiiMatch(STREET_ADDRESS, "labelled", s, e, value, (fold_name(value),), 0.6)


_MONTH_NUM = {name: i for i, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
     ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
     ("oct", "october"), ("nov", "november"), ("dec", "december")), start=1) for name in names}
_NUMERIC = re.compile(r"(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})")
_WORDY = re.compile(r"(?i)(?:(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)\.?,?\s+(\d{4})"
                    r"|([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4}))")


def _year(y: int) -> int:
    return y if y >= 100 else (1900 + y if y >= 30 else 2000 + y)


def parse_date(raw: str, *, month_first: bool = False) -> tuple[str, ...]:
    """The ISO forms of a written date (two when day and month are ambiguous), or () if invalid."""
    out: list[str] = []

    def add(y: int, m: int, d: int) -> None:
        try:
            iso = date(_year(y), m, d).isoformat()
        except ValueError:
            return
        if iso not in out:
            out.append(iso)

    m = _NUMERIC.fullmatch(raw)
    if m is not None:
        a, b, c = (int(g) for g in m.groups())
        if len(m.group(1)) == 4:
            add(a, b, c)
        elif month_first:
            add(c, a, b)
            add(c, b, a)
        else:
            add(c, b, a)
            add(c, a, b)
        return tuple(out)
    w = _WORDY.fullmatch(raw)
    if w is not None:
        if w.group(1):
            d, mon, y = int(w.group(1)), w.group(2).casefold(), int(w.group(3))
        else:
            mon, d, y = w.group(4).casefold(), int(w.group(5)), int(w.group(6))
        month = _MONTH_NUM.get(mon)
        if month is not None:
            add(y, month, d)
    return tuple(out)


def find_dates_of_birth(text: str, cues: Cues, *, month_first: bool = False) -> Iterator[PiiMatch]:
    for m in anchored(DOB_RE, text, cues.at("dob")):
        raw = m.group("date")
        canonical = parse_date(raw, month_first=month_first)
        if canonical:
            yield PiiMatch(DOB, "date", m.start("date"), m.end("date"), raw, canonical, 0.85)


_NOT_SECRETS = frozenset("""
is was the a an your my our has have been will be being not incorrect wrong invalid expired required
correct case-sensitive sensitive weak strong missing empty blank different same ok fine valid saved stored
secure safe protected too now set reset changed updated sent needed please still also very already below
above attached here there sent protected encrypted hidden only and or for to of in on at with
""".split())
_CODE_CUES = ("pin", "otp", "code", "cvv", "cvc")
_KEY_CUES = ("api", "secret", "token", "bearer")


def find_credentials(text: str, cues: Cues) -> Iterator[PiiMatch]:
    taken: list[tuple[int, int]] = []
    for m in anchored(SECRET_TOKEN, text, cues.at("token")):
        kind = m.lastgroup or "api_key"
        taken.append(m.span())
        yield PiiMatch(CREDENTIAL, kind, m.start(), m.end(), m.group(), (m.group(),), 0.95)
    for m in anchored(SECRET_CUE, text, cues.at("secret")):
        cue = m.group("cue").casefold()
        val = m.group("val").rstrip(".,;:!?)]}>")
        s = m.start("val")
        e = s + len(val)
        if any(a < e and s < b for a, b in taken) or val.casefold() in _NOT_SECRETS:
            continue
        linked = m.group("link") is not None
        digits = sum(c.isdigit() for c in val)
        if any(c in cue for c in _CODE_CUES):
            if not (3 <= len(val) <= 10 and val.isalnum() and digits >= 3):
                continue
            kind, score = "one_time_code", 0.85
        elif any(c in cue for c in _KEY_CUES):
            if len(val) < 12 or digits == 0 or not (linked or cue == "bearer"):
                continue
            kind, score = "api_key", 0.85
        else:
            if len(val) < 4 or not linked:
                continue
            kind, score = "password", 0.8
        taken.append((s, e))
        yield PiiMatch(CREDENTIAL, kind, s, e, val, (val,), score)
