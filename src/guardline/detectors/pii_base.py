"""Data shared by the PII modules: the match record, the NER backend protocol, canonical forms.

``PiiMatch`` is re-exported by ``guardline.detectors.pii``; the leakage detector fingerprints its
``canonical`` forms, so two spellings of one value (``073-555 12 34`` and ``+46735551234``) share one
fingerprint.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = [
    "ALL_TYPES",
    "CREDENTIAL",
    "DOB",
    "EMAIL",
    "IBAN",
    "IP",
    "NAME",
    "NATIONAL_ID",
    "PAYMENT_CARD",
    "PHONE",
    "STREET_ADDRESS",
    "NerBackend",
    "NerEntity",
    "PiiMatch",
    "fold_name",
]

EMAIL = "pii.email"
PHONE = "pii.phone"
PAYMENT_CARD = "pii.payment_card"
IBAN = "pii.iban"
NATIONAL_ID = "pii.national_id"
IP = "pii.ip_address"
DOB = "pii.date_of_birth"
NAME = "pii.person_name"
STREET_ADDRESS = "pii.street_address"
CREDENTIAL = "secret.credential"

ALL_TYPES: frozenset[str] = frozenset(
    {EMAIL, PHONE, PAYMENT_CARD, IBAN, NATIONAL_ID, IP, DOB, NAME, STREET_ADDRESS, CREDENTIAL})


@dataclass(frozen=True, slots=True)
class PiiMatch:
    """One PII value found in the NORMALISED text.

    ``kind`` is the sub-kind (``"e164"``, ``"us_ssn"``, ``"se_personnummer"``, ``"email"``, ``"card"``);
    ``score`` the confidence (1.0 when a checksum or a full validation confirmed it, lower when only
    context did); ``canonical`` the forms used for fingerprinting.
    """

    type: str
    kind: str
    start: int
    end: int
    value: str
    canonical: tuple[str, ...]
    score: float = 1.0
    detail: str = ""


@dataclass(frozen=True, slots=True)
class NerEntity:
    """An entity a NER backend found: ``label`` is ``"PERSON"`` or ``"ADDRESS"`` (``"LOCATION"`` is
    treated as an address); offsets are in the text it was given (the normalised text)."""

    label: str
    start: int
    end: int
    score: float = 0.8


@runtime_checkable
class NerBackend(Protocol):
    """An optional named-entity recogniser for names and addresses (off by default).

    Guardline ships no model; a deployment plugs one in with the ``ner`` setting (an object, or a
    ``"module:attribute"`` string naming a class or factory that takes no arguments).
    """

    def entities(self, text: str) -> Iterable[NerEntity]: ...


def fold_name(value: str) -> str:
    """Casefold, strip diacritics, collapse whitespace: the canonical form of names and addresses."""
    if value.isascii():  # nothing to decompose
        return " ".join(value.casefold().split())
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())
