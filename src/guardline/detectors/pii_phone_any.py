"""Phone numbers written the way SOME country writes them, whichever country that is.

A national number of a region outside the policy's hints (``024 971 50 30`` is Swiss, ``71-33-52-22``
Danish or Norwegian) is accepted without a phone keyword when two independent things hold:

1. phonenumbers finds it VALID in a region, read with that region's trunk prefix where it has one;
2. it is written with that region's own digit grouping (the grouping phonenumbers prints in the
   region's national format: ``024 971 50 30`` is exactly how a Swiss number is printed), or with an
   explicit phone shape (a parenthesised area code, an extension).

Validity alone is weak (most random 8-digit strings are valid in some region); the written grouping
carries the evidence: amounts, order numbers and ids are seldom written in a numbering plan's own
groups with separators, while people copy phone numbers the way they are printed. The callers exclude
what such groups can also be (``pii_digits.phone_shape``: amounts, counts, times, house and suite
numbers) and never ask about a part of a longer digit run.

Trying all 245 regions with ``phonenumbers.parse`` costs ~30 ms; instead two indexes built once from
phonenumbers' own metadata narrow the search to a few regions in microseconds: the digit groupings each
region's national formats can print (``(\\d{2})(\\d{3})(\\d{2})(\\d{2})`` with the trunk-prefix rule
``0\\1`` prints 3-3-2-2), and the national-number patterns of every valid number type. Both only rule
regions out; phonenumbers itself parses, validates and formats the survivors and has the last word.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumberFormat

from .pii_phone_plan import may_be_valid, valid_pattern

__all__ = ["AnyRegionPhone", "any_region_phone", "digit_groups", "warm_up"]

_DIGITS = re.compile(r"\d+")
MIN_DIGITS = 7
MAX_DIGITS = 12


@dataclass(frozen=True, slots=True)
class _Region:
    region: str
    prefix: str                 # trunk prefix that national writing starts with ("" when none)
    pattern: re.Pattern[str]    # union of the national-number patterns of every valid type


@dataclass(frozen=True, slots=True)
class AnyRegionPhone:
    region: str
    e164: str
    nsn: str
    grouped: bool               # written with the region's own digit grouping


@dataclass(frozen=True, slots=True)
class _Index:
    by_grouping: dict[tuple[int, ...], tuple[_Region, ...]]
    by_length: dict[int, tuple[_Region, ...]]


def digit_groups(text: str) -> tuple[int, ...]:
    """The lengths of the digit groups of a written number (``(08) 8747 6301`` -> (2, 4, 4))."""
    return tuple(len(g) for g in _DIGITS.findall(text))


_GROUP_RE = re.compile(r"\(\\d(?:\{(\d+)(?:,(\d+))?\})?\)")
_SIMPLE_PATTERN = re.compile(r"(?:\(\\d(?:\{\d+(?:,\d+)?\})?\))+")
_BACKREF = re.compile(r"\\(\d)")


def _printed(fmt: str, rule: str | None, lengths: tuple[int, ...]) -> tuple[int, ...]:
    """The digit grouping of ``fmt`` (``\\1 \\2``) filled with groups of ``lengths``, the first group
    written through the trunk-prefix ``rule`` (``0\\1``) when there is one."""
    def fill(m: re.Match[str]) -> str:
        i = int(m.group(1)) - 1
        group = "5" * lengths[i] if i < len(lengths) else ""
        return _BACKREF.sub(group, rule) if i == 0 and rule else group
    return digit_groups(_BACKREF.sub(fill, fmt))


def _groupings(meta: PhoneMetadata) -> set[tuple[int, ...]]:
    """Every digit grouping the national formats of ``meta`` can print (with and without the
    trunk-prefix rule), up to MAX_DIGITS digits. A format whose pattern is more than a sequence of
    digit groups (none is, today) is skipped: that only rules its region out."""
    out: set[tuple[int, ...]] = set()
    for fmt in meta.number_format:
        if fmt.pattern is None or fmt.format is None or _SIMPLE_PATTERN.fullmatch(fmt.pattern) is None:
            continue
        ranges = [(int(a), int(b or a)) if a else (1, 1) for a, b in _GROUP_RE.findall(fmt.pattern)]
        for lengths in itertools.product(*(range(a, min(b, MAX_DIGITS) + 1) for a, b in ranges)):
            if sum(lengths) <= MAX_DIGITS:
                for rule in {None, fmt.national_prefix_formatting_rule}:
                    out.add(_printed(fmt.format, rule, lengths))
    return out


def _build() -> _Index:
    by_grouping: dict[tuple[int, ...], list[_Region]] = {}
    by_length: dict[int, list[_Region]] = {}
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        meta = PhoneMetadata.metadata_for_region(region, None)
        if meta is None or meta.general_desc is None:
            continue
        pattern = valid_pattern(meta)
        if pattern is None:
            continue
        # "1" is North America's optional long-distance prefix, not a trunk prefix national writing needs
        trunk = meta.national_prefix or ""
        entry = _Region(region, "" if trunk == "1" else trunk, pattern)
        for n in set(meta.general_desc.possible_length or ()):
            by_length.setdefault(n + len(entry.prefix), []).append(entry)
        formats = meta
        # regions sharing a calling code print with the main region's formats
        if not meta.number_format and meta.country_code is not None:
            main = phonenumbers.region_code_for_country_code(meta.country_code)
            formats = PhoneMetadata.metadata_for_region(main, None) or meta
        for grouping in _groupings(formats):
            by_grouping.setdefault(grouping, []).append(entry)
    return _Index({k: tuple(v) for k, v in by_grouping.items()}, {k: tuple(v) for k, v in by_length.items()})


_INDEX: _Index | None = None
_LOCK = threading.Lock()


def _index() -> _Index:
    global _INDEX
    if _INDEX is None:
        with _LOCK:
            if _INDEX is None:
                _INDEX = _build()
    return _INDEX


_WARM = threading.Event()
_WARM_LOCK = threading.Lock()


def warm_up() -> None:
    """Prepare everything the phone tiers need once per process, instead of on the first messages:
    the region indexes (~0.3 s), and phonenumbers' compiled metadata patterns (~0.15 s: an example
    number of every region parsed, validated and formatted).

    Where phonenumbers offers it (``enable_pattern_cache``, e.g. 9.0.43), its patterns are kept for
    good: without it they live in the ``re`` module's cache of 512 entries, which numbers from many
    regions overflow, so patterns are compiled again and again (python-phonenumbers issue #108)."""
    if _WARM.is_set():
        return
    with _WARM_LOCK:
        if _WARM.is_set():
            return
        enable = getattr(phonenumbers, "enable_pattern_cache", None)
        if callable(enable):
            enable()
        _index()
        may_be_valid("US", "0")
        _warm_patterns()
        _WARM.set()


def _warm_patterns() -> None:
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            phonenumbers.is_valid_number(number)
            try:
                phonenumbers.parse(phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL), region)
                phonenumbers.parse(phonenumbers.format_number(number, PhoneNumberFormat.E164), None)
            except NumberParseException:
                continue


