"""Context rules for off-limits topics (legal, medical, investment advice, politics).

Text is cut into clauses: sentence ends (``. ! ? ;`` before a space, or a newline) and contrast words
(``but``, ``aber``, ``mais``, ``pero`` ...: "I can't give legal advice, but you should sue" is two
clauses). In a clause:

- a refusal or referral (``cannot``, ``consult``, ``speak to a``, ``no puedo`` ...) clears it: an agent
  declining to advise is what a policy wants;
- otherwise a topic *phrase* (advice named as such: "investment advice", "vote for") flags the topic;
- otherwise a topic *keyword* ("ibuprofen", "lawsuit", "bitcoin") flags it only together with an
  advice or opinion *cue* ("you should", "I recommend", "je vous conseille", "I think").

A keyword alone never fires: "your order of aspirin has shipped" is not medical advice.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from .brand_text import Match

__all__ = ["CONTRAST", "TopicHit", "evaluate"]

CONTRAST = ("but", "however", "though", "aber", "jedoch", "mais", "cependant", "pero", "sin embargo",
            "però", "ma", "tuttavia", "mas", "porem", "maar", "echter", "dock")

_SENTENCE_END = re.compile(r"[.!?;]+(?=\s|$)|\n")


@dataclass(frozen=True, slots=True)
class TopicHit:
    topic: str
    start: int  # folded offsets of the phrase or keyword
    end: int
    by_phrase: bool


def evaluate(folded: str, matches: Sequence[Match[tuple[str, str]]]) -> list[TopicHit]:
    """Topic hits, at most one per topic and clause. ``matches`` carry ``(kind, label)`` payloads with
    kinds ``topic_phrase``/``topic_kw`` (label: topic), ``cue``, ``refusal`` and ``contrast``."""
    relevant = [m for m in matches if m.payload[0] in ("topic_phrase", "topic_kw")]
    if not relevant:
        return []
    bounds = sorted([m.end() for m in _SENTENCE_END.finditer(folded)]
                    + [m.start for m in matches if m.payload[0] == "contrast"])

    def clause(pos: int) -> int:
        return bisect_right(bounds, pos)

    refused = {clause(m.start) for m in matches if m.payload[0] == "refusal"}
    cued = {clause(m.start) for m in matches if m.payload[0] == "cue"}
    best: dict[tuple[int, str], TopicHit] = {}
    for m in relevant:
        c = clause(m.start)
        if c in refused:
            continue
        kind, topic = m.payload
        by_phrase = kind == "topic_phrase"
        if not by_phrase and c not in cued:
            continue
        key = (c, topic)
        prev = best.get(key)
        if prev is None or (by_phrase and not prev.by_phrase):
            best[key] = TopicHit(topic, m.start, m.end, by_phrase)
    return sorted(best.values(), key=lambda h: h.start)
