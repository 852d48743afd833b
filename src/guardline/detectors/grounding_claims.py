"""Claims that are not typed values: commitments (a refund issued, a fee waived, a discount, a
guarantee), named entities (carriers, brands, places, people), and whole statements whose content
words the grounding does not contain.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from .grounding_fast import CiPattern, lowered
from .grounding_fields import _truth
from .grounding_lexicon import MONTHS, NEGATIONS, NUMBER_WORDS, STOPWORDS, WEEKDAYS
from .grounding_speech import COURTESY_WORDS, addresses_customer
from .grounding_text import WORD_RE, is_negated, phrase_bounds, stem

if TYPE_CHECKING:
    from .grounding_index import SourceIndex

__all__ = ["CARRIERS", "COMMITMENTS", "Claim", "commitment_claims", "entity_claims", "novel_words", "novelty_score",
           "statement_claims"]


@dataclass(frozen=True, slots=True)
class Claim:
    kind: str
    start: int
    end: int
    outcome: str  # supported | unsupported | contradiction
    score: float
    evidence: str


def _r(p: str) -> re.Pattern[str]:
    return re.compile(p, re.I)


COMMITMENTS: dict[str, re.Pattern[str]] = {
    "refund": _r(r"\brefund|\breimburs|\bmoney back|rückerstatt|\berstatt|\brembours|\breembols|"
                 r"återbetal|terugbetal|\brimbors|\bestorn"),
    "fee_waiver": _r(r"\bwaive|\bfee (?:has been |was )?(?:removed|cancelled)|\berlass|\bexonér|\bcondon|"
                     r"efterskänk|kwijtgescholden|\babbuon|\bisen[çc]"),
    "discount": _r(r"\bdiscount|\b\d+\s?% off|\brabatt|\bremise|\bréduction|\bdescuento|\bkorting|\bsconto|"
                   r"\bdesconto"),
    "guarantee": _r(r"\bguarant|\bwarrant|\bgaranti|\bgaranzi"),
    "free_shipping": _r(r"\bfree (?:shipping|delivery|returns?)|\bkostenlose[nr]? (?:versand|lieferung|rücksendung)|"
                        r"livraison gratuite|retours? gratuits?|env[ií]o grat|devoluci[oó]n gratuita|fri frakt|"
                        r"gratis (?:verzending|retour)|spedizione gratuita|reso gratuito|frete gr[aá]tis|"
                        r"devolu[cç][aã]o gratuita|\bshipping_free|\bfreeshipping"),
    "voucher": _r(r"\bvoucher|\bstore credit|\bgift card|\bgutschein|\bbon d'achat|\bvale\b|\bpresentkort|"
                  r"\btegoedbon|\bbuono\b|\bcupom"),
    "replacement": _r(r"\breplacement|\bersatzger|\bremplacement|\breemplazo|\bersättning|\bvervang|"
                      r"\bsostituzion|\bsubstitui"),
    "cancellation": _r(r"\bcancel|\bstorn|\bannul|\bcancelad|\bavbok|\bgeannuleerd"),
}

# commitments are claims only when they speak of an action done or promised
_COMMIT_VERBS = _r(r"\b(?:will|'ll|have|has|'ve|is|are|been|was|we|i|get|receive|issued|processed|"
                   r"applied|granted|offer|entitled|eligible|can|werden|wird|haben|habe|erhalten|bekommen|"
                   r"allons|avons|recevrez|vamos|hemos|recibirá|kommer|har|får|zullen|hebben|krijgt|"
                   r"abbiamo|riceverà|vamos|recebera|receberá|iremos)\b")
_FAST_COMMITMENTS = {name: CiPattern(p) for name, p in COMMITMENTS.items()}
_FAST_COMMIT_VERBS = CiPattern(_COMMIT_VERBS)


def _grounding_mentions(name: str, idx: SourceIndex) -> tuple[bool, bool]:
    """(affirmative, negative): whether the grounding mentions the concept, and how. Computed once per
    source index (indexes are cached per source text)."""
    hit = idx.memo.get(("commitment", name))
    if isinstance(hit, tuple):
        return cast("tuple[bool, bool]", hit)
    pattern, lower = COMMITMENTS[name], idx.lower
    pos = neg = False
    for m in pattern.finditer(lower):
        window = lower[m.start(): m.start() + 60].split("\n", 1)[0]
        if is_negated(lower, m.start(), m.end()) or _FALSE_FIELD.search(window):
            neg = True
        else:
            pos = True
    for path, value in idx.facts.items():
        if any(pattern.search(p) for p in path):
            t = _truth(value)
            if t is True:
                pos = True
            elif t is False:
                neg = True
    idx.memo[("commitment", name)] = (pos, neg)
    return pos, neg


_FALSE_FIELD = re.compile(r":\s*(?:false|no|none|null|0)\b")
_WORD_END = re.compile(r"\W|$")


def commitment_claims(text: str, idx: SourceIndex | None,
                      sentences: list[tuple[int, int]]) -> Iterator[Claim]:
    """Commitments said as done or promised; ``idx`` None: the reply has no grounding."""
    low = lowered(text)
    for name, pattern in _FAST_COMMITMENTS.items():
        for m in pattern.finditer(text, low):
            s, e = m.start(), m.end()
            sent = next(((a, b) for a, b in sentences if a <= s < b), (0, len(text)))
            if text[sent[0]:sent[1]].rstrip().endswith("?") or is_negated(text, s, e):
                continue
            if not _FAST_COMMIT_VERBS.search(text, low, sent[0], sent[1]):
                continue
            word_end = _WORD_END.search(text, e)
            e2 = word_end.start() if word_end else e
            if idx is None:
                yield Claim("commitment", s, e2, "unsupported", 0.6, f"{name} promised without grounding")
                continue
            pos, neg = _grounding_mentions(name, idx)
            if pos:
                yield Claim("commitment", s, e2, "supported", 0.0, f"{name} is in the grounding")
            elif neg:
                yield Claim("commitment", s, e2, "contradiction", 0.9, f"grounding rules out the {name}")
            else:
                yield Claim("commitment", s, e2, "unsupported", 0.7, f"{name} not found in the grounding")


CARRIERS = ("FedEx", "UPS", "DHL", "PostNL", "USPS", "DPD", "GLS", "Royal Mail", "PostNord", "Bring",
            "Correos", "La Poste", "Colissimo", "Chronopost", "Hermes", "Deutsche Post", "BRT", "SDA",
            "Poste Italiane", "CTT", "Budbee", "Instabox", "Evri", "Yodel", "Parcelforce", "bpost",
            "Mondial Relay", "SEUR", "MRW", "Nacex", "TNT", "Canada Post", "Australia Post", "Aramex")
# the reply is matched with case (Correos the carrier, not "correos" the e-mails); grounding without
_CARRIER_RE = re.compile(r"\b(?:{})\b".format("|".join(re.escape(c) for c in CARRIERS + tuple(
    c.upper() for c in CARRIERS))))
_CARRIER_LOWER_RE = re.compile(r"\b(?:{})\b".format("|".join(re.escape(c.lower()) for c in CARRIERS)))
_CAP_RE = re.compile(r"\b[A-Z][\w'’&.-]*[A-Za-z0-9](?:\s+(?:(?:of|de|la|le|del|van|von|der|di|da|&|and)\s+)?"
                     r"[A-Z][\w'’&.-]*[A-Za-z0-9])*")
_COMMON = STOPWORDS | set(MONTHS) | set(WEEKDAYS) | set(NUMBER_WORDS) | {
    "however", "additionally", "overall", "also", "based", "please", "thank", "thanks", "hello", "dear",
    "unfortunately", "yes", "sure", "okay", "great", "sorry", "hi", "according", "furthermore",
    "moreover", "therefore", "in", "while", "although", "customers", "some", "the", "it", "its", "this",
    "they", "there", "these", "passage", "passages", "step", "note", "summary"}


def entity_claims(text: str, idx: SourceIndex, sentences: list[tuple[int, int]]) -> Iterator[Claim]:
    """Carriers named against the grounding's carrier; capitalised names the grounding never mentions."""
    lower = idx.lower
    memo = idx.memo.get("carriers")
    if not isinstance(memo, frozenset):
        memo = frozenset(m.group(0) for m in _CARRIER_LOWER_RE.finditer(lower))
        idx.memo["carriers"] = memo
    ground_carriers: frozenset[str] = memo
    taken: list[tuple[int, int]] = []
    for m in _CARRIER_RE.finditer(text):
        name = m.group(0).lower()
        taken.append((m.start(), m.end()))
        if name in ground_carriers:
            yield Claim("entity", m.start(), m.end(), "supported", 0.0, "carrier matches")
        elif ground_carriers:
            yield Claim("entity", m.start(), m.end(), "contradiction", 0.9,
                        "grounding names another carrier")
        else:
            yield Claim("entity", m.start(), m.end(), "unsupported", 0.6, "carrier not in the grounding")
    starts = {a for a, _ in sentences}
    for m in _CAP_RE.finditer(text):
        s, e = m.start(), m.end()
        if any(not (e <= a or s >= b) for a, b in taken):
            continue
        words = [w for w in WORD_RE.findall(m.group(0)) if len(w) >= 3 and w.lower() not in _COMMON]
        if s in starts and len(m.group(0).split()) == 1:
            continue  # a single capitalised word opening a sentence says nothing
        if not words:
            continue
        missing = [w for w in words if w.lower() not in lower]
        if missing and len(missing) == len(words):
            yield Claim("entity", s, e, "unsupported", 0.5, "name not in the grounding")


