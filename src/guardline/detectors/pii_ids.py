"""Checksummed identifiers: payment cards, IBANs and national ids, confirmed by python-stdnum.

A candidate is accepted on its own when its written SHAPE is distinctive for the kind (``536-90-4399``,
``811228-9874``, ``390.533.447-05``) and its checksum holds; a bare run of digits (``111222333``) is
only taken as a national id when a keyword for that kind (``BSN``, ``PESEL``, ``national id``) stands
shortly before it, because a weak checksum (mod 11, one in eleven) passes too many random numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import ModuleType

from stdnum import iban as _iban
from stdnum import luhn as _luhn
from stdnum.br import cpf
from stdnum.de import idnr
from stdnum.dk import cpr
from stdnum.es import dni, nie
from stdnum.fi import hetu
from stdnum.fr import nir
from stdnum.gb import nhs
from stdnum.in_ import aadhaar
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.no import fodselsnummer
from stdnum.pl import pesel
from stdnum.se import personnummer
from stdnum.us import ssn

__all__ = [
    "ID_LABELS",
    "IdKind",
    "card_brand",
    "classify_card",
    "classify_digit_id",
    "validate_iban",
    "validate_letter_id",
]


@dataclass(frozen=True, slots=True)
class IdKind:
    """A national id made of digits only: its lengths, its checksum module, and the written shape that
    makes it recognisable without a keyword (None: keyword needed)."""

    kind: str
    lengths: frozenset[int]
    module: ModuleType
    shape: re.Pattern[str] | None


def _shape(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# Order matters where shapes coincide (``ddmmyy-nnnn`` is Swedish, Danish or Finnish): the stronger
# checksum comes first.
DIGIT_IDS: tuple[IdKind, ...] = (
    IdKind("us_ssn", frozenset({9}), ssn, _shape(r"\d{3}-\d{2}-\d{4}")),
    IdKind("se_personnummer", frozenset({10, 12}), personnummer, _shape(r"(?:\d{2})?\d{6}[-+]\d{4}")),
    IdKind("fi_hetu", frozenset({10}), hetu, None),
    IdKind("dk_cpr", frozenset({10}), cpr, _shape(r"\d{6}-\d{4}")),
    IdKind("br_cpf", frozenset({11}), cpf, _shape(r"\d{3}\.\d{3}\.\d{3}-\d{2}")),
    IdKind("fr_nir", frozenset({15}), nir, _shape(r"[12] \d{2} \d{2} \d{2} \d{3} \d{3} \d{2}")),
    IdKind("no_fodselsnummer", frozenset({11}), fodselsnummer, None),
    IdKind("pl_pesel", frozenset({11}), pesel, None),
    IdKind("de_idnr", frozenset({11}), idnr, None),
    IdKind("nl_bsn", frozenset({9}), bsn, None),
    IdKind("gb_nhs", frozenset({10}), nhs, None),
    IdKind("in_aadhaar", frozenset({12}), aadhaar, _shape(r"[2-9]\d{3} \d{4} \d{4}")),
)
_BY_KIND = {k.kind: k for k in DIGIT_IDS}

ID_LABELS: dict[str, str] = {
    "us_ssn": "US SSN", "se_personnummer": "SE personnummer", "fi_hetu": "FI HETU", "dk_cpr": "DK CPR",
    "br_cpf": "BR CPF", "fr_nir": "FR NIR", "no_fodselsnummer": "NO fødselsnummer",
    "pl_pesel": "PL PESEL", "de_idnr": "DE Steuer-IdNr", "nl_bsn": "NL BSN", "gb_nhs": "UK NHS number",
    "in_aadhaar": "IN Aadhaar", "gb_nino": "UK NINO", "es_dni": "ES DNI", "es_nie": "ES NIE",
    "it_codicefiscale": "IT codice fiscale",
}


def _valid(module: ModuleType, value: str) -> bool:
    try:
        return bool(module.is_valid(value))
    except Exception:  # a validator must never break detection; an exception means "not valid"
        return False


def classify_digit_id(raw: str, digits: str, context_kinds: frozenset[str], *,
                      allow_aadhaar_shape: bool) -> tuple[str, float] | None:
    """The national-id kind of a digit run and its score, or None.

    ``context_kinds`` are the kinds a keyword before the run points at (``"*"``: any kind).
    """
    n = len(digits)
    # 1. a keyword names the kind: checksum suffices
    if context_kinds:
        for k in DIGIT_IDS:
            if n in k.lengths and (k.kind in context_kinds or "*" in context_kinds) and _valid(k.module, raw):
                return k.kind, 1.0 if k.shape is not None and k.shape.fullmatch(raw) else 0.95
    # 2. the written shape is distinctive: shape + checksum
    for k in DIGIT_IDS:
        if (k.shape is not None and n in k.lengths and (k.kind != "in_aadhaar" or allow_aadhaar_shape)
                and k.shape.fullmatch(raw) and _valid(k.module, raw)):
            return k.kind, 1.0
    return None


_LETTER_MODULES: dict[str, ModuleType] = {
    "es_dni": dni, "es_nie": nie, "it_codicefiscale": codicefiscale, "fi_hetu": hetu,
}
_NINO_SUFFIX = re.compile(r"[A-D]")


def validate_letter_id(kind: str, raw: str) -> bool:
    """Validate an id that carries letters (the UK NINO has no checksum: its format rules are the
    check, and they are already in the pattern)."""
    if kind == "gb_nino":
        return bool(_NINO_SUFFIX.fullmatch(raw[-1]))
    module = _LETTER_MODULES.get(kind)
    return module is not None and _valid(module, raw)


def compact_id(kind: str, raw: str) -> str:
    """The canonical (compact, upper-case) form of a national id."""
    k = _BY_KIND.get(kind)
    module = k.module if k is not None else _LETTER_MODULES.get(kind)
    if module is not None:
        try:
            return "".join(c for c in str(module.compact(raw)) if c.isalnum()).upper()
        except Exception:  # fall back to a plain compaction
            pass
    return "".join(c for c in raw if c.isalnum()).upper()


# -- payment cards ------------------------------------------------------------------------------
_BRANDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("amex", re.compile(r"3[47]")),
    ("visa", re.compile(r"4")),
    ("mastercard", re.compile(r"5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)")),
    ("discover", re.compile(r"6011|65|64[4-9]|622")),
    ("diners", re.compile(r"3(?:0[0-5]|09|[689])")),
    ("jcb", re.compile(r"35|1800|2131")),
    ("unionpay", re.compile(r"62|81")),
    ("maestro", re.compile(r"5[06-9]|6\d")),
)


def card_brand(digits: str) -> str | None:
    for brand, pattern in _BRANDS:
        if pattern.match(digits):
            return brand
    return None


def classify_card(digits: str, *, card_context: bool) -> tuple[str, float] | None:
    """(brand, score) when ``digits`` is a payment card number: Luhn-valid, 12..19 digits, and either
    a known issuer prefix or a card keyword before it (12 digits: Maestro prefix or keyword)."""
    n = len(digits)
    if n < 12 or n > 19 or not _luhn.is_valid(digits):
        return None
    brand = card_brand(digits)
    if n == 12 and brand != "maestro" and not card_context:
        return None
    if brand is not None:
        return brand, 1.0
    if card_context:
        return "card", 0.85
    return None


# -- IBAN ----------------------------------------------------------------------------------------
def validate_iban(raw: str) -> str | None:
    """The longest valid IBAN at the start of ``raw`` (trailing groups are dropped one at a time,
    because the pattern may have swallowed a following word), or None."""
    candidate = raw
    while True:
        if _iban.is_valid(candidate):
            return candidate
        cut = candidate.rfind(" ")
        if cut < 15:
            return None
        candidate = candidate[:cut]
