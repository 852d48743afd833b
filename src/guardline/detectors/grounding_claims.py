"""Claims that are not typed values: commitments (a refund issued, a fee waived, a discount, a
guarantee), named entities (carriers, brands, places, people), and whole statements whose content
words the grounding does not contain.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .grounding_fields import _truth
from .grounding_lexicon import MONTHS, NUMBER_WORDS, STOPWORDS, WEEKDAYS
from .grounding_text import WORD_RE, content_stems, is_negated, sentence_bounds

__all__ = ["CARRIERS", "COMMITMENTS", "Claim", "commitment_claims", "entity_claims", "statement_claims"]


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


def _grounding_mentions(pattern: re.Pattern[str], lower: str, facts: dict[tuple[str, ...], Any]) -> tuple[bool, bool]:
    """(affirmative, negative): whether the grounding mentions the concept, and how."""
    pos = neg = False
    for m in pattern.finditer(lower):
        window = lower[m.start(): m.start() + 60].split("\n", 1)[0]
        if is_negated(lower, m.start(), m.end()) or re.search(r":\s*(?:false|no|none|null|0)\b", window):
            neg = True
        else:
            pos = True
    for path, value in facts.items():
        if any(pattern.search(p) for p in path):
            t = _truth(value)
            if t is True:
                pos = True
            elif t is False:
                neg = True
    return pos, neg


def commitment_claims(text: str, lower: str, facts: dict[tuple[str, ...], Any],
                      grounded: bool) -> Iterator[Claim]:
    for name, pattern in COMMITMENTS.items():
        for m in pattern.finditer(text):
            s, e = m.start(), m.end()
            sent = next(((a, b) for a, b in sentence_bounds(text) if a <= s < b), (0, len(text)))
            if text[sent[0]:sent[1]].rstrip().endswith("?") or is_negated(text, s, e):
                continue
            if not _COMMIT_VERBS.search(text, sent[0], sent[1]):
                continue
            word_end = re.search(r"\W|$", text[e:])
            e2 = e + (word_end.start() if word_end else 0)
            if not grounded:
                yield Claim("commitment", s, e2, "unsupported", 0.6, f"{name} promised without grounding")
                continue
            pos, neg = _grounding_mentions(pattern, lower, facts)
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


def entity_claims(text: str, lower: str) -> Iterator[Claim]:
    """Carriers named against the grounding's carrier; capitalised names the grounding never mentions."""
    ground_carriers = {m.group(0) for m in _CARRIER_LOWER_RE.finditer(lower)}
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
    starts = {a for a, _ in sentence_bounds(text)}
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


def statement_claims(text: str, stems: set[str], *, threshold: float, min_words: int) -> Iterator[Claim]:
    """Sentences most of whose content words the grounding does not contain."""
    for lo, hi in sentence_bounds(text):
        words = content_stems(text, lo, hi)
        if len(words) < min_words:
            continue
        novel = sum(1 for w in words if w not in stems)
        ratio = novel / len(words)
        if ratio >= threshold:
            yield Claim("statement", lo, hi, "unsupported", round(0.2 + 0.5 * ratio, 4),
                        f"{novel} of {len(words)} content words not in the grounding")