def _candidates(regions: tuple[_Region, ...], digits: str) -> list[str]:
    """Those of ``regions`` whose number patterns ``digits`` (as written nationally) can match."""
    out: list[str] = []
    for r in regions:
        if r.prefix:
            if not digits.startswith(r.prefix):
                continue
            nsn = digits[len(r.prefix):]
        else:
            nsn = digits
        if r.pattern.fullmatch(nsn) is not None:
            out.append(r.region)
    return out


def any_region_phone(raw: str, digits: str, groups: tuple[int, ...], *,
                     explicit_shape: bool) -> AnyRegionPhone | None:
    """The first region (alphabetical) in which ``raw`` is valid AND written with that region's grouping
    (or any valid region when ``explicit_shape``: parentheses around an area code, an extension)."""
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS or (len(groups) < 2 and not explicit_shape):
        return None
    index = _index()
    regions = index.by_length.get(len(digits), ()) if explicit_shape else index.by_grouping.get(groups, ())
    fallback: AnyRegionPhone | None = None
    for region in _candidates(regions, digits):
        try:
            number = phonenumbers.parse(raw, region)
        except NumberParseException:
            continue
        if not phonenumbers.is_valid_number(number):
            continue
        national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
        grouped = digit_groups(national) == groups
        if grouped or (explicit_shape and fallback is None):
            found = AnyRegionPhone(region, phonenumbers.format_number(number, PhoneNumberFormat.E164),
                                   phonenumbers.national_significant_number(number), grouped)
            if grouped:
                return found
            fallback = found
    return fallback
