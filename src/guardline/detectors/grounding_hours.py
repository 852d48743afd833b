"""Opening hours: a weekly schedule read from the grounding (JSON fields named after weekdays, or text
such as "Monday-Friday 9:00-18:00"), and the reply's hours claims checked against it per day.

A claim is a time range ("from 5 pm to 9 pm", "17:00-21:00") with the day scope it is said for
("Monday to Saturday", "weekdays", "seven days a week", "on Sunday"); or a day scope said to be open or
closed. A claim that disagrees with the schedule on any day of its scope is a contradiction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .grounding_fast import CiPattern, lowered
from .grounding_lexicon import WEEKDAYS
from .grounding_text import is_negated, sentence_bounds, trie_alt
from .grounding_values import parse_time

__all__ = ["HoursCheck", "Schedule", "check_hours", "schedule_from_fields", "schedule_from_text"]

Schedule = dict[int, tuple[int, int] | None]  # weekday -> (open, close) minutes, None when closed

_WD = trie_alt(WEEKDAYS)
_DAY = rf"(?:{_WD})(?:s|e|en)?\b"
_TO = r"(?:-|–|to|through|thru|until|till|bis|à|au|a|al|hasta|tot(?: en met)?|fino a|até|t\.o\.m\.)"
_ALL = (r"seven days a week|7 days a week|every day|everyday|daily|all week(?: long)?|each day|täglich|"
        r"jeden tag|tous les jours|todos los días|alla dagar|varje dag|alle dagen|dagelijks|tutti i giorni|"
        r"todos os dias|monday (?:through|to|-) sunday")
_WEEKDAYS_RE = r"weekdays?|werktags|wochentags|en semaine|entre semana|vardagar|doordeweeks|giorni feriali|dias úteis"
_WEEKEND_RE = r"weekends?|wochenende|week-end|fines? de semana|helger(?:na)?|helgen|fine settimana|fins de semana"
DAYS_RE = re.compile(
    rf"\b(?:(?P<a>{_DAY})\s*{_TO}\s*(?P<b>{_DAY})|(?P<all>{_ALL})|(?P<wk>{_WEEKDAYS_RE})|"
    rf"(?P<we>{_WEEKEND_RE})|(?P<one>{_DAY}))", re.I)
_T = r"(\d{1,2})(?:[:.h](\d{1,2}))?\s*(a\.?m\.?|p\.?m\.?|uhr|h\b)?|(noon|midnight|midday|mitternacht|minuit)"
_DAYS = CiPattern(DAYS_RE)  # its screen: a day word anywhere (grounding_fast)
RANGE_RE = re.compile(rf"(?<![\d:.])(?:{_T})\s*{_TO}\s*(?:{_T})(?![\d:])", re.I)
_OPEN_RE = re.compile(r"\b(?:open|opens|geöffnet|ouvert|abierto|öppet|aperto|aberto)\b", re.I)
_CLOSED_RE = re.compile(r"\b(?:closed|geschlossen|fermé|cerrado|stängt|gesloten|chiuso|fechado)\b", re.I)
_WORD_TIMES = {"noon": 720, "midday": 720, "midnight": 0, "mitternacht": 0, "minuit": 0}


def _day(word: str) -> int | None:
    w = word.lower()
    for cut in (w, w[:-1], w[:-2]):
        if cut in WEEKDAYS:
            return WEEKDAYS[cut]
    return None


def _days(m: re.Match[str]) -> set[int]:
    if m.group("a"):
        a, b = _day(m.group("a")), _day(m.group("b"))
        if a is None or b is None:
            return set()
        return {(a + i) % 7 for i in range((b - a) % 7 + 1)}
    if m.group("all"):
        return set(range(7))
    if m.group("wk"):
        return set(range(5))
    if m.group("we"):
        return {5, 6}
    d = _day(m.group("one"))
    return set() if d is None else {d}


def _range(m: re.Match[str]) -> tuple[int, int] | None:
    g = m.groups()
    sides = []
    for base in (0, 4):
        h, mi, sfx, word = g[base], g[base + 1], g[base + 2], g[base + 3]
        sides.append((h, mi, sfx, word))
    if not any(s[1] or s[2] or s[3] for s in sides):
        return None  # "5-7" alone is not a time range
    times: list[int | None] = []
    for h, mi, sfx, word in sides:
        if word:
            times.append(_WORD_TIMES.get(word.lower(), 720))
        else:
            times.append(parse_time(int(h), int(mi or 0), sfx))
    o, c = times
    if o is None or c is None:
        return None
    sfx_o, sfx_c = (sides[0][2] or "").lower(), (sides[1][2] or "").lower()
    if not sfx_o and sfx_c.startswith("p") and sides[0][0] and int(sides[0][0]) < 12 and o + 720 <= c:
        o += 720  # "5-9 pm"
    return o, c


@dataclass(frozen=True, slots=True)
class _Item:
    start: int
    end: int
    days: set[int] | None = None
    hours: tuple[int, int] | None = None


def _items(text: str, lo: int, hi: int) -> list[_Item]:
    items = [_Item(m.start(), m.end(), days=_days(m)) for m in DAYS_RE.finditer(text, lo, hi)]
    items = [i for i in items if i.days]
    for m in RANGE_RE.finditer(text, lo, hi):
        r = _range(m)
        if r is not None and not any(not (m.end() <= i.start or m.start() >= i.end) for i in items):
            items.append(_Item(m.start(), m.end(), hours=r))
    items.sort(key=lambda i: i.start)
    merged: list[_Item] = []
    for it in items:  # "Monday, Wednesday and Friday" is one scope
        if (merged and it.days is not None and merged[-1].days is not None
                and re.fullmatch(r"[\s,&/]*(?:and|und|et|y|och|en|e|&)?[\s,]*", text[merged[-1].end:it.start])):
            prev = merged.pop()
            merged.append(_Item(prev.start, it.end, days=(prev.days or set()) | it.days))
        else:
            merged.append(it)
    return merged


def _pairs(text: str, lo: int, hi: int) -> list[tuple[_Item, set[int] | None]]:
    """Each time range with the day scope it is said for (None: no scope given)."""
    items = _items(text, lo, hi)
    out: list[tuple[_Item, set[int] | None]] = []
    for i, it in enumerate(items):
        if it.hours is None:
            continue
        prev = items[i - 1] if i > 0 else None
        nxt = items[i + 1] if i + 1 < len(items) else None
        after = items[i + 2] if i + 2 < len(items) else None
        if prev is not None and prev.days is not None:
            out.append((it, prev.days))
        elif nxt is not None and nxt.days is not None and (after is None or after.hours is None):
            out.append((it, nxt.days))
        else:
            earlier = [x.days for x in items[:i] if x.days is not None]
            out.append((it, earlier[-1] if earlier else None))
    return out


def _parse_hours_value(value: Any) -> tuple[int, int] | str | None:
    if not isinstance(value, str):
        return "unknown"
    if _CLOSED_RE.search(value):
        return None
    m = re.fullmatch(r"\s*(\d{1,2})[:.](\d{1,2})\s*-\s*(\d{1,2})[:.](\d{1,2})\s*", value)
    if not m:
        return "unknown"
    o, c = parse_time(int(m.group(1)), int(m.group(2)), None), parse_time(int(m.group(3)), int(m.group(4)), None)
    if o is None or c is None:
        return "unknown"
    return None if o == c == 0 else (o, c)


def schedule_from_fields(leaves: Iterable[tuple[tuple[str, ...], Any]]) -> Schedule | None:
    """Weekday-named fields ("Monday": "17:0-21:0") as a schedule; days without a field are closed."""
    sched: Schedule = {}
    for path, value in leaves:
        if not path:
            continue
        d = _day(path[-1])
        if d is None or path[-1].lower() not in WEEKDAYS:
            continue
        parsed = _parse_hours_value(value)
        if parsed != "unknown":
            sched[d] = parsed  # type: ignore[assignment]
    if not sched:
        return None
    for d in range(7):
        sched.setdefault(d, None)
    return sched


def schedule_from_text(text: str) -> Schedule | None:
    """Day scopes with time ranges in free text ("Mon-Fri 9:00-18:00, Sat 10:00-16:00")."""
    if _DAYS.search(text, lowered(text)) is None:
        return None  # a schedule needs a day scope, and no sentence names one (sentences split at spaces)
    sched: Schedule = {}
    for lo, hi in sentence_bounds(text):
        for item, days in _pairs(text, lo, hi):
            if days is None or item.hours is None:
                continue
            for d in days:
                sched[d] = item.hours
        for m in DAYS_RE.finditer(text, lo, hi):
            if _CLOSED_RE.search(text, m.end(), min(hi, m.end() + 25)) or _CLOSED_RE.search(
                    text, max(lo, m.start() - 25), m.start()):
                for d in _days(m):
                    sched.setdefault(d, None)
    return sched or None


@dataclass(frozen=True, slots=True)
class HoursCheck:
    start: int
    end: int
    outcome: str  # supported | contradiction
    evidence: str


_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _fmt(days: Iterable[int]) -> str:
    return ",".join(_NAMES[d] for d in sorted(days))


def check_hours(text: str, sched: Schedule, sentences: list[tuple[int, int]] | None = None) -> list[HoursCheck]:
    """The reply's hours claims against ``sched``."""
    out: list[HoursCheck] = []
    for lo, hi in sentences if sentences is not None else sentence_bounds(text):
        paired: list[tuple[int, int]] = []
        for item, days in _pairs(text, lo, hi):
            assert item.hours is not None
            scope = days if days is not None else set(range(7))
            wrong = {d for d in scope if sched.get(d) != item.hours}
            ok = (not wrong) if days is not None else len(wrong) < 7
            out.append(HoursCheck(item.start, item.end, "supported" if ok else "contradiction",
                                  "hours match the schedule" if ok else f"hours differ on {_fmt(wrong)}"))
            paired.append((item.start, item.end))
        if paired:
            continue
        # day scopes said to be open or closed, without hours
        for m in DAYS_RE.finditer(text, lo, hi):
            days = _days(m)
            if not days:
                continue
            if _OPEN_RE.search(text, lo, hi) and not is_negated(text, m.start(), m.end()):
                closed = {d for d in days if sched.get(d) is None}
                if m.group("all") or len(days) > 1 or closed:
                    out.append(HoursCheck(m.start(), m.end(), "contradiction" if closed else "supported",
                                          f"closed on {_fmt(closed)}" if closed else "open days match"))
            elif _CLOSED_RE.search(text, lo, hi):
                opened = {d for d in days if sched.get(d) is not None}
                out.append(HoursCheck(m.start(), m.end(), "contradiction" if opened else "supported",
                                      f"open on {_fmt(opened)}" if opened else "closed days match"))
    return out
