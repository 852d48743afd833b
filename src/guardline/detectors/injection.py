"""Prompt-injection detector (``injection``): direct attacks in a customer's inbound message and
indirect ones hidden in the grounding sources the agent reads.

What it finds, in English, German, French, Spanish, Swedish, Dutch, Italian and Portuguese
(lexicons in ``guardline/data/injection/``):

- ``injection.direct`` (inbound message text): instruction overrides ("ignore all previous
  instructions"), system-prompt extraction, role-play jailbreaks and unrestricted personas (DAN,
  "you are now ... with no restrictions"), persona prompts that re-program the assistant (many
  sentences telling it how it will talk or what it must write, "act as ...", "you are an expert
  in ..."), claims to be its developer, claims that its rules no longer apply, fiction framed around
  a harmful how-to, persona prompts assembled from innocent parts (who "you" are + rules for how
  "you" answer + an output format or a turn-taking protocol, a coined name such as "HackGPT"),
  prompt-template placeholders, delimiter and markup injection
  (``</user><system>``, ``<|im_start|>``, ``[INST]``, role labels and banners in eight languages:
  ``[Ende Kundennachricht]``, ``=== FIN CLIENTE ===``); and, for short messages to a customer-service
  agent (1.4), claims to speak for its operators, requests to skip a control or to hide an action,
  actions on other customers' accounts or data, its own instructions asked for word for word, a
  debug mode switched on or its filters off;
- ``injection.encoded``: the same, hidden in base64, hex or Morse segments, letters spelled out one by
  one ("I g n o r e  a l l"), or in rot13, leetspeak or reversed text: the payload is DECODED and
  scanned, not merely matched;
- ``injection.indirect`` (grounding sources of kind ``tool`` and ``kb`` by default, on any message):
  instructions addressed to the assistant inside a document (an email, a web page, a table) -
  directives about "your response", notes to "the AI", imperative assistant tasks. Span None; the
  evidence names the source id and kind.

Each finding has severity high and a ``score`` in 0..1 (see ``injection_rules``); ONE setting,
``threshold``, turns scores into findings. Evidence names the features that fired, never the text.

Beside the rules, inbound messages of at least 200 characters are also read by a small trained scorer
(``injection_model``: logistic regression over hashed word n-grams, weights shipped in the package);
a message's score is the higher of the two, and where the model's is higher the evidence says so
(feature ``model``, its span the n-grams that weighed most). Shorter inbound messages are read by a
second one (``injection_short``, 1.5: hashed character 3-5-grams and word 1-2-grams), combined the
same way; it reads every language whatever ``languages`` says. ``model=False`` turns both off. They
do not read grounding sources or decoded payloads.

Cost: one Aho-Corasick pass per reading of the text (plain, rot13, reversed, leetspeak when
present) plus a few regexes. Input longer than ``max_chars`` (default 12,000 characters) is scanned
as its first two thirds and last third of ``max_chars``; the middle is not read.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from ..errors import ConfigError
from ..normalize import fold_lookalikes, normalize  # one look-alike table for the project
from ..types import Category, Direction, Finding, Message, Severity
from .base import BaseDetector, Context
from .injection_decode import decode_segments, has_leet
from .injection_fold import fold, leet, rot13
from .injection_lexicon import LANGUAGES, load
from .injection_match import Matcher
from .injection_model import MIN_CHARS, load_model
from .injection_rules import Analysis, Mode, analyze
from .injection_short import load_short

__all__ = ["InjectionDetector", "Scan"]

# features that a rewriting of the whole text (rot13, reversed, leetspeak) must produce to count:
# weak cues appear by chance in scrambled text, these do not
_STRONG = frozenset({
    "override", "extraction", "system_prompt", "persona", "unrestricted", "roleplay", "roleplay_opening",
    "roleplay_request", "persona_assigned", "authority", "rules_lifted", "policy_lifted",
})


@dataclass(frozen=True, slots=True)
class Scan:
    """Everything the detector concluded about one text: the plain reading and the best decoding."""

    plain: Analysis
    encoded: Analysis | None = None
    encoding: str = ""
    encoded_span: tuple[int, int] | None = None

    @property
    def score(self) -> float:
        return max(self.plain.score, self.encoded.score if self.encoded else 0.0)


class InjectionDetector(BaseDetector):
    name: ClassVar[str] = "injection"
    version: ClassVar[str] = "1.7"
    category: ClassVar[Category] = Category.INJECTION
    directions: ClassVar[frozenset[Direction]] = frozenset(Direction)

    def __init__(
        self,
        *,
        threshold: float = 0.5,
        languages: Sequence[str] = LANGUAGES,
        sources: Sequence[str] = ("tool", "kb"),
        max_chars: int = 12_000,
        decode: bool = True,
        scan_outbound_text: bool = False,
        model: bool = True,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ConfigError(f"injection: threshold must be in (0, 1], got {threshold!r}")
        if max_chars < 200:
            raise ConfigError(f"injection: max_chars must be at least 200, got {max_chars!r}")
        unknown = sorted(set(sources) - {"kb", "tool", "crm", "history"})
        if unknown:
            raise ConfigError(f"injection: unknown source kinds {unknown}; use kb, tool, crm, history")
        self.threshold = float(threshold)
        self.languages = tuple(languages)
        self.sources = frozenset(sources)
        self.max_chars = int(max_chars)
        self.decode = bool(decode)
        self.scan_outbound_text = bool(scan_outbound_text)
        self.model = bool(model)
        self._matcher = _matcher(self.languages)

    # -- scoring, public for the benchmark ------------------------------------------------------

    def scan(self, text: str, mode: Mode = "direct") -> Scan:
        """Score already-normalised ``text`` as a customer message (``direct``) or a document."""
        head, tail_at = self._window(text)
        folded = fold(head)
        plain = analyze(head, self._matcher.hits(head, folded), mode, folded=folded)
        if self.model and mode == "direct":
            plain = _with_model(plain, folded)
        if not self.decode:
            return Scan(_remap(plain, tail_at, len(text), len(head)))
        best: Analysis | None = None
        encoding = ""
        span: tuple[int, int] | None = None
        for seg in decode_segments(head):
            a = self._analyze(normalize(seg.text).text, "direct")
            if best is None or a.score > best.score:
                best, encoding, span = a, seg.kind, (seg.start, seg.end)
        rewritings = [("rot13", rot13(folded)), ("reversed", folded[::-1])]
        if has_leet(head):
            rewritings.append(("leetspeak", leet(folded)))
        for kind, rewritten in rewritings:
            a = analyze(rewritten, self._matcher.hits(head, rewritten, exact=False), mode)
            if kind == "reversed":
                a = _mirror(a, len(head))
            if _STRONG & a.features.keys() and (best is None or a.score > best.score):
                best, encoding, span = a, kind, a.span
        if best is not None and best.score <= plain.score:
            best = None
        mapped_span = _remap_span(span, tail_at, len(text), len(head)) if best else None
        return Scan(_remap(plain, tail_at, len(text), len(head)), best, encoding if best else "", mapped_span)

    def _analyze(self, text: str, mode: Mode) -> Analysis:
        folded = fold(text)
        return analyze(text, self._matcher.hits(text, folded), mode, folded=folded)

    def _window(self, text: str) -> tuple[str, int | None]:
        """The text to scan and, when it was cut, where the tail starts in the scanned string."""
        if len(text) <= self.max_chars:
            return text, None
        head_len = self.max_chars * 2 // 3
        tail_len = self.max_chars - head_len - 1
        return text[:head_len] + "\n" + text[-tail_len:], head_len + 1

    # -- the detector protocol ------------------------------------------------------------------

    def detect(self, message: Message, ctx: Context) -> Iterable[Finding]:
        out: list[Finding] = []
        if message.direction is Direction.INBOUND or self.scan_outbound_text:
            scan = self.scan(ctx.text, "direct")
            if scan.plain.score >= self.threshold:
                span = scan.plain.span
                out.append(self.finding(
                    ctx, "injection.direct", Severity.HIGH, *(span or (None, None)),
                    score=scan.plain.score, evidence=_evidence(scan.plain),
                ))
            if scan.encoded is not None and scan.encoded.score >= self.threshold:
                span = scan.encoded_span
                out.append(self.finding(
                    ctx, "injection.encoded", Severity.HIGH, *(span or (None, None)),
                    score=scan.encoded.score, evidence=f"{scan.encoding} payload: {_evidence(scan.encoded)}",
                ))
        for source in message.grounding:
            if source.kind not in self.sources:
                continue
            ctx.check_deadline()
            scan = self.scan(_flatten(source.text), "indirect")
            if scan.score >= self.threshold:
                best = scan.encoded if scan.encoded and scan.encoded.score > scan.plain.score else scan.plain
                how = f"{scan.encoding} payload: " if best is scan.encoded else ""
                out.append(self.finding(
                    ctx, "injection.indirect", Severity.HIGH, score=scan.score,
                    evidence=f"source {source.id or '?'} ({source.kind}): {how}{_evidence(best)}",
                ))
        return out


_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_LOOKALIKE_SCRIPTS = re.compile("[\u0370-\u04ff\u0500-\u052f]")


def _flatten(text: str) -> str:
    """Normalise a grounding source cheaply: indirect findings have no span, so no offset map is
    built (the mapping normaliser costs ~10 ms on 10,000 characters of Cyrillic or Greek text): NFKC,
    invisible characters dropped, Cyrillic and Greek look-alikes folded to Latin with the
    normaliser's own table."""
    if text.isascii():
        return normalize(text).text  # its fast path: only ASCII control characters to drop
    flat = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    if _LOOKALIKE_SCRIPTS.search(flat):
        flat = fold_lookalikes(flat)
    return flat


