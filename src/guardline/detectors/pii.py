"""The PII detector (built-in name ``pii``).

Finding types and default severities (a policy may override each with the ``severity`` setting):

=====================  ==========  ============================================================
type                   severity    confirmed by
=====================  ==========  ============================================================
pii.email              medium      pattern (plain or obfuscated: ``anna dot berg at example dot org``)
pii.phone              medium      phonenumbers (international form, or valid in a region hint, or
                                   valid in any region AND written in its grouping); a phone
                                   keyword near it for numbers no region confirms
pii.payment_card       high        Luhn + issuer prefix (or a card keyword)
pii.iban               medium      ISO 13616 mod-97 and country length (python-stdnum)
pii.national_id        high        python-stdnum checksum + distinctive shape or a keyword; the
                                   evidence names the kind (US SSN, UK NINO, SE personnummer ...)
pii.ip_address         low         ``ipaddress``
pii.date_of_birth      medium      a valid date after "born", "date of birth", "DOB" ...
pii.person_name        low         cues: "my name is", greetings, sign-offs, titles; optional NER
pii.street_address     low         street patterns, "address:" lines; optional NER
secret.credential      high        API-key formats; "password is", "one-time code", "PIN" ...
=====================  ==========  ============================================================

A value that also appears in one of the message's grounding sources of kind ``kb`` (the company's own
published contact data) is not the customer's: it is reported with severity ``info``.

``find_pii`` is the same search as a function; the detector leaves its matches in
``ctx.shared["pii.matches"]`` so the leakage detector does not search again.
"""

from __future__ import annotations

import importlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from ..errors import ConfigError
from ..normalize import Normalized, normalize
from ..types import Category, Finding, Message, Severity
from .base import BaseDetector, Context
from .pii_base import (
    ALL_TYPES,
    CREDENTIAL,
    DOB,
    EMAIL,
    IBAN,
    IP,
    NAME,
    NATIONAL_ID,
    PAYMENT_CARD,
    PHONE,
    STREET_ADDRESS,
    NerBackend,
    NerEntity,
    PiiMatch,
    fold_name,
)
from .pii_find import PiiFinder
from .pii_ids import ID_LABELS
from .pii_phone_any import warm_up

__all__ = ["DEFAULT_SEVERITY", "NerBackend", "NerEntity", "PiiDetector", "PiiMatch", "find_pii"]

DEFAULT_SEVERITY: dict[str, Severity] = {
    EMAIL: Severity.MEDIUM,
    PHONE: Severity.MEDIUM,
    PAYMENT_CARD: Severity.HIGH,
    IBAN: Severity.MEDIUM,
    NATIONAL_ID: Severity.HIGH,
    IP: Severity.LOW,
    DOB: Severity.MEDIUM,
    NAME: Severity.LOW,
    STREET_ADDRESS: Severity.LOW,
    CREDENTIAL: Severity.HIGH,
}

_DEFAULT_FINDER = PiiFinder()


def find_pii(norm: Normalized, *, regions: Sequence[str] = (),
             types: Collection[str] | None = None) -> list[PiiMatch]:
    """Every PII value in ``norm`` (NORMALISED offsets), sorted by position, with default settings."""
    return _DEFAULT_FINDER.find(norm, regions=regions, types=types)


@lru_cache(maxsize=64)
def _merge_regions(hints: tuple[str, ...], own: tuple[str, ...]) -> tuple[str, ...]:
    """The message's region hints, then the detector's own, upper-cased, each once."""
    return tuple(dict.fromkeys([*(r.upper() for r in hints), *own]))


def _evidence(m: PiiMatch) -> str:
    """A short explanation that never contains the value itself."""
    if m.type == NATIONAL_ID:
        how = "checksum valid" if m.kind != "gb_nino" else "format valid"
        return f"national id: {ID_LABELS.get(m.kind, m.kind)} ({how})"
    if m.type == PHONE:
        if m.kind == "unverified":
            return "phone number (phone keyword nearby; no hinted region validates it)"
        if m.kind == "any_region":
            return f"phone number (written as in {m.detail} and valid there; not a hinted region)"
        return f"phone number ({m.detail or 'international'}, validated)"
    if m.type == PAYMENT_CARD:
        return f"payment card ({m.kind}, Luhn valid)"
    if m.type == EMAIL:
        return "e-mail address (obfuscated)" if m.kind == "email_obfuscated" else "e-mail address"
    if m.type == IBAN:
        return f"IBAN ({m.canonical[0][:2]}, checksum valid)"
    if m.type == IP:
        return f"IP address ({m.kind[-2:]})"
    if m.type == DOB:
        return "date of birth (date after a birth keyword)"
    if m.type == NAME:
        return f"person name ({m.kind})"
    if m.type == STREET_ADDRESS:
        return f"street address ({m.kind})"
    if m.type == CREDENTIAL:
        return f"credential: {m.kind.replace('_', ' ')}"
    return m.type


