"""A cheap necessary condition for "phonenumbers finds these digits valid in this hinted region".

``phonenumbers.parse`` + validation costs ~20 us; a run of digits is tried in every hinted region it
could fit, and most of those parses end in "invalid". ``may_be_valid`` answers "certainly invalid"
in about a microsecond from phonenumbers' own metadata, so only the plausible regions are parsed:

- parsing a national number with a region may strip the region's calling code, then its national
  prefix (``national_prefix_for_parsing``, which may carry a carrier code and a transform rule, as in
  Brazil); the national significant number is one of those few strings;
- the number is valid when that string matches the pattern of a valid number type (fixed line,
  mobile, toll free ...) of a region sharing the calling code (a number parsed as "US" may be
  Canadian or Dominican).

When none of the candidate strings matches any of those patterns the number is certainly invalid.
Digits that start with the region's international call prefix (``00``, ``011``) may be read as an
international number: they are always left to phonenumbers.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneMetadata

__all__ = ["may_be_valid", "valid_pattern"]

_TYPES = ("fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "personal_number", "voip",
          "pager", "uan", "voicemail")


def valid_pattern(meta: PhoneMetadata) -> re.Pattern[str] | None:
    """The union of the national-number patterns of every valid number type of a region."""
    patterns = [d.national_number_pattern for d in (getattr(meta, t, None) for t in _TYPES)
                if d is not None and d.national_number_pattern]
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns))


@dataclass(frozen=True, slots=True)
class _Plan:
    code: str                               # calling code, as digits
    valid: re.Pattern[str]                  # valid national numbers of every region with this code
    prefix: re.Pattern[str] | None          # national_prefix_for_parsing
    transform: str | None                   # national_prefix_transform_rule
    international: re.Pattern[str] | None   # the region's international call prefix


def _build() -> dict[str, _Plan]:
    metas = {r: PhoneMetadata.metadata_for_region(r, None) for r in phonenumbers.SUPPORTED_REGIONS}
    by_code: dict[int, list[str]] = {}
    for region, meta in metas.items():
        if meta is not None and meta.country_code is not None:
            by_code.setdefault(meta.country_code, []).append(region)
    plans: dict[str, _Plan] = {}
    for code, regions in by_code.items():
        patterns = [p.pattern for p in (valid_pattern(m) for m in (metas[r] for r in regions) if m) if p]
        union = re.compile("|".join(f"(?:{p})" for p in patterns) or "(?!)")
        for region in regions:
            meta = metas[region]
            assert meta is not None
            npp = meta.national_prefix_for_parsing or meta.national_prefix
            plans[region] = _Plan(str(code), union, re.compile(npp) if npp else None,
                                  meta.national_prefix_transform_rule or None,
                                  re.compile(meta.international_prefix) if meta.international_prefix else None)
    return plans


_PLANS: dict[str, _Plan] | None = None
_LOCK = threading.Lock()


def _plans() -> dict[str, _Plan]:
    global _PLANS
    if _PLANS is None:
        with _LOCK:
            if _PLANS is None:
                _PLANS = _build()
    return _PLANS


def may_be_valid(region: str, digits: str) -> bool:
    """False only when ``phonenumbers.is_valid_number(phonenumbers.parse(digits, region))`` is
    certainly False (see the module docstring); True means "parse it and see"."""
    plan = _plans().get(region)
    if plan is None or (plan.international is not None and plan.international.match(digits)):
        return True
    bases = [digits]
    if digits.startswith(plan.code):
        bases.append(digits[len(plan.code):])
    prefix = plan.prefix
    for base in bases:
        if plan.valid.fullmatch(base):
            return True
        m = prefix.match(base) if prefix is not None else None
        if m is None or prefix is None:
            continue
        if plan.valid.fullmatch(base[m.end():]):
            return True
        if plan.transform and plan.valid.fullmatch(prefix.sub(plan.transform, base, count=1)):
            return True
    return False
