"""Grounding (hallucination) detector: every checkable claim in an outbound reply is looked up in the
sources the agent was given (``Message.grounding``).

Claims: money amounts, numbers, percentages, durations, dates (relative ones resolved against the
message timestamp), times, opening hours, ids, URLs, emails, phone numbers, yes/no attributes held in
JSON fields, commitments, named entities, and (at low severity) whole statements whose content words
the grounding lacks. A claim with no support is ``hallucination.unsupported_<kind>`` (medium; the
statement and generic-name layers report low); a claim whose slot the grounding fills with another
value is ``hallucination.contradiction`` (high). Every finding points at the claim's span.

Grounding problems are reported, never raised: invalid JSON in a source that looks like JSON
(``hallucination.grounding_unparsed``, info; the text is still used), a source cut at
``max_grounding_chars`` (``hallucination.grounding_truncated``, info), sources that are all empty
(``hallucination.grounding_empty``, info). A reply with no grounding at all is governed by
``ungrounded``: ``"flag"`` (default: specific values and commitments are unsupported, medium) or
``"ignore"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from ..types import Category, Direction, Finding, Message, Severity
from .base import BaseDetector, Context
from .grounding_claims import commitment_claims, entity_claims, statement_claims
from .grounding_fields import check_attributes
from .grounding_hours import check_hours
from .grounding_index import SourceIndex, index_source, merge
from .grounding_text import content_stems, sentence_bounds
from .grounding_values import Value, extract_values

__all__ = ["GroundingDetector"]

_SPECIFIC = frozenset({"amount", "percentage", "duration", "date", "time", "id", "url", "email", "phone",
                       "number"})
_SCORES = {"amount": 0.75, "percentage": 0.75, "duration": 0.75, "date": 0.7, "time": 0.7, "id": 0.8,
           "url": 0.8, "email": 0.8, "phone": 0.8, "number": 0.65}


def _supported(v: Value, idx: SourceIndex) -> bool:
    keys = idx.keys.get(v.kind, set())
    if any(p in keys for p in v.primary):
        return True
    if v.kind == "amount":
        return v.num in idx.plain_numbers or ("any", v.num) in keys
    if v.kind in ("number", "percentage"):
        return v.num in idx.numbers
    if v.kind == "duration":
        p = v.primary[0]
        return isinstance(p, tuple) and p[1] in keys and p[2] in keys
    if v.kind in ("id", "url", "email"):
        return str(v.primary[0]).lower() in idx.lower
    return False


class GroundingDetector(BaseDetector):
    """Checks each claim of an outbound reply against its grounding sources."""

    name: ClassVar[str] = "grounding"
    version: ClassVar[str] = "1.0"
    category: ClassVar[Category] = Category.HALLUCINATION
    directions: ClassVar[frozenset[Direction]] = frozenset({Direction.OUTBOUND})

    def __init__(self, *, ungrounded: str = "flag", max_grounding_chars: int = 65_536,
                 statements: bool = True, novelty_threshold: float = 0.6, min_statement_words: int = 5,
                 entities: bool = True) -> None:
        if ungrounded not in ("flag", "ignore"):
            raise ValueError("ungrounded must be 'flag' or 'ignore'")
        if max_grounding_chars < 1_000:
            raise ValueError("max_grounding_chars must be at least 1000")
        if not 0.0 < novelty_threshold <= 1.0:
            raise ValueError("novelty_threshold must be in (0, 1]")
        self.ungrounded = ungrounded
        self.max_chars = max_grounding_chars
        self.statements = statements
        self.novelty_threshold = novelty_threshold
        self.min_statement_words = min_statement_words
        self.entities = entities

    # -- helpers -------------------------------------------------------------------------------
    def _f(self, ctx: Context, type_: str, severity: Severity, start: int | None = None,
           end: int | None = None, score: float = 1.0, evidence: str = "") -> Finding:
        return self.finding(ctx, type_, severity, start, end, score=score, evidence=evidence)

    def _claim(self, ctx: Context, kind: str, outcome: str, start: int, end: int, score: float,
               evidence: str, low: bool = False) -> Finding | None:
        if outcome == "contradiction":
            return self._f(ctx, "hallucination.contradiction", Severity.HIGH, start, end, score,
                           f"{kind}: {evidence}")
        if outcome in ("unsupported", "empty", "absent"):
            return self._f(ctx, f"hallucination.unsupported_{kind}", Severity.LOW if low else Severity.MEDIUM,
                           start, end, score, evidence)
        return None

    def _index(self, message: Message, ctx: Context, out: list[Finding]) -> list[SourceIndex]:
        parts: list[SourceIndex] = []
        left = self.max_chars
        for src in message.grounding:
            ctx.check_deadline()
            if left <= 0:
                out.append(self._f(ctx, "hallucination.grounding_truncated", Severity.INFO, score=1.0,
                                   evidence=f"source {src.id or src.kind} not scanned: grounding over "
                                            f"{self.max_chars} characters"))
                continue
            idx = index_source(src.text, src.kind, left)
            left -= min(len(src.text), left)
            if idx.truncated:
                out.append(self._f(ctx, "hallucination.grounding_truncated", Severity.INFO,
                                   evidence=f"source {src.id or src.kind}: only the first "
                                            f"{self.max_chars} characters of grounding were scanned"))
            if idx.unparsed:
                out.append(self._f(ctx, "hallucination.grounding_unparsed", Severity.INFO,
                                   evidence=f"source {src.id or src.kind} looks like JSON but does not "
                                            "parse; checked as plain text"))
            parts.append(idx)
        return parts

    # -- the check -----------------------------------------------------------------------------
    def detect(self, message: Message, ctx: Context) -> Iterable[Finding]:
        out: list[Finding] = []
        text = ctx.text
        parts = self._index(message, ctx, out)
        grounded = any(not p.empty for p in parts)
        if parts and not grounded:
            out.append(self._f(ctx, "hallucination.grounding_empty", Severity.INFO,
                               evidence="every grounding source is empty"))
        values = extract_values(text, message.timestamp)
        if not grounded:
            if self.ungrounded == "flag":
                out.extend(self._ungrounded(ctx, text, values))
            return out
        idx = merge(parts)
        sentences = sentence_bounds(text) or [(0, len(text))]
        covered: list[tuple[int, int]] = []

        if idx.schedule is not None:
            for hc in check_hours(text, idx.schedule):
                covered.append((hc.start, hc.end))
                f = self._claim(ctx, "time", hc.outcome, hc.start, hc.end, 0.9, hc.evidence)
                if f is not None:
                    out.append(f)
        for ac in check_attributes(text, idx.facts, idx.lower, sentences):
            covered.append((ac.start, ac.end))
            score = {"contradiction": 0.95, "empty": 0.85, "absent": 0.6}.get(ac.outcome, 0.0)
            ev = {"contradiction": "the field holds the opposite", "empty": "the field is empty",
                  "absent": "no field or source mentions it"}.get(ac.outcome, "")
            f = self._claim(ctx, "attribute", ac.outcome, ac.start, ac.end, score, f"{ac.concept}: {ev}")
            if f is not None:
                out.append(f)
        ctx.check_deadline()
        for v in values:
            if any(a <= v.start and v.end <= b for a, b in covered):
                continue
            if v.kind == "number" and self._trivial_number(text, v):
                continue
            if _supported(v, idx):
                continue
            outcome, ev = self._slot(text, v, idx, sentences)
            f = self._claim(ctx, v.kind, outcome, v.start, v.end,
                            0.9 if outcome == "contradiction" else _SCORES[v.kind], ev)
            if f is not None:
                out.append(f)
            covered.append((v.start, v.end))
        for c in commitment_claims(text, idx.lower, idx.facts, True):
            f = self._claim(ctx, c.kind, c.outcome, c.start, c.end, c.score, c.evidence)
            if f is not None:
                out.append(f)
        if self.entities:
            for c in entity_claims(text, idx.lower):
                if any(a <= c.start < b for a, b in covered):
                    continue
                f = self._claim(ctx, c.kind, c.outcome, c.start, c.end, c.score, c.evidence,
                                low=c.score < 0.6)
                if f is not None:
                    out.append(f)
        if self.statements:
            ctx.check_deadline()
            for c in statement_claims(text, idx.stems, threshold=self.novelty_threshold,
                                      min_words=self.min_statement_words):
                f = self._claim(ctx, c.kind, c.outcome, c.start, c.end, c.score, c.evidence, low=True)
                if f is not None:
                    out.append(f)
        return out

    @staticmethod
    def _trivial_number(text: str, v: Value) -> bool:
        """List markers ("2. Preheat") and the number one say nothing checkable."""
        if v.num is not None and v.num in (0.0, 1.0):
            return True
        line_start = text.rfind("\n", 0, v.start) + 1
        return not text[line_start:v.start].strip() and text[v.end:v.end + 1] in (".", ")")

    @staticmethod
    def _slot(text: str, v: Value, idx: SourceIndex,
              sentences: list[tuple[int, int]]) -> tuple[str, str]:
        """Contradiction when the grounding holds a value of this kind in a slot the claim shares words with."""
        sent = next(((a, b) for a, b in sentences if a <= v.start < b), (0, len(text)))
        lo, hi = max(sent[0], v.start - 60), min(sent[1], v.end + 30)
        mine = set(content_stems(text, lo, v.start)) | set(content_stems(text, v.end, hi))
        for key, ctxs in idx.slots.get(v.kind, ()):
            if key not in v.primary and len(mine & ctxs) >= 2:
                return "contradiction", f"grounding gives another {v.kind} for this ({len(mine & ctxs)} shared words)"
        return "unsupported", f"no {v.kind} like this in the grounding"

    def _ungrounded(self, ctx: Context, text: str, values: list[Value]) -> list[Finding]:
        out = []
        for v in values:
            if v.kind in _SPECIFIC and not (v.kind == "number" and self._trivial_number(text, v)):
                out.append(self._f(ctx, f"hallucination.unsupported_{v.kind}", Severity.MEDIUM, v.start, v.end,
                                   _SCORES[v.kind], "reply has no grounding to check this against"))
        for c in commitment_claims(text, "", {}, False):
            out.append(self._f(ctx, "hallucination.unsupported_commitment", Severity.MEDIUM, c.start, c.end,
                               c.score, c.evidence))
        return out
