"""Brand policy on outbound replies: competitors, forbidden phrases, off-limits topics, profanity and
insults, the AI disclosure, and leakage of the agent's own system prompt.

Every term-based rule (competitors, plain forbidden phrases, profanity, insults, topic words, cues,
disclosure phrases) lives in ONE Aho-Corasick automaton built at construction, so a check is a single
pass over the text however many terms the policy lists; matching is case- and diacritic-insensitive
(``brand_text.fold``) with word-boundary checks. Forbidden regexes run on the same folded text.

Finding types (default severity):

==============================  ========  =====================================================
``brand.competitor``            medium    a configured competitor name or alias
``brand.forbidden``             high      a forbidden phrase or regex (per-entry severity)
``brand.off_limits_topic``      medium    legal/medical/investment advice, politics (``brand_topics``)
``brand.profanity``             medium    glin-profanity lists, 8 languages by default
``brand.insult``                high      an insult aimed at a person (curated list)
``brand.missing_disclosure``    medium    the conversation has not yet told the customer it is an AI
``brand.system_prompt_leak``    high      a long run of ``metadata.system_prompt`` reproduced;
                                critical  ``metadata.canary`` reproduced
==============================  ========  =====================================================

Disclosure: a conversation counts as disclosed once one of its outbound messages carries a disclosure
phrase (recorded with ``state.set(tenant, "brand.disclosed", conversation_id, "1")``). An outbound
message in a conversation not yet disclosed is flagged, so the first reply must carry it, and a
retried first reply is checked again. ``metadata.first_message`` (true/false) overrides the state.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from ..errors import ConfigError, InvalidInput
from ..types import Category, Direction, Finding, Message, Severity
from . import brand_lists
from .base import BaseDetector, Context
from .brand_leak import longest_run
from .brand_text import Folded, Match, TermMatcher, fold, fold_term
from .brand_topics import CONTRAST, evaluate

__all__ = ["BrandDetector"]

DEFAULT_LANGUAGES = ("en", "de", "fr", "es", "sv", "nl", "it", "pt")
DEFAULT_TOPICS = ("legal", "medical", "investment", "politics")
_MIN_PROMPT_WORDS = 8

Payload = tuple[str, str]  # (kind, label)


def _strings(value: Any, field: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ConfigError(f"detectors.brand.{field}: expected a list of strings")
    out = []
    for v in value:
        if not isinstance(v, str) or not v.strip():
            raise ConfigError(f"detectors.brand.{field}: every entry must be a non-empty string")
        out.append(v)
    return out


class BrandDetector(BaseDetector):
    name: ClassVar[str] = "brand"
    version: ClassVar[str] = "1"
    category: ClassVar[Category] = Category.BRAND
    directions: ClassVar[frozenset[Direction]] = frozenset({Direction.OUTBOUND})

    def __init__(self, *, competitors: Sequence[str] | Mapping[str, Sequence[str]] = (),
                 forbidden: Sequence[str | Mapping[str, Any]] = (),
                 off_limits_topics: Sequence[str] = DEFAULT_TOPICS,
                 topic_keywords: Mapping[str, Sequence[str]] | None = None,
                 topic_phrases: Mapping[str, Sequence[str]] | None = None,
                 profanity: bool = True, profanity_languages: Sequence[str] = DEFAULT_LANGUAGES,
                 profanity_extra: Sequence[str] = (), profanity_allow: Sequence[str] = (),
                 insults: bool = True, require_disclosure: bool = True,
                 disclosure_phrases: Sequence[str] = (), disclosure_ttl_s: float | None = 90 * 86400,
                 leak_min_words: int = 20) -> None:
        terms: list[tuple[str, Payload]] = []
        if isinstance(competitors, Mapping):
            for name, aliases in competitors.items():
                terms += [(t, ("competitor", str(name))) for t in [str(name), *_strings(aliases, "competitors")]]
        else:
            terms += [(t, ("competitor", t)) for t in _strings(competitors, "competitors")]
        self._regexes: list[tuple[re.Pattern[str], str, Severity]] = []
        self._forbidden_severity: dict[str, Severity] = {}
        for i, entry in enumerate(forbidden):
            terms += self._forbidden_entry(i, entry)
        topics = brand_lists.topics()
        wanted = _strings(off_limits_topics, "off_limits_topics")
        extra_kw = dict(topic_keywords or {})
        extra_ph = dict(topic_phrases or {})
        for topic in dict.fromkeys([*wanted, *extra_kw, *extra_ph]):
            if topic in wanted and topic not in topics.keywords and topic not in extra_kw \
                    and topic not in extra_ph:
                raise ConfigError(f"detectors.brand.off_limits_topics: unknown topic {topic!r}; built-in: "
                                  f"{', '.join(sorted(topics.keywords))}")
            builtin = topic in wanted
            phrases = [*(topics.phrases.get(topic, ()) if builtin else ()),
                       *_strings(extra_ph.get(topic, ()), "topic_phrases")]
            keywords = [*(topics.keywords.get(topic, ()) if builtin else ()),
                        *_strings(extra_kw.get(topic, ()), "topic_keywords")]
            terms += [(p, ("topic_phrase", topic)) for p in phrases]
            terms += [(k, ("topic_kw", topic)) for k in keywords]
        terms += [(c, ("cue", "")) for c in topics.cues]
        terms += [(r, ("refusal", "")) for r in topics.refusals]
        terms += [(c, ("contrast", "")) for c in CONTRAST]
        if profanity:
            allow = {fold_term(t) for t in _strings(profanity_allow, "profanity_allow")}
            for lang in _strings(profanity_languages, "profanity_languages"):
                terms += [(t, ("profanity", lang)) for t in brand_lists.profanity(lang) if t not in allow]
            terms += [(t, ("profanity", "custom")) for t in _strings(profanity_extra, "profanity_extra")]
        if insults:
            terms += [(t, ("insult", lang)) for lang, t in brand_lists.insults()]
        self.require_disclosure = require_disclosure
        if require_disclosure:
            phrases = [*brand_lists.disclosure_phrases(), *_strings(disclosure_phrases, "disclosure_phrases")]
            terms += [(p, ("disclosure", "")) for p in phrases]
        self.disclosure_ttl_s = disclosure_ttl_s
        if not isinstance(leak_min_words, int) or leak_min_words < _MIN_PROMPT_WORDS:
            raise ConfigError(f"detectors.brand.leak_min_words: must be an integer >= {_MIN_PROMPT_WORDS}")
        self.leak_min_words = leak_min_words
        self._matcher: TermMatcher[Payload] = TermMatcher(terms)
        self._accent_exact = brand_lists.accent_exact()

    def _forbidden_entry(self, i: int, entry: str | Mapping[str, Any]) -> list[tuple[str, Payload]]:
        field = f"detectors.brand.forbidden[{i}]"
        severity = Severity.HIGH
        if isinstance(entry, str):
            label = entry
            phrase, regex = (None, entry[3:]) if entry.startswith("re:") else (entry, None)
        elif isinstance(entry, Mapping):
            phrase, regex = entry.get("phrase"), entry.get("regex")
            if (phrase is None) == (regex is None):
                raise ConfigError(f"{field}: give exactly one of 'phrase' or 'regex'")
            label = str(entry.get("id") or phrase or regex)
            try:
                severity = Severity(entry.get("severity", "high"))
            except ValueError as exc:
                raise ConfigError(f"{field}.severity: not a severity") from exc
        else:
            raise ConfigError(f"{field}: expected a phrase, 're:REGEX', or a mapping")
        if regex is not None:
            if not isinstance(regex, str) or not regex:
                raise ConfigError(f"{field}: regex must be a non-empty string")
            try:
                self._regexes.append((re.compile(regex, re.IGNORECASE), label, severity))
            except re.error as exc:
                raise ConfigError(f"{field}: bad regex: {exc}") from exc
            return []
        if not isinstance(phrase, str) or not phrase.strip():
            raise ConfigError(f"{field}: phrase must be a non-empty string")
        self._forbidden_severity[label] = severity
        return [(phrase, ("forbidden", label))]

    @property
    def term_count(self) -> int:
        return len(self._matcher)

    # -- detection -----------------------------------------------------------------------------------
    def detect(self, message: Message, ctx: Context) -> list[Finding]:
        if message.direction is not Direction.OUTBOUND:
            return []
        folded = fold(ctx.text)
        matches = list(self._matcher.scan(folded.text))
        ctx.check_deadline()
        out: list[Finding] = []

        def emit(type_: str, severity: Severity, start: int, end: int, evidence: str,
                 score: float = 1.0) -> None:
            s, e = folded.span(start, end)
            out.append(self.finding(ctx, type_, severity, s, e, evidence=evidence, score=score))

        for m in _longest_nonoverlapping(m for m in matches if m.payload[0] == "competitor"):
            emit("brand.competitor", Severity.MEDIUM, m.start, m.end, f"competitor {m.payload[1]!r} mentioned")
        for m in _longest_nonoverlapping(m for m in matches if m.payload[0] == "forbidden"):
            label = m.payload[1]
            emit("brand.forbidden", self._forbidden_severity[label], m.start, m.end,
                 f"forbidden phrase {label!r}")
        for pattern, label, severity in self._regexes:
            ctx.check_deadline()
            for rm in pattern.finditer(folded.text):
                if rm.end() > rm.start():
                    emit("brand.forbidden", severity, rm.start(), rm.end(), f"forbidden pattern {label!r}")
        for m in _longest_nonoverlapping(m for m in matches if m.payload[0] in ("profanity", "insult")):
            kind, lang = m.payload
            if kind == "profanity" and (_hyphenated(folded.text, m) or self._wrong_accents(ctx, folded, m)):
                continue
            if kind == "insult":
                emit("brand.insult", Severity.HIGH, m.start, m.end, f"insult ({lang})")
            else:
                emit("brand.profanity", Severity.MEDIUM, m.start, m.end, f"profanity ({lang})")
        for hit in evaluate(folded.text, matches):
            how = "advice named" if hit.by_phrase else "topic term with an advice or opinion cue"
            emit("brand.off_limits_topic", Severity.MEDIUM, hit.start, hit.end,
                 f"off-limits topic {hit.topic!r}: {how}", score=1.0 if hit.by_phrase else 0.8)
        if self.require_disclosure:
            out += self._disclosure(message, ctx, any(m.payload[0] == "disclosure" for m in matches))
        out += self._leak(message, ctx, folded)
        return out

    def _wrong_accents(self, ctx: Context, folded: Folded, m: Match[Payload]) -> bool:
        spellings = self._accent_exact.get(m.term)
        if spellings is None:
            return False
        s, e = folded.span(m.start, m.end)
        return " ".join(ctx.text[s:e].casefold().split()) not in spellings

    def _disclosure(self, message: Message, ctx: Context, disclosed_here: bool) -> list[Finding]:
        first = message.metadata.get("first_message")
        conv = message.conversation_id
        state = ctx.state if conv else None
        if isinstance(first, bool):
            must = first
        elif state is not None:
            must = state.get(message.tenant, "brand.disclosed", conv) is None
        else:
            must = False
        if disclosed_here and state is not None and (must or first is not None):
            state.set(message.tenant, "brand.disclosed", conv, "1", ttl_s=self.disclosure_ttl_s)
        if must and not disclosed_here:
            return [self.finding(ctx, "brand.missing_disclosure", Severity.MEDIUM,
                                 evidence="no AI-assistant disclosure before or in this reply")]
        return []

    def _leak(self, message: Message, ctx: Context, folded: Folded) -> list[Finding]:
        out: list[Finding] = []

        def emit(severity: Severity, start: int, end: int, evidence: str, score: float = 1.0) -> None:
            s, e = folded.span(start, end)
            out.append(self.finding(ctx, "brand.system_prompt_leak", severity, s, e, evidence=evidence,
                                    score=score))

        canaries = message.metadata.get("canary")
        if canaries is not None:
            items = [canaries] if isinstance(canaries, str) else canaries
            if not isinstance(items, list) or not all(isinstance(c, str) for c in items):
                raise InvalidInput("must be a string or a list of strings", field="metadata.canary")
            for canary in items:
                token = fold_term(canary)
                pos = folded.text.find(token) if len(token) >= 6 else -1
                if pos >= 0:
                    emit(Severity.CRITICAL, pos, pos + len(token), "canary token reproduced")
                    break
        prompt = message.metadata.get("system_prompt")
        if prompt is not None:
            if not isinstance(prompt, str):
                raise InvalidInput("must be a string", field="metadata.system_prompt")
            ctx.check_deadline()
            run = longest_run(folded, fold(prompt).text)
            if run is not None and run.prompt_words >= _MIN_PROMPT_WORDS:
                need = min(self.leak_min_words, max(_MIN_PROMPT_WORDS, math.ceil(0.8 * run.prompt_words)))
                if run.words >= need:
                    emit(Severity.HIGH, run.start, run.end,
                         f"reply reproduces {run.words} consecutive words of the system prompt "
                         f"({run.prompt_words} words)",
                         score=min(1.0, 0.7 + 0.3 * run.words / run.prompt_words))
        return out


def _hyphenated(text: str, m: Match[Payload]) -> bool:
    """A profanity term inside a hyphenated compound ("cul-de-sac") is not the term itself."""
    if "-" in m.term:
        return False
    return (m.start > 0 and text[m.start - 1] == "-") or (m.end < len(text) and text[m.end] == "-")


def _longest_nonoverlapping(matches: Iterable[Match[Payload]]) -> list[Match[Payload]]:
    kept: list[Match[Payload]] = []
    for m in sorted(matches, key=lambda m: (m.start, -(m.end - m.start))):
        if kept and m.start < kept[-1].end:
            continue
        kept.append(m)
    return kept