def _with_model(a: Analysis, folded: str) -> Analysis:
    """The rules' analysis, or the trained scorer's where it scores higher: then the score is the
    model's and a ``model`` feature spans the n-grams that pushed it up most (the rule features that
    fired stay, as evidence). Messages under ``MIN_CHARS`` characters are read by the short-message
    scorer (``injection_short``), longer ones by the long one."""
    m = load_short().score(folded) if len(folded) < MIN_CHARS else load_model().score(folded)
    if m.score <= a.score:
        return a
    feats = dict(a.features)
    feats["model"] = m.span(folded) or (0, len(folded))
    return Analysis(m.score, a.weight, feats)


def _evidence(a: Analysis) -> str:
    out = "features " + ", ".join(sorted(a.features)) + f" (weight {a.weight:.2f}"
    if "model" in a.features:
        out += f"; model score {a.score:.2f}"
    return out + ")"


_MATCHERS: dict[tuple[str, ...], Matcher] = {}


def _matcher(languages: tuple[str, ...]) -> Matcher:
    """One automaton per language set, shared by every detector instance."""
    key = tuple(sorted(set(languages)))
    m = _MATCHERS.get(key)
    if m is None:
        m = Matcher(load(lang) for lang in key)
        _MATCHERS[key] = m
    return m


def _remap_span(span: tuple[int, int] | None, tail_at: int | None, full: int, scanned: int) -> tuple[int, int] | None:
    if span is None or tail_at is None:
        return span
    shift = full - scanned

    def one(p: int) -> int:
        return p + shift if p >= tail_at else min(p, tail_at - 1)

    return (one(span[0]), one(span[1]))


def _remap(a: Analysis, tail_at: int | None, full: int, scanned: int) -> Analysis:
    if tail_at is None or not a.features:
        return a
    feats = {}
    for k, v in a.features.items():
        m = _remap_span(v, tail_at, full, scanned)
        feats[k] = m if m is not None else v
    return Analysis(a.score, a.weight, feats)


def _mirror(a: Analysis, n: int) -> Analysis:
    if not a.features:
        return a
    return Analysis(a.score, a.weight, {k: (n - e, n - s) for k, (s, e) in a.features.items()})
