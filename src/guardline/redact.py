"""Redaction: replace finding spans in the ORIGINAL text with typed placeholders.

Spans are applied from the end of the text backwards, so no replacement shifts another span.
Overlapping spans are merged; the merged span takes the placeholder of its most severe finding.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .types import SEVERITY_ORDER, Category, Finding

__all__ = ["DEFAULT_PLACEHOLDERS", "REDACTABLE_CATEGORIES", "RedactionRules", "redact", "redact_findings"]

DEFAULT_PLACEHOLDERS: dict[str, str] = {
    "pii.email": "[EMAIL]",
    "pii.phone": "[PHONE]",
    "pii.payment_card": "[CARD]",
    "pii.iban": "[IBAN]",
    "pii.national_id": "[NATIONAL_ID]",
    "pii.ip_address": "[IP]",
    "pii.date_of_birth": "[DOB]",
    "pii.person_name": "[NAME]",
    "pii.street_address": "[ADDRESS]",
    "secret.*": "[SECRET]",
    "leakage.*": "[REDACTED]",
}

REDACTABLE_CATEGORIES = frozenset({Category.PII, Category.SECRET, Category.LEAKAGE})


@dataclass(frozen=True, slots=True)
class RedactionRules:
    """``placeholders``: finding-type glob -> placeholder; ``keep_last``: type glob -> how many trailing
    letters/digits of the value stay visible (e.g. the last four digits of a card)."""

    placeholders: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_PLACEHOLDERS))
    keep_last: Mapping[str, int] = field(default_factory=dict)

    def placeholder(self, type_: str) -> str:
        exact = self.placeholders.get(type_)
        if exact is not None:
            return exact
        for pattern, value in self.placeholders.items():
            if fnmatch.fnmatchcase(type_, pattern):
                return value
        return "[" + type_.rsplit(".", 1)[-1].upper() + "]"

    def keep(self, type_: str) -> int:
        exact = self.keep_last.get(type_)
        if exact is not None:
            return exact
        for pattern, n in self.keep_last.items():
            if fnmatch.fnmatchcase(type_, pattern):
                return n
        return 0


_DEFAULT_RULES = RedactionRules()


def _tail(value: str, n: int) -> str:
    kept: list[str] = []
    for ch in reversed(value):
        if ch.isalnum():
            kept.append(ch)
            if len(kept) == n:
                break
    return "".join(reversed(kept))


def _rank(f: Finding) -> tuple[int, int]:
    """Which finding names a merged span: the most severe; on a tie, a PII type (its placeholder says
    what was removed) over a leakage finding on the same value."""
    return (SEVERITY_ORDER[f.severity], f.category is Category.PII)


def redact(text: str, findings: Iterable[Finding], rules: RedactionRules | None = None) -> str:
    """Replace the spans of ``findings`` in ``text``; findings without a span are ignored."""
    rules = rules or _DEFAULT_RULES
    spans = sorted(((f.span[0], f.span[1], f) for f in findings if f.span is not None and f.span[1] > f.span[0]),
                   key=lambda t: (t[0], t[1]))
    if not spans:
        return text
    merged: list[tuple[int, int, Finding]] = []
    for start, end, f in spans:
        if merged and start < merged[-1][1]:
            ps, pe, pf = merged[-1]
            top = f if _rank(f) > _rank(pf) else pf
            merged[-1] = (ps, max(pe, end), top)
        else:
            merged.append((start, end, f))
    out = text
    for start, end, f in reversed(merged):
        placeholder = rules.placeholder(f.type)
        n = rules.keep(f.type)
        if n > 0:
            tail = _tail(text[start:end], n)
            placeholder = placeholder[:-1] + " ****" + tail + "]" if placeholder.endswith("]") else placeholder + tail
        out = out[:start] + placeholder + out[end:]
    return out


def redact_findings(text: str, findings: Sequence[Finding], rules: RedactionRules | None = None) -> str:
    """Redact every span of a pii, secret or leakage finding: the form of a text that is safe to store
    and show (audit, logs, replay examples)."""
    return redact(text, (f for f in findings if f.category in REDACTABLE_CATEGORIES), rules)
