"""What a grounding source supports, computed once per source text and kept in a small LRU keyed by
a hash of the text (knowledge-base passages repeat across messages).

A tool output that looks like JSON is parsed; its leaves become fields (for attribute and hours checks)
and text (each leaf rendered as "key tokens: value", so values keep their field name as context).
Invalid JSON falls back to plain text and is reported. Sources longer than ``max_chars`` are scanned
up to that prefix and reported.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from .grounding_fields import field_facts, flatten, key_tokens
from .grounding_hours import Schedule, schedule_from_fields, schedule_from_text
from .grounding_lexicon import WEEKDAYS
from .grounding_text import WORD_RE, content_stems, sentence_bounds, stem
from .grounding_values import extract_values

__all__ = ["SourceIndex", "index_source", "merge"]

_UNIT_KEYS = {"minutes": 1.0, "minute": 1.0, "mins": 1.0, "min": 1.0, "hours": 60.0, "hour": 60.0,
              "hrs": 60.0, "days": 1440.0, "day": 1440.0, "weeks": 10080.0, "week": 10080.0,
              "months": 43200.0, "month": 43200.0, "years": 525600.0, "year": 525600.0}


@dataclass(slots=True)
class SourceIndex:
    """Everything one or more sources support."""

    keys: dict[str, set[Hashable]] = field(default_factory=dict)
    numbers: set[float] = field(default_factory=set)
    plain_numbers: set[float] = field(default_factory=set)
    # kind -> list of (primary key, context stems) of each occurrence, for contradictions
    slots: dict[str, list[tuple[Hashable, frozenset[str]]]] = field(default_factory=dict)
    stems: set[str] = field(default_factory=set)
    lower: str = ""
    facts: dict[tuple[str, ...], Any] = field(default_factory=dict)
    schedule: Schedule | None = None
    unparsed: bool = False
    truncated: bool = False
    empty: bool = True
    key: bytes = b""
    # answers derived from this index on demand, kept with it (the index is cached per source)
    memo: dict[Hashable, object] = field(default_factory=dict)


def _context(text: str, start: int, end: int, bounds: tuple[int, int], width: int = 60) -> frozenset[str]:
    lo = max(bounds[0], start - width)
    hi = min(bounds[1], end + width // 2)
    return frozenset(content_stems(text, lo, start) + content_stems(text, end, hi))


def _index_text(idx: SourceIndex, text: str, base_context: frozenset[str] = frozenset(),
                now: Any = None) -> None:
    sents = sentence_bounds(text) or [(0, len(text))]
    si = 0
    for v in extract_values(text, now):
        while si < len(sents) - 1 and sents[si][1] <= v.start:
            si += 1
        idx.keys.setdefault(v.kind, set()).update(v.keys)
        ctx = _context(text, v.start, v.end, sents[si]) | base_context
        idx.slots.setdefault(v.kind, []).append((v.primary[0], ctx))
        if v.num is not None:
            idx.numbers.add(v.num)
            if v.kind == "number":
                idx.plain_numbers.add(v.num)
        if v.kind == "amount":
            idx.numbers.add(v.num or 0.0)
    for m in WORD_RE.finditer(text):
        w = m.group(0)
        idx.stems.add(stem(w))
        wd = WEEKDAYS.get(w.lower())
        if wd is not None:  # a weekday named in the grounding supports a claim about that weekday
            idx.keys.setdefault("date", set()).add(("wd", wd))


def _list_lengths(obj: Any, depth: int = 0) -> set[int]:
    """The lengths of the lists in a parsed JSON value: "I found 10 hotels" counts a list of results."""
    if depth > 20:
        return set()
    if isinstance(obj, dict):
        return set().union(*(_list_lengths(v, depth + 1) for v in obj.values()))
    if isinstance(obj, list):
        return {len(obj)}.union(*(_list_lengths(v, depth + 1) for v in obj))
    return set()


_PLAIN_NUMBER = re.compile(r"\s*-?\d+(?:\.\d+)?\s*")
_AMOUNT_KEYS = frozenset({"price", "amount", "total", "cost", "fee", "fare", "balance", "refund", "charge", "rent"})
# a number under one of these keys, with no unit in the key, is a duration in an unknown unit
# ("wait_time": "4", "stay_length": "7")
_SPAN_KEYS = frozenset({"time", "wait", "length", "duration", "stay", "eta", "period", "window", "nights"})


def _field_number(value: Any) -> float | None:
    """A JSON leaf's number: an int or a float, or a string that holds only a number ("3900000")."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and _PLAIN_NUMBER.fullmatch(value):
        return float(value)
    return None


