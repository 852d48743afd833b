"""Phone numbers: candidates from the digit-run pattern, confirmed by phonenumbers.

Three tiers, strongest first:

1. written internationally (``+46 73 555 12 34``, ``0046...``): parsed without a region; valid -> 1.0;
2. valid in one of the region hints (policy regions, then the message's region), written with the
   region's trunk prefix where it has one -> 0.95;
3. no phone keyword near it, but valid in SOME region and written with that region's own digit grouping
   (or with a parenthesised area code or an extension) -> "any_region", 0.8 (``pii_phone_any``);
4. not valid in any hinted region but a phone keyword (``phone``, ``call me``, ``fax``) stands shortly
   before it (or a label such as ``office`` after it) and it has 7..15 digits -> "unverified", 0.6.

Only candidates are parsed; regions whose possible national lengths cannot fit the candidate are
skipped before calling the parser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from .pii_phone_any import any_region_phone
from .pii_phone_plan import may_be_valid

__all__ = ["PhoneResult", "Shape", "classify_phone"]

Shape = tuple[str, tuple[int, ...], bool]  # (number as written, its digit groups, explicit phone shape)

_E164 = PhoneNumberFormat.E164


@dataclass(frozen=True, slots=True)
class PhoneResult:
    kind: str                    # "e164" (validated), "any_region" (validated, unhinted) or "unverified"
    score: float
    canonical: tuple[str, ...]   # (E.164, national significant number) or digits for unverified
    region: str | None


@lru_cache(maxsize=512)
def _region_lengths(region: str) -> tuple[frozenset[int], str] | None:
    """Possible national lengths and the national prefix of ``region`` (None: unknown region)."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region.upper(), None)
    if meta is None:
        return None
    desc = meta.general_desc
    if desc is None:
        return None
    lengths = set(desc.possible_length or ())
    lengths.update(desc.possible_length_local_only or ())
    return frozenset(lengths), meta.national_prefix or ""


def _fits(region: str, digits: str) -> bool:
    """Could ``digits`` be a nationally written number of ``region``? Where a trunk prefix is part of
    national writing (``0`` in most of the world, not the optional ``1`` of North America), a number
    written without it is not taken as that region's (``3747 3911`` is no German number)."""
    info = _region_lengths(region)
    if info is None:
        return False
    lengths, prefix = info
    n = len(digits)
    if prefix and prefix != "1":
        return digits.startswith(prefix) and (n - len(prefix)) in lengths
    return n in lengths or (bool(prefix) and digits.startswith(prefix) and (n - len(prefix)) in lengths)


def _valid_region(number: phonenumbers.PhoneNumber | None, hints: tuple[str, ...] = ()) -> str | None:
    """The region of a VALID number, else None: ``phonenumbers.is_valid_number`` spelled out so that
    the hinted regions of the number's calling code are asked first (one pattern check each) before
    phonenumbers' own region lookup, a walk over up to 25 regions for +1, is done once."""
    if number is None:
        return None
    for hint in hints:
        if _code_of(hint) == number.country_code and phonenumbers.is_valid_number_for_region(number, hint):
            return hint
    region: str | None = phonenumbers.region_code_for_number(number)
    if region is None or not phonenumbers.is_valid_number_for_region(number, region):
        return None
    return region


@lru_cache(maxsize=512)
def _code_of(region: str) -> int:
    return phonenumbers.country_code_for_region(region)


def _result(number: phonenumbers.PhoneNumber, score: float, region: str) -> PhoneResult:
    nsn = phonenumbers.national_significant_number(number)
    # E.164 is "+", the calling code and the national significant number (what format_number prints)
    return PhoneResult("e164", score, (f"+{number.country_code}{nsn}", nsn), region)


def _parse(raw: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(raw, region)
    except NumberParseException:
        return None


def _ask(flag: bool | Callable[[], bool]) -> bool:
    return flag if isinstance(flag, bool) else flag()


def classify_phone(raw: str, digits: str, *, international: bool, regions: tuple[str, ...],
                   phone_context: bool | Callable[[], bool],
                   shape: Callable[[], Shape | None] | None = None) -> PhoneResult | None:
    """Classify a digit run as a phone number (see the module docstring), or None.

    ``phone_context`` (a phone keyword near the run) may be a function: it is then asked only when a
    validated tier does not already decide.

    ``shape`` enables tier 3: called only when tiers 1 and 2 fail, it returns the number as written
    without its extension, its digit-group lengths and whether it has an explicit phone shape, or None
    when its shape says amount, count, date, time or address (``pii_digits.phone_shape``)."""
    n = len(digits)
    if n < 7 or n > 17:
        return None
    if international or digits.startswith("00"):
        text = raw if international else "+" + digits[2:]
        number = _parse(text, None)
        valid = _valid_region(number, regions)
        if number is not None and valid is not None:
            return _result(number, 1.0, valid)
        if number is not None and _ask(phone_context) and phonenumbers.is_possible_number(number):
            return PhoneResult("unverified", 0.6, (phonenumbers.format_number(number, _E164),
                                                  phonenumbers.national_significant_number(number)), None)
        return None
    for region in regions:
        if not _fits(region, digits) or not may_be_valid(region, digits):
            continue
        number = _parse(raw, region)
        valid = _valid_region(number, regions)
        if number is not None and valid is not None:
            return _result(number, 0.95, valid)
    context = _ask(phone_context)
    written = shape() if shape is not None and not context else None
    if written is not None:
        found = any_region_phone(written[0], digits, written[1], explicit_shape=written[2])
        if found is not None:
            return PhoneResult("any_region", 0.8, (found.e164, found.nsn), found.region)
    if context and n <= 15:
        return PhoneResult("unverified", 0.6, (digits, digits.lstrip("0")), None)
    return None
