"""One pass over a normalised text that returns every PII value in it (``PiiFinder.find``).

Concepts run in a fixed order and each claims its spans, so a later, weaker concept never reports a
value again under another type: URLs (claimed, not reported) -> credentials -> e-mail -> IBAN -> IP ->
national ids with letters -> dates of birth -> street lines -> digit runs (national ids, cards,
phones) -> names -> "address:" lines -> the optional NER backend.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Collection, Sequence
from functools import lru_cache

from ..normalize import Normalized
from .pii_base import (
    ALL_TYPES,
    CREDENTIAL,
    DOB,
    EMAIL,
    IBAN,
    IP,
    NAME,
    NATIONAL_ID,
    STREET_ADDRESS,
    NerBackend,
    PiiMatch,
    fold_name,
)
from .pii_context import find_addresses, find_credentials, find_dates_of_birth
from .pii_cues import Cues, find_cues
from .pii_digits import classify_run, dateish, split_run
from .pii_ids import compact_id, validate_iban, validate_letter_id
from .pii_names import find_names
from .pii_patterns import (
    DIGIT_RUN,
    DOT_WORD,
    EMAIL_OBFUSCATED,
    IPV4,
    IPV6_CANDIDATE,
    LETTER_IDS,
    URL,
)
from .pii_patterns import EMAIL as EMAIL_RE
from .pii_patterns import IBAN_CANDIDATE as IBAN_RE
from .pii_scan import (
    Digits,
    digit_run_starts,
    email_starts,
    iban_starts,
    ipv4_starts,
    letter_id_starts,
    matches_at,
    maybe_obfuscated,
    scan_digits,
)

__all__ = ["PiiFinder"]

_AT_BRACKET = re.compile(r"(?i)[(\[{<][ \t]*at")
_DEOBF_DOT = re.compile(r"(?i)[ \t]*[(\[{<][ \t]*dot[ \t]*[)\]}>][ \t]*|[ \t]+dot[ \t]+")
_DEOBF_AT = re.compile(r"(?i)[ \t]*[(\[{<][ \t]*at[ \t]*[)\]}>][ \t]*|[ \t]+at[ \t]+|[ \t]*@[ \t]*")


_NAME_CUES = frozenset({"name", "title", "this_is", "greeting", "signature"})


@lru_cache(maxsize=64)
def _upper(regions: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(r.upper() for r in regions)


def _overlaps(taken: list[tuple[int, int]], s: int, e: int) -> bool:
    return any(a < e and s < b for a, b in taken)


def _repeats(text: str, found: list[PiiMatch], taken: list[tuple[int, int]]) -> list[PiiMatch]:
    """Other occurrences of a value already confirmed in this text (``call 073-555 12 34 ... your order
    073-555 12 34``): the context that confirmed one confirms them all, and redaction must not leave a
    copy behind. Only whole tokens count; names and addresses (short, common words) are left out."""
    out: list[PiiMatch] = []
    for m in {m.value: m for m in found if m.type not in (NAME, STREET_ADDRESS) and text.count(m.value) > 1}.values():
        i = text.find(m.value)
        while i >= 0:
            e = i + len(m.value)
            if ((i == 0 or not text[i - 1].isalnum()) and (e == len(text) or not text[e].isalnum())
                    and not _overlaps(taken, i, e)):
                copy = PiiMatch(m.type, m.kind, i, e, m.value, m.canonical, m.score, m.detail)
                out.append(copy)
                taken.append((i, e))
            i = text.find(m.value, e)
    return out


class PiiFinder:
    """Finds PII values; holds only immutable settings, so one instance serves every thread."""

    def __init__(self, *, min_digits: int = 7, context_window: int = 40,
                 ner: NerBackend | None = None) -> None:
        self.min_digits = max(1, min_digits)
        self.context_window = max(0, context_window)
        self.ner = ner

    def find(self, norm: Normalized, *, regions: Sequence[str] = (),
             types: Collection[str] | None = None,
             check: Callable[[], None] | None = None) -> list[PiiMatch]:
        text = norm.text
        want = ALL_TYPES if types is None else frozenset(types)
        out: list[PiiMatch] = []
        taken: list[tuple[int, int]] = []

        def add(m: PiiMatch) -> None:
            taken.append((m.start, m.end))
            if m.type in want:
                out.append(m)

        cues = find_cues(text)
        low = cues.lower
        cued = cues.starts  # concept -> cue starts; a concept without cues is not called at all
        digits = scan_digits(text)
        has_digit = digits.total > 0
        if "://" in text or "www." in text:
            taken.extend(m.span() for m in URL.finditer(text))
        if CREDENTIAL in want and ("token" in cued or "secret" in cued):
            for m in find_credentials(text, cues):
                if not _overlaps(taken, m.start, m.end):
                    add(m)
        if "@" in text:
            self._emails(text, taken, add)
        if maybe_obfuscated(text, low):
            self._obfuscated_emails(text, taken, add)
        if has_digit:
            ibans = iban_starts(text, digits)
            if ibans:
                self._ibans(text, ibans, taken, add)
            ips = ipv4_starts(text, digits) if "." in text else []
            if ips or text.count(":") >= 2:
                self._ips(text, ips, taken, add)
            for lm in matches_at(LETTER_IDS, text, letter_id_starts(text, digits)):
                kind = lm.lastgroup or ""
                raw = lm.group()
                if not _overlaps(taken, *lm.span()) and validate_letter_id(kind, raw):
                    add(PiiMatch(NATIONAL_ID, kind, lm.start(), lm.end(), raw, (compact_id(kind, raw),), 1.0))
            if DOB in want and "dob" in cued:
                for d in find_dates_of_birth(text, cues, month_first="US" in regions):
                    if not _overlaps(taken, d.start, d.end):
                        add(d)
        # street lines claim their house numbers before digit runs are read as phones; "address:" lines
        # (which run to the end of the line and may hold a phone number) come after
        addresses = list(find_addresses(text, cues, digits)) if STREET_ADDRESS in want else []
        for a in addresses:
            if a.kind == "street" and not _overlaps(taken, a.start, a.end):
                add(a)
        if digits.total >= self.min_digits:
            self._digit_runs(text, digits, cues, taken, add, _upper(tuple(regions)), check)
        if check is not None:
            check()
        if NAME in want and not _NAME_CUES.isdisjoint(cued):
            for n in find_names(text, cues, taken):
                if not _overlaps(taken, n.start, n.end):
                    add(n)
        for a in addresses:
            if a.kind != "street" and not _overlaps(taken, a.start, a.end):
                add(a)
        if self.ner is not None and (NAME in want or STREET_ADDRESS in want):
            self._ner(text, taken, add)
        if out:
            for m in _repeats(text, out, taken):
                add(m)
        out.sort(key=lambda m: (m.start, m.end))
        return out

    # -- concepts ----------------------------------------------------------------------------------
    @staticmethod
    def _emails(text: str, taken: list[tuple[int, int]], add: Callable[[PiiMatch], None]) -> None:
        for m in matches_at(EMAIL_RE, text, email_starts(text)):
            if not _overlaps(taken, *m.span()):
                value = m.group()
                add(PiiMatch(EMAIL, "email", m.start(), m.end(), value, (value.casefold(),), 1.0))

    @staticmethod
    def _obfuscated_emails(text: str, taken: list[tuple[int, int]],
                           add: Callable[[PiiMatch], None]) -> None:
        for m in EMAIL_OBFUSCATED.finditer(text):
            if _overlaps(taken, *m.span()):
                continue
            local, domain = m.group("local"), m.group("domain")
            at_sep = text[m.end("local"):m.start("domain")]
            if not ("@" in at_sep or _AT_BRACKET.search(at_sep) or DOT_WORD.search(m.group())
                    or any(c in local for c in "._") or any(c.isdigit() for c in local)):
                continue  # "us at example.com": too weak
            address = (_DEOBF_DOT.sub(".", local) + "@" + _DEOBF_DOT.sub(".", domain)).casefold()
            address = _DEOBF_AT.sub("@", address).replace(" ", "")
            add(PiiMatch(EMAIL, "email_obfuscated", m.start(), m.end(), m.group(), (address,), 0.9))

    @staticmethod
    def _ibans(text: str, starts: list[int], taken: list[tuple[int, int]],
               add: Callable[[PiiMatch], None]) -> None:
        for m in matches_at(IBAN_RE, text, starts):
            if _overlaps(taken, *m.span()):
                continue
            value = validate_iban(m.group())
            if value is not None:
                compact = value.replace(" ", "").upper()
                add(PiiMatch(IBAN, "iban", m.start(), m.start() + len(value), value, (compact,), 1.0))

    @staticmethod
    def _ips(text: str, starts: list[int], taken: list[tuple[int, int]], add: Callable[[PiiMatch], None]) -> None:
        for m in matches_at(IPV4, text, starts):
            if not _overlaps(taken, *m.span()):
                value = m.group()
                add(PiiMatch(IP, "ipv4", m.start(), m.end(), value, (str(ipaddress.IPv4Address(value)),), 1.0))
        if text.count(":") < 2:
            return
        for m in IPV6_CANDIDATE.finditer(text):
            value = m.group()
            if value.count(":") < 2 or _overlaps(taken, *m.span()):
                continue
            try:
                addr = ipaddress.IPv6Address(value)
            except ValueError:
                continue
            add(PiiMatch(IP, "ipv6", m.start(), m.end(), value, (addr.compressed,), 1.0))

    def _digit_runs(self, text: str, digits: Digits, cues: Cues, taken: list[tuple[int, int]],
                    add: Callable[[PiiMatch], None], regions: tuple[str, ...],
                    check: Callable[[], None] | None) -> None:
        for m in matches_at(DIGIT_RUN, text, digit_run_starts(text, digits, self.min_digits)):
            s = m.start()
            core_end = m.start("ext") if m.group("ext") is not None else m.end()
            raw = text[s:core_end]
            if sum(map(str.isdigit, raw)) < self.min_digits or dateish(raw):
                continue
            if check is not None:
                check()
            international = m.group("plus") is not None
            found = None
            if not _overlaps(taken, s, core_end):  # else only its parts outside claimed spans count
                found = classify_run(text, s, core_end, m.end(), international=international,
                                     regions=regions, window=self.context_window, cues=cues)
            if found is not None:
                add(found)
                continue

            def part(ss: int, ee: int, *, _s: int = s, _intl: bool = international) -> PiiMatch | None:
                if sum(map(str.isdigit, text[ss:ee])) < self.min_digits or _overlaps(taken, ss, ee):
                    return None
                return classify_run(text, ss, ee, ee, international=_intl and ss == _s, regions=regions,
                                    window=self.context_window, cues=cues, sub=True)

            for found in split_run(text, s, core_end, part):
                add(found)

    def _ner(self, text: str, taken: list[tuple[int, int]], add: Callable[[PiiMatch], None]) -> None:
        assert self.ner is not None
        for ent in self.ner.entities(text):
            label = ent.label.upper()
            if label in ("PERSON", "PER"):
                type_ = NAME
            elif label in ("ADDRESS", "STREET_ADDRESS", "LOCATION", "LOC"):
                type_ = STREET_ADDRESS
            else:
                continue
            s, e = max(0, ent.start), min(len(text), ent.end)
            if e > s and not _overlaps(taken, s, e):
                value = text[s:e]
                add(PiiMatch(type_, "ner", s, e, value, (fold_name(value),), float(ent.score)))
