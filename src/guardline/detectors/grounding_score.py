"""From checked claims to findings: how likely each claim is to be a hallucination, one graded score for
the whole reply, the severity each claim's finding gets, and the span it points at.

Every claim carries a probability-like ``score``: the share of such claims that human annotators marked
as unsupported or contradicted on the tuning half of RAGTruth (even response ids; see
docs/benchmarks/grounding.md), rounded. The reply's risk is the noisy-OR of its claim scores, so two
weak signals count for more than one and a single strong one decides alone. The policy acts on
severities, so the risk is turned into them: below ``threshold`` every claim is reported ``low``
(visible in the audit trail, no action); at or above it, the claims that carry the risk (score >=
``floor``) get their kind's severity: ``high`` for a contradiction, ``medium`` for unsupported content.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..types import Severity
from .grounding_claims import Claim
from .grounding_text import phrase_bounds

__all__ = ["PRIOR", "STATEMENTS_COUNTED", "meta_sentence", "noisy_or", "phrase_bounds", "response_risk", "severity_for"]


# Share of claims of each kind/outcome that annotators marked, on the tuning half (even ids).
PRIOR: dict[str, float] = {
    "contradiction.attribute": 0.65, "contradiction.time": 0.65, "contradiction.value": 0.6,
    "contradiction.commitment": 0.8, "contradiction.entity": 0.7,
    "empty.attribute": 0.7, "absent.attribute": 0.25,
    "unsupported.value": 0.6, "unsupported.number": 0.7, "unsupported.commitment": 0.6,
    "unsupported.entity": 0.1, "unsupported.carrier": 0.6,
}


def noisy_or(scores: Iterable[float]) -> float:
    """The chance that at least one claim is a hallucination, were the claims independent."""
    keep = 1.0
    for s in scores:
        keep *= 1.0 - min(max(s, 0.0), 1.0)
    return round(1.0 - keep, 6)


STATEMENTS_COUNTED = 2


def response_risk(claims: Iterable[tuple[str, float]]) -> float:
    """The reply's risk from its (kind, score) claims: the noisy-OR of every typed claim (a value, an
    attribute, hours, a commitment, a name) and of the ``STATEMENTS_COUNTED`` most novel statements.
    Novel statements in one reply are not independent (one writer, one source), so counting all of them
    would make every long reply risky; on the tuning half the top two ranked replies best."""
    typed: list[float] = []
    statements: list[float] = []
    for kind, score in claims:
        (statements if kind == "statement" else typed).append(score)
    statements.sort(reverse=True)
    return noisy_or(typed + statements[:STATEMENTS_COUNTED])


def severity_for(claim: Claim, risk: float, threshold: float, floor: float, top: float) -> Severity:
    """The finding's severity: the claim's own when the reply is judged hallucinated and the claim
    carries part of that judgement (its score is at least ``floor``, or it is the reply's strongest
    claim, ``top``), else ``low``. So a flagged reply always points at a claim span."""
    if risk < threshold or (claim.score < floor and claim.score < top):
        return Severity.LOW
    return Severity.HIGH if claim.outcome == "contradiction" else Severity.MEDIUM


_META_RE = re.compile(
    r"^\W*(?:sure|certainly|of course|okay|ok|absolutely)\W*$|"
    r"^\W*(?:here(?:'s| is| are)|below is|the following is)\b[^.!?\n]{0,200}:\s*$|"
    r"^\W*(?:here(?:'s| is| are)|below is)\s+(?:a|an|the|my|your)\s+(?:\w+\s+){0,3}"
    r"(?:summary|overview|answer|response|breakdown|description)\b[^!?\n:\d$€£]{0,160}[.:]?\s*$|"
    r"^\W*(?:based on|according to|from) (?:the|this|these|your) (?:provided |given |above )?"
    r"(?:passages?|articles?|data|information|context|structured data|sources?|text|documents?)\b"
    r"[^.!?\n]{0,160}:\s*$", re.I)


def meta_sentence(sentence: str) -> bool:
    """A sentence about the reply itself ("Sure! Here is a summary in 200 words:"), which claims
    nothing about the world."""
    s = sentence.strip()
    return bool(_META_RE.search(s)) and len(s) < 220