# Novel-content model: logistic in the share of a sentence's content words that the grounding lacks,
# fitted on the 3,090 sentences of the tuning half of RAGTruth (even ids; label: the sentence overlaps an
# annotated span). The number of novel words added nothing once their share was known.
_NOVEL_BIAS, _NOVEL_SHARE = -3.25, 3.35


def novelty_score(novel: int, total: int) -> float:
    """How likely a sentence with ``novel`` of ``total`` content words absent from the grounding holds
    an unsupported claim."""
    if novel == 0 or total == 0:
        return 0.0
    z = _NOVEL_BIAS + _NOVEL_SHARE * novel / total
    return round(1.0 / (1.0 + math.exp(-z)), 4)


def novel_words(text: str, lo: int, hi: int, stems: set[str],
                ignore: frozenset[str] = frozenset()) -> tuple[list[tuple[int, int]], int]:
    """Spans of the content words in text[lo:hi] whose stem the grounding lacks, and the number of
    content words. Words in ``ignore`` (lower case) are not content."""
    novel: list[tuple[int, int]] = []
    total = 0
    for m in WORD_RE.finditer(text, lo, hi):
        w = m.group(0).lower()
        if len(w) < 3 or w in STOPWORDS or w in NEGATIONS:
            continue
        if w in ignore:
            continue
        total += 1
        if stem(w) not in stems:
            novel.append((m.start(), m.end()))
    return novel, total


def statement_claims(text: str, stems: set[str], sentences: list[tuple[int, int]], *,
                     min_words: int) -> Iterator[Claim]:
    """Per sentence, the stretch of content the grounding does not contain: from the phrase of the first
    novel content word to the end of the phrase of the last one. In a sentence that speaks to the
    customer the words of service talk (help, thank, sorry, enjoy...) are not content: a pleasantry
    claims nothing."""
    for lo, hi in sentences:
        ignore = COURTESY_WORDS if addresses_customer(text, lo, hi) else frozenset()
        novel, total = novel_words(text, lo, hi, stems, ignore)
        if total < min_words or not novel:
            continue
        score = novelty_score(len(novel), total)
        a, _ = phrase_bounds(text, novel[0][0], novel[0][1], lo, hi)
        _, b = phrase_bounds(text, novel[-1][0], novel[-1][1], lo, hi)
        yield Claim("statement", a, b, "unsupported", score,
                    f"{len(novel)} of {total} content words not in the grounding")
