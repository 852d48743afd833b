"""Typed values in free text: amounts, percentages, durations, dates, times, ids, URLs, emails, phone
numbers and plain numbers, each with comparable keys.

The same extractor reads a reply (to find claims) and a grounding text (to index what is supported),
so both sides normalise identically. Offsets are those of the text given (the NORMALISED reply text).
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .grounding_fast import CiPattern, lowered
from .grounding_lexicon import (
    CURRENCY_WORDS,
    MONTHS,
    NUMBER_WORDS,
    PERCENT_WORDS,
    SPECIAL_DURATIONS,
    UNITS,
    WEEKDAYS,
)
from .grounding_numbers import NUMBER_RE, number_word, parse_number
from .grounding_text import trie_alt

__all__ = ["Value", "extract_values", "parse_time"]


@dataclass(frozen=True, slots=True)
class Value:
    """One typed value. ``primary``: keys a claim must match (any of them); ``keys``: every key a
    grounding occurrence supports. ``num`` is the plain number when there is one."""

    kind: str
    start: int
    end: int
    primary: tuple[Hashable, ...]
    keys: tuple[Hashable, ...]
    num: float | None = None
    relative: bool = False  # a date said relative to now ("today", "next Monday")


_alt = trie_alt


_NUM = NUMBER_RE
_CUR_SYM = r"(?:US\$|R\$|[$€£¥])"
_CUR_WORD = _alt(w for w in CURRENCY_WORDS if w[0].isalpha())
_BARE_WORDS = {w: v for w, v in NUMBER_WORDS.items()
               if v >= 2 and v == int(v) and w not in {"due", "sex", "elf", "cent", "mil", "dos", "double",
                                                        "twice", "triple", "couple", "pair", "paar",
                                                        "tre", "sei", "um", "once", "onze", "nove"}}
# "once" is Spanish for 11 but English first ("Once an item ships": not eleven years)
_NW = _alt(w for w in NUMBER_WORDS if (len(w) > 1 or w == "a") and w != "once")
_UNIT = _alt(UNITS)
_QUAL = (r"(?:(?:business|working|calendar|full|whole|more|extra|additional|weitere[n]?|volle[n]?|"
         r"hábiles|habiles|ouvrés|ouvrables|lavorativi|úteis|uteis|werk|arbets)\s+)?")

URL_RE = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]", re.I)
EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d ().\-/]{6,}\d(?!\w)")
ISO_DATE_RE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?")
NUM_DATE_RE = re.compile(r"\b(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})\b")
_MONTH = _alt(MONTHS)
TEXT_DATE_RE = re.compile(
    rf"\b(?:(\d{{1,2}})(?:st|nd|rd|th|er|e|º|°)?\.?\s+(?:of\s+|de\s+)?({_MONTH})\.?(?:\s+(?:de\s+)?(\d{{4}}))?"
    rf"|({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?)\b", re.I)
_WD = _alt(WEEKDAYS)
REL_DATE_RE = re.compile(
    rf"\b(?:(day after tomorrow|übermorgen|après-demain|pasado mañana|i övermorgon|overmorgen|dopodomani|"
    rf"depois de amanhã)|(tomorrow|morgen|demain|mañana|i morgon|domani|amanhã)|(today|heute|aujourd'hui|"
    rf"hoy|idag|i dag|vandaag|oggi|hoje)|(?:next|this|coming|nächsten|kommenden|prochain|el próximo|"
    rf"nästa|på|volgende|aanstaande|prossimo|próxima|próximo|on|am|le|el|op|il|na|no)\s+({_WD})\b)",
    re.I)
TIME_RE = re.compile(
    r"\b(?:(\d{1,2})(?::|\.|h)(\d{1,2})\s*(a\.?m\.?|p\.?m\.?|uhr|h\b)?|(\d{1,2})\s*(a\.?m\.?|p\.?m\.?|uhr|h)"
    r"(?![a-zà-ÿ])|(midnight|noon|mitternacht|minuit|medianoche|midnatt|middernacht|mezzanotte|meia-noite|"
    r"mittag|midi|mediodía|middag|mezzogiorno|meio-dia))", re.I)
AMOUNT_RE = re.compile(
    rf"(?:({_CUR_SYM}|\b(?:{_CUR_WORD})\b)\s?({_NUM})|({_NUM})\s?(?:({_CUR_SYM})|({_CUR_WORD})\b))", re.I)
PERCENT_RE = re.compile(rf"({_NUM})\s?(?:%|({_alt(PERCENT_WORDS)})\b)", re.I)
SPECIAL_RE = re.compile(rf"\b(?:{_alt(SPECIAL_DURATIONS)})\b", re.I)
DURATION_RE = re.compile(
    rf"(?:({_NUM})(?:\s*(?:-|–|to|bis|à|a|till|tot|al)\s*({_NUM}))?\s*|\b({_NW})\s+)(?:{_QUAL})({_UNIT})\b", re.I)
ID_RE = re.compile(r"(?<![\w-])#?(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z]|\d{6,}|#)[A-Z0-9][A-Z0-9-]{4,}[A-Z0-9](?![\w-])")
SCOPE_RE = re.compile(r"\b(?:seven|7|six|6|five|5)\s+days\s+(?:a|per|each)\s+week\b|\b24\s*(?:hours|h)\s+a\s+day\b|"
                      r"\b24/7\b|\bout\s+of\s+(?:5|10|five|ten)\b|/\s?(?:5|10)\b", re.I)
BARE_WORD_RE = re.compile(rf"\b({_alt(_BARE_WORDS)})\b", re.I)
NUMBER_TOKEN_RE = re.compile(_NUM)

# The case-insensitive tables matched on the lowered text (grounding_fast), "US$" being "us$" there,
# each behind a screen that finds something wherever the pattern could match: a month name for a
# written date; a weekday or a relative-day word; a digit or a named time ("noon"); a currency sign or
# word for an amount; "%" or a percent word; a unit word right after a digit or a space (the number,
# its range and qualifier all end there) for a duration.
_URL = CiPattern(URL_RE)
_SCOPE = CiPattern(SCOPE_RE)
_TEXT_DATE = CiPattern(TEXT_DATE_RE, screen=_MONTH)
_REL_DATE = CiPattern(REL_DATE_RE, screen=rf"{_WD}|tomorrow|morgen|demain|mañana|morgon|domani|amanhã|today|heute|"
                                          r"aujourd'hui|hoy|idag|i dag|vandaag|oggi|hoje")
_TIME = CiPattern(TIME_RE, screen=r"\d|midnight|noon|mitternacht|minuit|medianoche|midnatt|middernacht|mezzanotte|"
                                  r"meia-noite|mittag|midi|mediodía|middag|mezzogiorno|meio-dia")
_AMOUNT = CiPattern(re.compile(AMOUNT_RE.pattern.replace(r"US\$", r"us\$").replace(r"R\$", r"r\$"), re.I),
                    screen=rf"[$€£¥]|{_CUR_WORD}")
_PERCENT = CiPattern(PERCENT_RE, screen=rf"%|{_alt(PERCENT_WORDS)}")
_SPECIAL = CiPattern(SPECIAL_RE)
_DURATION = CiPattern(DURATION_RE, screen=rf"[\d\s](?:{_UNIT})\b")
_BARE_WORD = CiPattern(BARE_WORD_RE)


def parse_time(h: int, m: int, suffix: str | None) -> int | None:
    """Minutes since midnight, or None when out of range."""
    sfx = (suffix or "").lower().replace(".", "")
    if sfx.startswith("p") and h < 12:
        h += 12
    elif sfx.startswith("a") and h == 12:
        h = 0
    if h == 24 and m == 0:
        h = 0
    if not (0 <= h <= 23 and 0 <= m <= 59):
        return None
    return h * 60 + m


_NAMED_TIMES = {"midnight": 0, "mitternacht": 0, "minuit": 0, "medianoche": 0, "midnatt": 0,
                "middernacht": 0, "mezzanotte": 0, "meia-noite": 0}


def _date_keys(d: date) -> tuple[tuple[Hashable, ...], tuple[Hashable, ...]]:
    return (("d", d.year, d.month, d.day),), (("d", d.year, d.month, d.day), ("md", d.month, d.day),
                                                ("wd", d.weekday()))


def _mk_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


class _Out:
    """Collects values, skipping any that overlap one already taken (earlier extractors win)."""

    def __init__(self) -> None:
        self.values: list[Value] = []
        self.taken: list[tuple[int, int]] = []

    def free(self, s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in self.taken)

    def add(self, v: Value) -> None:
        if self.free(v.start, v.end):
            self.values.append(v)
            self.taken.append((v.start, v.end))


def extract_values(text: str, now: datetime | None = None) -> list[Value]:
    """Every typed value in ``text``, sorted by position. ``now`` resolves relative dates."""
    out = _Out()
    low = lowered(text)
    for m in _URL.finditer(text, low):
        key = re.sub(r"^(?:https?://)?(?:www\.)?", "", m.group(0).lower()).rstrip("/")
        out.add(Value("url", m.start(), m.end(), (key,), (key,)))
    for m in EMAIL_RE.finditer(text):
        out.add(Value("email", m.start(), m.end(), (m.group(0).lower(),), (m.group(0).lower(),)))
    for m in _SCOPE.finditer(text, low):
        out.taken.append((m.start(), m.end()))  # "seven days a week", "out of 5": no claim of their own
    _dates(text, low, now, out)
    for m in _TIME.finditer(text, low):
        if m.group(6):
            word = m.group(6).lower()
            t: int | None = _NAMED_TIMES.get(word, 720)
        elif m.group(1):
            sfx = m.group(3)
            if m.group(0)[len(m.group(1))] == "." and not sfx:
                continue  # 12.50 is a number, not a time, unless "Uhr"/"h" follows
            t = parse_time(int(m.group(1)), int(m.group(2)), sfx)
        else:
            t = parse_time(int(m.group(4)), 0, m.group(5))
        if t is not None:
            out.add(Value("time", m.start(), m.end(), (t,), (t,), float(t)))
    for m in PHONE_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 8 <= len(digits) <= 15 and not re.fullmatch(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}", m.group(0)):
            if re.search(r"[\s().\-/+]", m.group(0)) or m.group(0).startswith(("+", "00")):
                out.add(Value("phone", m.start(), m.end(), (digits[-8:],), (digits[-8:],)))
    for m in _AMOUNT.finditer(text, low):
        cur_tok = (m.group(1) or m.group(4) or m.group(5) or "").lower()
        num_tok = m.group(2) or m.group(3)
        val = parse_number(num_tok)
        cur = CURRENCY_WORDS.get(cur_tok, cur_tok.upper())
        if val is not None:
            out.add(Value("amount", m.start(), m.end(), ((cur, val),), ((cur, val), ("any", val)), val))
    for m in _PERCENT.finditer(text, low):
        val = parse_number(m.group(1))
        if val is not None:
            out.add(Value("percentage", m.start(), m.end(), (val,), (val,), val))
    for m in _SPECIAL.finditer(text, low):
        mins = SPECIAL_DURATIONS[m.group(0).lower()]
        out.add(Value("duration", m.start(), m.end(), (mins,), (mins,), None))
    for m in _DURATION.finditer(text, low):
        if text[m.end():m.end() + 4].lower() in ("-to-", "-by-"):
            continue  # "day-to-day", "day-by-day"
        size = UNITS[m.group(4).lower()][1]
        if m.group(3):
            n = number_word(m.group(3))
            if n is None:
                continue
            if n == 1 and re.search(r"[\d$€£¥]\s*$", text[max(0, m.start() - 3):m.start()]):
                continue  # "$19.99 a month" is a rate, not a duration
            out.add(Value("duration", m.start(), m.end(), (n * size,), (n * size,), n))
            continue
        a = parse_number(m.group(1))
        b = parse_number(m.group(2)) if m.group(2) else None
        if a is None:
            continue
        if b is None:
            out.add(Value("duration", m.start(), m.end(), (a * size,), (a * size,), a))
        else:
            # a range "5-7 days": the claim is the pair; each end is also indexed on its own
            out.add(Value("duration", m.start(), m.end(), (("range", a * size, b * size),),
                          (("range", a * size, b * size), a * size, b * size), a))
    for m in ID_RE.finditer(text):
        key = m.group(0).lstrip("#").upper()
        out.add(Value("id", m.start(), m.end(), (key,), (key,)))
    for m in NUMBER_TOKEN_RE.finditer(text):
        if _glued(text, m.end()):
            continue  # "3rd", "5JFH5", "1990s": an ordinal or a code, not a quantity
        val = parse_number(m.group(0))
        if val is not None:
            out.add(Value("number", m.start(), m.end(), (val,), (val,), val))
    for m in _BARE_WORD.finditer(text, low):
        val = _BARE_WORDS[m.group(1).lower()]
        out.add(Value("number", m.start(), m.end(), (val,), (val,), val))
    out.values.sort(key=lambda v: v.start)
    return out.values


_UNIT_SUFFIX = re.compile(r"(?:kg|g|lbs?|oz|km|m|cm|mm|mi|ml|l|gb|mb|tb|kb|k|x|h|hrs?|mins?|mph|kph|kwh|w|v)\b",
                          re.I)


def _glued(text: str, end: int) -> bool:
    """Whether the digits ending at ``end`` run on into letters that are not a unit ("3rd", "8DHKY")."""
    if end >= len(text) or not text[end].isalpha():
        return False
    return _UNIT_SUFFIX.match(text, end) is None


def _dates(text: str, low: str | None, now: datetime | None, out: _Out) -> None:
    for m in ISO_DATE_RE.finditer(text):
        d = _mk_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d is not None:
            p, k = _date_keys(d)
            out.add(Value("date", m.start(), m.end(), p, k))
    for m in NUM_DATE_RE.finditer(text):
        a, b, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
        y = y + 2000 if y < 100 else y
        prim: list[Hashable] = []
        keys: list[Hashable] = []
        for dd, mm in ((a, b), (b, a)):  # day-first, then month-first (US)
            d = _mk_date(y, mm, dd)
            if d is not None and ("d", d.year, d.month, d.day) not in prim:
                p, k = _date_keys(d)
                prim += p
                keys += k
        if prim:
            out.add(Value("date", m.start(), m.end(), tuple(prim), tuple(keys)))
    for m in _TEXT_DATE.finditer(text, low):
        if m.group(2):
            day, mon, yr = int(m.group(1)), MONTHS[m.group(2).lower()], m.group(3)
        else:
            day, mon, yr = int(m.group(5)), MONTHS[m.group(4).lower()], m.group(6)
        if not 1 <= day <= 31:
            continue
        if m.group(4) and m.group(4).lower() in ("may", "mar", "march") and text[m.start(4)].islower():
            continue  # "you may 2 ..." is not a date
        if yr:
            d = _mk_date(int(yr), mon, day)
            if d is None:
                continue
            p, k = _date_keys(d)
            out.add(Value("date", m.start(), m.end(), p, k))
        else:
            key = ("md", mon, day)
            out.add(Value("date", m.start(), m.end(), (key,), (key,)))
    for m in _REL_DATE.finditer(text, low):
        if m.group(4):
            wd = WEEKDAYS[m.group(4).lower()]
            if now is None or not re.match(r"(?i)next|nächsten|kommenden|prochain|el próximo|nästa|volgende|"
                                           r"aanstaande|prossimo|próxima|próximo|coming|this", m.group(0)):
                wkey: Hashable = ("wd", wd)
                out.add(Value("date", m.start(4), m.end(), (wkey,), (wkey,), relative=True))
                continue
            ahead = (wd - now.weekday()) % 7 or 7
            d = now.date() + timedelta(days=ahead)
        else:
            # "tomorrow" in a source supports "tomorrow" in the reply (both said relative to now)
            offset = 2 if m.group(1) else 1 if m.group(2) else 0
            rel: tuple[Hashable, ...] = (("rel", offset),)
            if now is None:
                out.add(Value("date", m.start(), m.end(), rel, rel, relative=True))
                continue
            d = now.date() + timedelta(days=offset)
            p, k = _date_keys(d)
            out.add(Value("date", m.start(), m.end(), p + rel, k + rel, relative=True))
            continue
        p, k = _date_keys(d)
        out.add(Value("date", m.start(), m.end(), p, k, relative=True))
