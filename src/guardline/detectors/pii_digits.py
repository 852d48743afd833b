"""Digit runs: one candidate pattern, then national id -> payment card -> phone, strongest first.

A run may join numbers written side by side (``811228-9874 2``, ``3378 217 Lovers Lane``): when the
whole run is nothing, its whitespace-separated groups are read left to right, longest span first.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .pii_base import NATIONAL_ID, PAYMENT_CARD, PHONE, PiiMatch
from .pii_cues import Cues
from .pii_ids import classify_card, classify_digit_id, compact_id
from .pii_patterns import (
    ADDRESS_PART_AFTER,
    ADDRESS_PART_BEFORE,
    AMOUNT_AFTER,
    AMOUNT_BEFORE,
    CARD_CONTEXT,
    ID_CONTEXT,
    ID_CONTEXT_KINDS,
    PHONE_CONTEXT,
    PHONE_LABEL_AFTER,
    PHONE_NEGATIVE,
)
from .pii_phone import Shape, classify_phone
from .pii_phone_any import digit_groups

__all__ = ["classify_run", "dateish", "split_run"]

_NON_DIGIT = re.compile(r"\D")
_DATEISH = re.compile(r"\(?(\d{1,4})[-./](\d{1,2})[-./](\d{1,4})(?!\d)")
_GROUP = re.compile(r"[^ \t]+")
_SEPARATORS = re.compile(r"[^\d()]+")
_AREA_CODE = re.compile(r"\(\d{1,5}\)")
_CODE_BEFORE = re.compile(r"(?:[^\W\d_]+\d|\d+[^\W\d_])\w*[ \t]$")  # "1Z 999 AA1 " + digits: one code
_YEAR = re.compile(r"(?:19|20)\d\d")
_ID_KINDS_BY_GROUP = {f"k{i}": frozenset(kinds) for i, (_, kinds) in enumerate(ID_CONTEXT_KINDS)}
MAX_GROUPS = 6


def dateish(raw: str) -> bool:
    """``2000-04-16 11``, ``2/8/1935``, ``16.04.2000``: a calendar date, not a number."""
    m = _DATEISH.match(raw)
    if m is None:
        return False
    a, b, c = (int(g) for g in m.groups())
    if len(m.group(1)) == 3:
        return False  # "023-01-0866" is an SSN, no date
    if len(m.group(1)) == 4:
        return 1 <= b <= 12 and 1 <= c <= 31
    if len(m.group(3)) not in (2, 4):
        return False
    return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)


def phone_shape(text: str, s: int, core_end: int, end: int) -> tuple[int, ...] | None:
    """The digit grouping of a candidate that may be a phone number of an unhinted region, or None
    when its shape says amount, count, time, list or address: a currency or unit next to it, mixed
    separators (``14.30 - 16.45``), thousands grouping that starts with one digit or ends in ``000``, a
    unit word before it (``Suite 541``) or a street name after it (``3747 3911 fourth avenue``), the
    tail of a code with letters (``1Z 999 AA1 01 2345 6784``), years (``2021-2022``)."""
    raw = text[s:core_end]
    before = max(0, s - 16)
    if (AMOUNT_BEFORE.search(text, before, s) is not None or AMOUNT_AFTER.match(text, end) is not None
            or ADDRESS_PART_BEFORE.search(text, before, s) is not None
            or ADDRESS_PART_AFTER.match(text, end) is not None
            or _CODE_BEFORE.search(text, before, s) is not None):
        return None
    groups = digit_groups(raw)
    if all(_YEAR.fullmatch(g) for g in re.findall(r"\d+", raw)):
        return None
    if _AREA_CODE.match(raw) is None:
        seps = {sep.strip() or " " for sep in _SEPARATORS.findall(raw)}
        if len(seps) > 1:
            return None
        if len(groups) >= 3 and all(g == 3 for g in groups[1:]) and (groups[0] == 1 or raw.endswith("000")):
            return None
    return groups


def split_run(text: str, s: int, e: int,
              classify: Callable[[int, int], PiiMatch | None]) -> list[PiiMatch]:
    """Values inside a run that is nothing as a whole: its whitespace-separated groups are read left
    to right, each time taking the longest span of up to MAX_GROUPS groups that ``classify`` accepts."""
    groups = [(g.start() + s, g.end() + s) for g in _GROUP.finditer(text[s:e])]
    found: list[PiiMatch] = []
    i = 0
    while i < len(groups):
        for j in range(min(len(groups), i + MAX_GROUPS), i, -1):
            if i == 0 and j == len(groups):
                continue  # the whole run: already tried
            match = classify(groups[i][0], groups[j - 1][1])
            if match is not None:
                found.append(match)
                i = j
                break
        else:
            i += 1
    return found


def classify_run(text: str, s: int, core_end: int, end: int, *, international: bool,
                 regions: tuple[str, ...], window: int, cues: Cues, sub: bool = False) -> PiiMatch | None:
    """What the digit run ``text[s:core_end]`` is (``end`` includes a phone extension), or None.

    The keyword patterns are searched in the ``window`` characters before the run only where ``cues``
    says one of their words starts there.

    ``sub``: a part of a longer run that was nothing. A card or id keyword before the run then means
    the whole run was a (failed) card or id, so no part of it is taken; and a part with spaces inside
    is never a card nor an Aadhaar by shape alone (both are what 16 digits in groups of four leave
    when a group is cut off).
    """
    raw = text[s:core_end]
    digits = _NON_DIGIT.sub("", raw)
    lo = max(0, s - window)
    before = text[lo:s]
    if not international:
        shaped = raw.strip("()")
        id_kinds: frozenset[str] = frozenset()
        if cues.within("id", lo, s):
            for c in ID_CONTEXT.finditer(before):
                id_kinds |= _ID_KINDS_BY_GROUP[c.lastgroup or ""]
        card_ctx = cues.within("card", lo, s) and CARD_CONTEXT.search(before) is not None
        if sub and (card_ctx or id_kinds):
            return None
        found = classify_digit_id(shaped, digits, id_kinds, allow_aadhaar_shape=False)
        if found is None and not (sub and (" " in raw or "\t" in raw)):
            card = classify_card(digits, card_context=card_ctx)
            if card is not None:
                return PiiMatch(PAYMENT_CARD, card[0], s, core_end, raw, (digits,), card[1])
            if len(digits) == 12:
                found = classify_digit_id(shaped, digits, id_kinds, allow_aadhaar_shape=True)
        if found is not None:
            kind, score = found
            return PiiMatch(NATIONAL_ID, kind, s, core_end, raw, (compact_id(kind, shaped),), score)
        if id_kinds or card_ctx or ((cues.within("not_phone", lo, s) or "#" in before)
                                    and PHONE_NEGATIVE.search(before) is not None):
            return None  # a failed id or card, an order number: not a phone
    def phone_ctx() -> bool:
        return ((cues.within("phone", lo, s) and PHONE_CONTEXT.search(before) is not None)
                or PHONE_LABEL_AFTER.match(text, end) is not None)

    value = text[s:end]

    def shape() -> Shape | None:
        groups = phone_shape(text, s, core_end, end)
        if groups is None:
            return None
        return raw, groups, end > core_end or _AREA_CODE.match(raw) is not None

    # a part of a longer run is never a phone by its shape alone (``5698 7654`` of a failed IBAN)
    phone = classify_phone(value, digits, international=international, regions=regions,
                           phone_context=phone_ctx, shape=None if international or sub else shape)
    if phone is None:
        return None
    return PiiMatch(PHONE, phone.kind, s, end, value, phone.canonical, phone.score, phone.region or "")