def _load_ner(ner: object) -> NerBackend | None:
    if ner is None or ner is False:
        return None
    if isinstance(ner, str):
        module, _, attr = ner.partition(":")
        try:
            factory = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError, ValueError) as exc:
            raise ConfigError(f"pii: ner backend {ner!r} cannot be imported: {exc}") from exc
        ner = factory()
    if not isinstance(ner, NerBackend):
        raise ConfigError("pii: ner must have an entities(text) method")
    return ner


class PiiDetector(BaseDetector):
    """Finds PII and credentials; returns findings only (redaction and actions are the policy's)."""

    name = "pii"
    version = "1.0.0"
    category = Category.PII

    def __init__(self, *, types: Iterable[str] | None = None, regions: Iterable[str] = (),
                 severity: Mapping[str, str] | None = None, ner: Any = None, min_digits: int = 7,
                 context_window: int = 40, kb_info: bool = True) -> None:
        chosen = frozenset(types) if types is not None else ALL_TYPES
        unknown = sorted(chosen - ALL_TYPES)
        if unknown:
            raise ConfigError(f"pii: unknown type(s) {', '.join(unknown)}; known: {', '.join(sorted(ALL_TYPES))}")
        self.types = chosen
        self.regions = tuple(str(r).upper() for r in regions)
        self.severity = dict(DEFAULT_SEVERITY)
        for type_, value in (severity or {}).items():
            if type_ not in ALL_TYPES:
                raise ConfigError(f"pii: severity: unknown type {type_!r}")
            try:
                self.severity[type_] = Severity(value)
            except ValueError as exc:
                raise ConfigError(f"pii: severity.{type_}: {value!r} is not a severity") from exc
        if not isinstance(min_digits, int) or min_digits < 1:
            raise ConfigError("pii: min_digits must be a positive integer")
        self.kb_info = kb_info
        self._finder = PiiFinder(min_digits=min_digits, context_window=context_window, ner=_load_ner(ner))
        self._kb_index = lru_cache(maxsize=256)(self._build_kb_index)
        warm_up()  # the any-region phone index, built once per process, not on the first message

    def _build_kb_index(self, text: str, regions: tuple[str, ...]) -> tuple[frozenset[str], str]:
        norm = normalize(text)
        canon: set[str] = set()
        for m in self._finder.find(norm, regions=regions):
            canon.update(m.canonical)
        return frozenset(canon), fold_name(norm.text)

    def _published(self, m: PiiMatch, kb: list[tuple[frozenset[str], str]]) -> bool:
        folded = fold_name(m.value) if m.type in (NAME, STREET_ADDRESS, EMAIL) else ""
        for canon, text in kb:
            if any(c in canon for c in m.canonical) or (folded and folded in text):
                return True
        return False

    def detect(self, message: Message, ctx: Context) -> list[Finding]:
        regions = _merge_regions(tuple(ctx.regions), self.regions)
        matches = self._finder.find(ctx.norm, regions=regions, types=self.types, check=ctx.check_deadline)
        ctx.shared["pii.matches"] = matches
        if not matches:
            return []
        kb: list[tuple[frozenset[str], str]] = []
        if self.kb_info and message.grounding:
            kb = [self._kb_index(s.text, regions) for s in message.grounding if s.kind == "kb"]
        findings: list[Finding] = []
        for m in matches:
            severity = self.severity[m.type]
            evidence = _evidence(m)
            if kb and self._published(m, kb):
                severity = Severity.INFO
                evidence += "; published in a kb source"
            category = Category.SECRET if m.type == CREDENTIAL else Category.PII
            findings.append(self.finding(ctx, m.type, severity, m.start, m.end, score=m.score,
                                         evidence=evidence, category=category))
        return findings
