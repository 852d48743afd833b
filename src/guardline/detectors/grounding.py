"""Grounding (hallucination) detector: every checkable claim in an outbound reply is looked up in the
sources the agent was given (``Message.grounding``).

Claims: money amounts, numbers, percentages, durations, dates (relative ones resolved against the
message timestamp), times, opening hours, ids, URLs, emails, phone numbers, yes/no attributes held in
JSON fields, commitments, named entities, and (at low severity) whole statements whose content words
the grounding lacks. A claim with no support is ``hallucination.unsupported_<kind>``; a claim whose
slot the grounding fills with another value is ``hallucination.contradiction``. Each claim carries a
calibrated score; the reply's risk (``grounding_score.response_risk``) decides its severity: below
``threshold`` every claim is ``low``; at or above it the claims that carry the risk are ``high``
(contradiction) or ``medium``. Every finding points at the claim's phrase (``spans``).

Service talk is not a claim (``grounding_speech``): what the reply only asks (questions, requests for
information, confirmation recaps) echoes the customer and is not checked, except a price it offers
that contradicts the grounding; a relative date ("today") or the agent asking for a few minutes is a
claim only when its clause speaks of a business event (delivery, refund, due date, opening hours...);
greetings, thanks and apologies are not novel statements.

Grounding problems are reported, never raised: invalid JSON in a source that looks like JSON
(``hallucination.grounding_unparsed``, info; the text is still used), a source cut at
``max_grounding_chars`` (``hallucination.grounding_truncated``, info), sources that are all empty
(``hallucination.grounding_empty``, info). A reply with no grounding at all is governed by
``ungrounded``: ``"flag"`` (default: specific values and commitments are unsupported, medium) or
``"ignore"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from typing import ClassVar

from ..types import Category, Direction, Finding, Message, Severity
from .base import BaseDetector, Context
from .grounding_claims import Claim, commitment_claims, entity_claims, statement_claims
from .grounding_fields import check_attributes
from .grounding_hours import check_hours
from .grounding_index import SourceIndex, index_source, merge
from .grounding_score import PRIOR, meta_sentence, phrase_bounds, response_risk, severity_for
from .grounding_speech import agent_wait, asking_regions, business_event, in_regions
from .grounding_text import content_stems, sentence_bounds, stem
from .grounding_values import Value, extract_values

__all__ = ["GroundingDetector"]

_OFFERED = frozenset({"amount", "percentage"})  # "Would you like it for €6.95?" still states a price
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
        if v.num is not None and v.num in idx.keys.get("duration_count", ()):
            return True  # "arrives in 4 minutes" against "wait_time": "4"
        return isinstance(p, tuple) and p[1] in keys and p[2] in keys
    if v.kind in ("id", "url", "email"):
        return str(v.primary[0]).lower() in idx.lower
    return False


class GroundingDetector(BaseDetector):
    """Checks each claim of an outbound reply against its grounding sources."""

    name: ClassVar[str] = "grounding"
    version: ClassVar[str] = "2.1"
    category: ClassVar[Category] = Category.HALLUCINATION
    directions: ClassVar[frozenset[Direction]] = frozenset({Direction.OUTBOUND})

    def __init__(self, *, ungrounded: str = "flag", max_grounding_chars: int = 65_536,
                 statements: bool = True, min_statement_words: int = 5, entities: bool = True,
                 threshold: float = 0.42, floor: float = 0.45, spans: str = "phrase") -> None:
        if ungrounded not in ("flag", "ignore"):
            raise ValueError("ungrounded must be 'flag' or 'ignore'")
        if max_grounding_chars < 1_000:
            raise ValueError("max_grounding_chars must be at least 1000")
        if not 0.0 < threshold <= 1.0 or not 0.0 <= floor <= 1.0:
            raise ValueError("threshold must be in (0, 1] and floor in [0, 1]")
        if spans not in ("claim", "phrase", "sentence"):
            raise ValueError("spans must be 'claim', 'phrase' or 'sentence'")
        self.ungrounded = ungrounded
        self.max_chars = max_grounding_chars
        self.statements = statements
        self.min_statement_words = min_statement_words
        self.entities = entities
        self.threshold = threshold
        self.floor = floor
        self.spans = spans

    # -- helpers -------------------------------------------------------------------------------
    def _f(self, ctx: Context, type_: str, severity: Severity, start: int | None = None,
           end: int | None = None, score: float = 1.0, evidence: str = "") -> Finding:
        return self.finding(ctx, type_, severity, start, end, score=score, evidence=evidence)

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
        view = _reply_view(text, message.timestamp)
        sentences = list(view.sentences)
        values = _outside_identifiers(list(view.values), ctx)
        asking = list(view.asking)
        if not grounded:
            if self.ungrounded == "flag":
                out.extend(self._ungrounded(ctx, text, values, view, asking))
            return out
        idx = merge(parts)
        meta = [(a, b) for a, b in sentences if meta_sentence(text[a:b])]
        # what the reply only asks ("Can you give me the last 4 digits?", "Please confirm: ... at 7 pm")
        # echoes the customer and claims nothing; only a price it offers can still contradict
        claims = [c for c in self._claims(ctx, text, values, idx, sentences, asking)
                  if c.outcome != "supported" and not any(a <= c.start < b for a, b in meta)
                  and (not in_regions(c.start, asking) or (c.outcome == "contradiction" and c.kind in _OFFERED))]
        risk = response_risk((c.kind, c.score) for c in claims)
        top = max((c.score for c in claims), default=1.0)
        for c in claims:
            sev = severity_for(c, risk, self.threshold, self.floor, top)
            a, b = self._span(text, c, sentences)
            type_ = ("hallucination.contradiction" if c.outcome == "contradiction"
                     else f"hallucination.unsupported_{c.kind}")
            ev = f"{c.kind}: {c.evidence}" if c.outcome == "contradiction" else c.evidence
            out.append(self._f(ctx, type_, sev, a, b, c.score, f"{ev}; reply risk {risk:.2f}"))
        return out

    def _span(self, text: str, c: Claim, sentences: list[tuple[int, int]]) -> tuple[int, int]:
        if c.kind == "statement" or self.spans == "claim":
            return c.start, c.end
        lo, hi = next(((a, b) for a, b in sentences if a <= c.start < b), (0, len(text)))
        if self.spans == "sentence":
            return lo, max(hi, c.end)
        return phrase_bounds(text, c.start, c.end, lo, max(hi, c.end))

    def _claims(self, ctx: Context, text: str, values: list[Value], idx: SourceIndex,
                sentences: list[tuple[int, int]], asking: list[tuple[int, int]]) -> Iterator[Claim]:
        covered: list[tuple[int, int]] = []
        verified: list[int] = []  # where a checkable claim was found supported
        if idx.schedule is not None:
            for hc in check_hours(text, idx.schedule, sentences):
                covered.append((hc.start, hc.end))
                if hc.outcome == "supported":
                    verified.append(hc.start)
                yield Claim("time", hc.start, hc.end, hc.outcome, PRIOR["contradiction.time"], hc.evidence)
        for ac in check_attributes(text, idx.facts, idx.lower, sentences):
            covered.append((ac.start, ac.end))
            if ac.outcome == "supported":
                verified.append(ac.start)
            ev = {"contradiction": "the field holds the opposite", "empty": "the field is empty",
                  "absent": "no field or source mentions it"}.get(ac.outcome, "")
            yield Claim("attribute", ac.start, ac.end, ac.outcome, PRIOR.get(f"{ac.outcome}.attribute", 0.0),
                        f"{ac.concept}: {ev}")
        ctx.check_deadline()
        for v in values:
            if any(a <= v.start and v.end <= b for a, b in covered):
                continue
            if v.kind == "number" and self._trivial_number(text, v):
                continue
            if _supported(v, idx):
                if v.kind != "number":
                    verified.append(v.start)
                continue
            if v.kind == "number" and v.num in idx.keys.get("count", ()) and not _count_conflict(text, v, idx):
                continue  # "I found 10 hotels": the tool output lists 10
            outcome, ev = self._slot(text, v, idx, sentences)
            family = "number" if v.kind == "number" and outcome != "contradiction" else "value"
            yield Claim(v.kind, v.start, v.end, outcome, PRIOR[f"{outcome}.{family}"], ev)
            covered.append((v.start, v.end))
        for c in commitment_claims(text, idx, sentences):
            if c.outcome == "supported":
                verified.append(c.start)
            yield Claim(c.kind, c.start, c.end, c.outcome, PRIOR.get(f"{c.outcome}.commitment", 0.0),
                        c.evidence)
        if self.entities:
            for c in entity_claims(text, idx, sentences):
                if c.outcome == "supported":
                    verified.append(c.start)
                elif not any(a <= c.start < b for a, b in covered):
                    family = "carrier" if c.score >= 0.6 else "entity"
                    key = f"{c.outcome}.{'entity' if c.outcome == 'contradiction' else family}"
                    yield Claim(c.kind, c.start, c.end, c.outcome, PRIOR.get(key, 0.0), c.evidence)
        if self.statements:
            ctx.check_deadline()
            # a sentence whose checkable value was verified has had its content checked precisely; its
            # other words are phrasing (and may be in another language than the grounding)
            # nor is a sentence that asks something a statement (its values were checked above)
            open_sents = [(a, b) for a, b in sentences if not any(a <= p < b for p in verified)
                          and not any(a < y and x < b for x, y in asking)]
            yield from statement_claims(text, idx.stems, open_sents, min_words=self.min_statement_words)

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

    def _ungrounded(self, ctx: Context, text: str, values: list[Value], view: _ReplyView,
                    asking: list[tuple[int, int]]) -> list[Finding]:
        out = []
        for v in values:
            if in_regions(v.start, asking):
                continue  # a question or request echoes the customer's values; it asserts nothing
            if v.kind in _SPECIFIC and not (v.kind == "number" and self._trivial_number(text, v)):
                out.append(self._f(ctx, f"hallucination.unsupported_{v.kind}", Severity.MEDIUM, v.start, v.end,
                                   _SCORES[v.kind], "reply has no grounding to check this against"))
        for c in _bare_commitments(text, view.sentences):
            if in_regions(c.start, asking):
                continue
            out.append(self._f(ctx, "hallucination.unsupported_commitment", Severity.MEDIUM, c.start, c.end,
                               c.score, c.evidence))
        return out


@dataclass(frozen=True, slots=True)
class _ReplyView:
    """What a reply says, read from its text alone: its sentences, the values it states (service talk
    removed) and what it asks."""

    sentences: tuple[tuple[int, int], ...]
    values: tuple[Value, ...]
    asking: tuple[tuple[int, int], ...]


_VIEW_MAX_CHARS = 4096  # longer replies are read afresh each time rather than kept


def _reply_view(text: str, now: datetime | None) -> _ReplyView:
    """The reply read once per text and day: agents send the same templated replies over and over
    ("Is there anything else I can help you with today?"), and none of this depends on the grounding.
    Of the message's timestamp only its date counts (it resolves "tomorrow" and "next Monday"), so
    the cache is keyed by the date, not by the timestamp every message has its own of."""
    day = None if now is None else now.date()
    return _read_reply(text, day) if len(text) > _VIEW_MAX_CHARS else _cached_view(text, day)


def _read_reply(text: str, day: date | None) -> _ReplyView:
    sentences = sentence_bounds(text) or [(0, len(text))]
    now = None if day is None else datetime.combine(day, time())
    values = tuple(v for v in extract_values(text, now) if not _courtesy_value(text, v))
    return _ReplyView(tuple(sentences), values, tuple(asking_regions(text, sentences)))


_cached_view = lru_cache(maxsize=256)(_read_reply)


def _bare_commitments(text: str, sentences: tuple[tuple[int, int], ...]) -> tuple[Claim, ...]:
    """The commitments a reply with no grounding makes (cached with the reply's view)."""
    if len(text) > _VIEW_MAX_CHARS:
        return tuple(commitment_claims(text, None, list(sentences)))
    return _cached_commitments(text, sentences)


@lru_cache(maxsize=256)
def _cached_commitments(text: str, sentences: tuple[tuple[int, int], ...]) -> tuple[Claim, ...]:
    return tuple(commitment_claims(text, None, list(sentences)))


# A relative date is small talk ("How may I help you today?") unless its clause speaks of something the
# business commits to ("arrives tomorrow"); so is the agent asking for a few minutes ("one minute please").
_SHORT_WAIT = 15.0  # minutes
_WAIT_NEAR = re.compile(r"(?:give me|gimme|allow me|hold on(?: for)?|hang on|wait(?: for)?|bear with me(?: for)?|"
                        r"just|geben sie mir|donnez-moi|dame|deme|ge mig|geef me|mi dia|me dê)\s+$", re.I)
_PLEASE_AFTER = re.compile(r"\W{0,2}\s*(?:please|bitte|s'il vous plaît|por favor|tack|alstublieft|per favore)",
                           re.I)


def _courtesy_value(text: str, v: Value) -> bool:
    if v.kind == "date" and v.relative:
        return not business_event(text, v.start, v.end)
    if v.kind == "duration":
        p = v.primary[0]
        mins = p[2] if isinstance(p, tuple) else p
        if isinstance(mins, int | float) and mins <= _SHORT_WAIT:
            if _WAIT_NEAR.search(text, max(0, v.start - 24), v.start) or _PLEASE_AFTER.match(text, v.end):
                return True  # "give me a minute and I will send the code": the wait is the agent's
            return agent_wait(text, v.start, v.end) and not business_event(text, v.start, v.end)
    return False


def _count_conflict(text: str, v: Value, idx: SourceIndex) -> bool:
    """Whether a field counts the thing the reply counts with another number: "3 reviews" where the
    record lists 3 reviews but ``review_count`` says 26."""
    m = _NEXT_WORD.match(text, v.end)
    if m is None:
        return False
    noun = stem(m.group(1).lower())
    if noun in _LIST_NOUNS:
        return False  # "10 results": the list is what is counted
    return any(key != v.num and noun in ctxs and not _COUNT_STEMS.isdisjoint(ctxs)
               for key, ctxs in idx.slots.get("number", ()))


_COUNT_STEMS = frozenset({"count", "numbe", "total", "num"})  # review_count, number_of_seats
_LIST_NOUNS = frozenset(stem(w) for w in ("results", "options", "items", "matches", "entries", "records", "choices"))
_NEXT_WORD = re.compile(r"\s+(?:\w+\s+)?([^\W\d_]{3,})")


# Digits of a card, an IBAN or a national id are an identifier the PII detector has claimed (and the
# policy redacts), not numbers the reply asserts.
_IDENTIFIER_TYPES = frozenset({"pii.payment_card", "pii.iban", "pii.national_id", "secret.credential"})


def _outside_identifiers(values: list[Value], ctx: Context) -> list[Value]:
    matches = ctx.shared.get("pii.matches")
    if not matches:
        return values
    spans = [(m.start, m.end) for m in matches if getattr(m, "type", "") in _IDENTIFIER_TYPES]
    if not spans:
        return values
    return [v for v in values if not any(a <= v.start and v.end <= b for a, b in spans)]
