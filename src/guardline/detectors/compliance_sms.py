"""SMS encoding and segment count (3GPP TS 23.038 / 23.040).

GSM-7: the default alphabet costs one septet a character, its extension table (``^{}\\[~]|€`` and
form feed) two; a single SMS holds 160 septets, a part of a concatenated one 153 (the user data
header takes the rest), and an escape pair is never split across parts. Any other character forces
UCS-2: 70 UTF-16 code units in one SMS, 67 per part, a surrogate pair never split.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SmsInfo", "sms_info"]

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True, slots=True)
class SmsInfo:
    encoding: str  # "GSM-7" | "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    first_non_gsm: int | None  # offset of the first character that forced UCS-2


def _segments(costs: list[int], single: int, part: int) -> int:
    total = sum(costs)
    if total <= single:
        return 1 if total else 0
    segments, used = 1, 0
    for cost in costs:
        if used + cost > part:
            segments += 1
            used = 0
        used += cost
    return segments


def sms_info(text: str) -> SmsInfo:
    # the common case in set operations (C speed): the per-character costs are only listed when the
    # text is long enough to need more than one segment
    if _GSM7.issuperset(text):
        extended = 0 if GSM7_EXTENSION.isdisjoint(text) else sum(1 for c in text if c in GSM7_EXTENSION)
        units = len(text) + extended
        if units <= 160:
            return SmsInfo("GSM-7", units, 1 if units else 0, None)
        costs = [2 if c in GSM7_EXTENSION else 1 for c in text]
        return SmsInfo("GSM-7", units, _segments(costs, 160, 153), None)
    first_non_gsm = next(i for i, c in enumerate(text) if c not in _GSM7)
    astral = max(text) > "\uffff"
    costs = [2 if ord(c) > 0xFFFF else 1 for c in text] if astral else [1] * len(text)
    return SmsInfo("UCS-2", sum(costs), _segments(costs, 70, 67), first_non_gsm)


_GSM7 = GSM7_BASIC | GSM7_EXTENSION
