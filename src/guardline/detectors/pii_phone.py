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

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from .pii_phone_any import any_region_phone

__all__ = ["PhoneResult", "classify_phone"]

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


def _result(number: phonenumbers.PhoneNumber, score: float) -> PhoneResult:
    e164 = phonenumbers.format_number(number, _E164)
    nsn = phonenumbers.national_significant_number(number)
    return PhoneResult("e164", score, (e164, nsn), phonenumbers.region_code_for_number(number))


def _parse(raw: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(raw, region)
    except NumberParseException:
        return None


def classify_phone(raw: str, digits: str, *, international: bool, regions: tuple[str, ...],
                   phone_context: bool, written: str | None = None, groups: tuple[int, ...] = (),
                   explicit_shape: bool = False) -> PhoneResult | None:
    """Classify a digit run as a phone number (see the module docstring), or None.

    ``written`` (the number without its extension, with ``groups`` its digit-group lengths) enables
    tier 3; the caller passes it only for candidates whose shape is no amount, date or time."""
    n = len(digits)
    if n < 7 or n > 17:
        return None
    if international or digits.startswith("00"):
        text = raw if international else "+" + digits[2:]
        number = _parse(text, None)
        if number is not None and phonenumbers.is_valid_number(number):
            return _result(number, 1.0)
        if number is not None and phone_context and phonenumbers.is_possible_number(number):
            return PhoneResult("unverified", 0.6, (phonenumbers.format_number(number, _E164),
                                                  phonenumbers.national_significant_number(number)), None)
        return None
    for region in regions:
        if not _fits(region, digits):
            continue
        number = _parse(raw, region)
        if number is not None and phonenumbers.is_valid_number(number):
            return _result(number, 0.95)
    if written is not None and not phone_context:
        found = any_region_phone(written, digits, groups, explicit_shape=explicit_shape)
        if found is not None:
            return PhoneResult("any_region", 0.8, (found.e164, found.nsn), found.region)
    if phone_context and n <= 15:
        return PhoneResult("unverified", 0.6, (digits, digits.lstrip("0")), None)
    return None