def _index_field_number(idx: SourceIndex, num: float, toks: list[str], ctx: frozenset[str]) -> None:
    idx.numbers.add(num)
    idx.plain_numbers.add(num)
    idx.keys.setdefault("number", set()).add(num)
    idx.slots.setdefault("number", []).append((num, ctx))
    unit = next((_UNIT_KEYS[t] for t in reversed(toks) if t in _UNIT_KEYS), None)
    if unit is not None:
        idx.keys.setdefault("duration", set()).add(num * unit)
        idx.slots.setdefault("duration", []).append((num * unit, ctx))
    elif _SPAN_KEYS.intersection(toks):
        idx.keys.setdefault("duration_count", set()).add(num)
    if _AMOUNT_KEYS.intersection(toks):
        idx.keys.setdefault("amount", set()).add(("any", num))
        idx.slots.setdefault("amount", []).append((("any", num), ctx))


def _index_json(idx: SourceIndex, obj: Any) -> None:
    # how many items a list holds supports a count, unless a field gives another one (a sample of 3
    # reviews is not "3 reviews" when review_count says 26): the detector checks the slot first
    idx.keys.setdefault("count", set()).update(float(n) for n in _list_lengths(obj) if n >= 2)
    leaves = list(flatten(obj))
    idx.facts.update(field_facts(leaves))
    sched = schedule_from_fields(leaves)
    if sched is not None:
        idx.schedule = sched
    parts: list[str] = []
    for path, value in leaves:
        toks = [t for p in path for t in key_tokens(p)]
        ctx = frozenset(stem(t) for t in toks if len(t) >= 3)
        idx.stems.update(stem(t) for t in toks)
        for t in toks:
            if t in WEEKDAYS:
                idx.keys.setdefault("date", set()).add(("wd", WEEKDAYS[t]))
        if value is None or isinstance(value, bool):
            continue
        num = _field_number(value)
        if num is not None:
            _index_field_number(idx, num, toks, ctx)
            if not isinstance(value, str):
                continue
        s = str(value)
        _index_text(idx, s, ctx)
        parts.append(" ".join(toks) + ": " + s)
    idx.lower += "\n".join(parts).lower() + "\n"


def _looks_json(text: str) -> bool:
    s = text.lstrip()
    return s.startswith(("{", "["))


def _build(text: str, kind: str, max_chars: int) -> SourceIndex:
    idx = SourceIndex()
    if len(text) > max_chars:
        idx.truncated = True
        text = text[:max_chars]
    if not text.strip():
        return idx
    idx.empty = False
    if _looks_json(text):
        try:
            obj = json.loads(text)
        except ValueError:
            idx.unparsed = True
        else:
            _index_json(idx, obj)
            return idx
    idx.lower = text.lower()
    _index_text(idx, text)
    sched = schedule_from_text(text)
    if sched is not None:
        idx.schedule = sched
    return idx


class _LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[bytes, SourceIndex] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: bytes) -> SourceIndex | None:
        with self.lock:
            v = self.data.get(key)
            if v is not None:
                self.data.move_to_end(key)
            return v

    def put(self, key: bytes, value: SourceIndex) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


_CACHE = _LRU(512)


def index_source(text: str, kind: str, max_chars: int) -> SourceIndex:
    """The index of one source, from the cache when the same text was seen before."""
    key = hashlib.blake2b(f"{max_chars}\x00{kind}\x00".encode() + text.encode("utf-8", "surrogatepass"),
                          digest_size=16).digest()
    hit = _CACHE.get(key)
    if hit is None:
        hit = _build(text, kind, max_chars)
        hit.key = key
        _CACHE.put(key, hit)
    return hit


def merge(parts: list[SourceIndex]) -> SourceIndex:
    """One index over several sources: unions of the cached parts, itself cached by their keys (the
    same knowledge-base passages and tool outputs come back together)."""
    if len(parts) == 1:
        return parts[0]
    key = hashlib.blake2b(b"".join(p.key for p in parts), digest_size=16).digest()
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    out = _merge(parts)
    out.key = key
    _CACHE.put(key, out)
    return out


def _merge(parts: list[SourceIndex]) -> SourceIndex:
    out = SourceIndex()
    lowers = []
    for p in parts:
        for k, v in p.keys.items():
            out.keys.setdefault(k, set()).update(v)
        for k, sl in p.slots.items():
            out.slots.setdefault(k, []).extend(sl)
        out.numbers |= p.numbers
        out.plain_numbers |= p.plain_numbers
        out.stems |= p.stems
        out.facts.update(p.facts)
        lowers.append(p.lower)
        if p.schedule is not None:
            out.schedule = p.schedule if out.schedule is None else {**out.schedule, **p.schedule}
        out.empty = out.empty and p.empty
    out.lower = "\n".join(lowers)
    return out
