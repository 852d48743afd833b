"""Structured grounding: flatten a JSON tool output into fields, and check what a reply says about
yes/no attributes ("outdoor seating", "WiFi", "takes reservations", "valet parking", "casual") against
the field that holds it.

A reply mention of an attribute is matched to fields by the field's name (``OutdoorSeating``,
``outdoor_seating``, ``BusinessParking.valet``), never by where the data came from. Outcomes:
``supported`` (field agrees), ``contradiction`` (field holds the opposite), ``empty`` (field present
but null), ``absent`` (no field and no grounding text mentions it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .grounding_fast import CiPattern, lowered
from .grounding_text import clause_bounds, is_negated

__all__ = ["CONCEPTS", "AttributeCheck", "check_attributes", "field_facts", "flatten", "key_tokens"]

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|[_\-.\s]+")


def key_tokens(key: str) -> list[str]:
    """``RestaurantsGoodForGroups`` -> restaurants good for groups; ``return_window_days`` likewise."""
    return [t.lower() for t in _CAMEL.split(key) if t]


def _norm_key(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def flatten(obj: Any, path: tuple[str, ...] = (), depth: int = 0) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every leaf of a parsed JSON value as (path of keys, value); list items keep their parent's path."""
    if depth > 20:
        return
    if isinstance(obj, dict):
        if not obj:
            yield path, None
        for k, v in obj.items():
            yield from flatten(v, (*path, str(k)), depth + 1)
    elif isinstance(obj, list):
        for v in obj:
            yield from flatten(v, path, depth + 1)
    else:
        yield path, obj


_FALSE_STRINGS = {"no", "none", "false", "0", "n", "nein", "non", "nee", "nej", "não", "nao"}
_TRUE_STRINGS = {"yes", "true", "1", "y", "free", "paid", "ja", "oui", "sí", "si", "sim", "available"}


def _truth(value: Any) -> bool | None:
    """A field's yes/no meaning: True, False, or None when it holds no yes/no answer."""
    if isinstance(value, bool):
        return value
    if value is None:
        return None
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        s = value.strip().strip("'\"").lower()
        if s.startswith("u'"):
            s = s[2:].strip("'")
        if s in _FALSE_STRINGS:
            return False
        if s in _TRUE_STRINGS:
            return True
    return None


@dataclass(frozen=True, slots=True)
class Concept:
    name: str
    pattern: re.Pattern[str]
    keys: tuple[tuple[str, ...], ...]  # normalised key-path suffixes that hold this attribute
    needs: re.Pattern[str] | None = None  # must also occur in the same sentence


def _c(name: str, pattern: str, keys: str, needs: str | None = None) -> Concept:
    suffixes = tuple(tuple(_norm_key(p) for p in k.split("/")) for k in keys.split())
    return Concept(name, re.compile(rf"\b(?:{pattern})\b", re.I), suffixes,
                   re.compile(needs, re.I) if needs else None)


_PARK = r"park|stationnement|aparcamiento|estacionamiento|parcheggio|estacionamento"
CONCEPTS: tuple[Concept, ...] = (
    _c("outdoor_seating", r"outdoor (?:seating|dining|seats?|tables?|area|patio)|patio|terrace|al fresco|"
       r"sit outside|outside seating|terrasse|terraza|uteservering|terras|dehors|esplanada",
       "outdoorseating outdoor_seating hasseatingoutdoors seatingoutdoors terrace patio"),
    _c("wifi", r"wi-?fi|wireless internet|wlan", "wifi wlan"),
    # "your reservation has been made" is a booking, not whether the place takes reservations
    _c("reservations", r"(?<!\bthe )(?<!\byour )(?<!\bmy )(?<!\bthis )(?<!\bthat )reservations?|reserve a table|book(?:ing)? a table|takes? bookings|"
       r"reservierung(?:en)?|réservations?|reservas?|bordsbokning|reserveringen|reservering|"
       r"prenotazion[ei]", "restaurantsreservations reservations acceptsreservations"),
    _c("takeout", r"take-?out|take ?away|carry-?out|to-go|zum mitnehmen|à emporter|para llevar|"
       r"avhämtning|afhalen|da asporto|para viagem", "restaurantstakeout takeout"),
    _c("delivery", r"deliver(?:y|ies|s)? (?:options?|service)|offers? delivery|food delivery|"
       r"home delivery|lieferservice|livraison à domicile|entrega a domicilio",
       "restaurantsdelivery delivery"),
    _c("groups", r"good for groups|(?:large )?groups|group (?:dining|seating|gatherings?|settings?)|"
       r"large parties", "restaurantsgoodforgroups goodforgroups"),
    _c("kids", r"good for kids|kid-friendly|family-friendly|children", "goodforkids"),
    _c("music", r"(?:live )?music|dj|live bands?", "music"),
    _c("garage", r"garage(?: parking)?|parking garage", "businessparking/garage", _PARK),
    _c("street", r"street(?: parking)?|on the street", "businessparking/street", _PARK),
    _c("lot", r"(?:parking )?lot", "businessparking/lot", _PARK),
    _c("valet", r"valet(?: parking| service)?", "businessparking/valet"),
    _c("validated", r"validat(?:ed|ion)(?: parking)?", "businessparking/validated", _PARK),
    _c("parking", r"parking(?: options| facilities| services| spaces?| available)?|parkplätze|"
       r"parkplatz|parkering|parkeren|parcheggio|estacionamento|stationnement",
       "businessparking parking"),
    _c("casual", r"casual", "ambience/casual"),
    _c("trendy", r"trendy", "ambience/trendy"),
    _c("intimate", r"intimate", "ambience/intimate"),
    _c("classy", r"classy|elegant", "ambience/classy"),
    _c("romantic", r"romantic", "ambience/romantic"),
    _c("hipster", r"hipster|hip", "ambience/hipster"),
    _c("touristy", r"touristy|touristic|tourist(?:y)? (?:vibe|spot|trap)", "ambience/touristy"),
    _c("divey", r"divey|dive bar|dive", "ambience/divey"),
    _c("upscale", r"upscale|high-end|fancy|luxurious", "ambience/upscale"),
)


_UNKNOWN_RE = re.compile(r"\bnot (?:specified|mentioned|listed|stated|known|indicated)|\bunknown\b|"
                         r"\bno information\b|\bunclear\b", re.I)
_SPECIFIC_PARKING = re.compile(r"\b(?:valet|garage|street|lot|validated)\b", re.I)


def field_facts(leaves: list[tuple[tuple[str, ...], Any]]) -> dict[tuple[str, ...], Any]:
    """Normalised key path -> value, for every leaf and every object (objects map to their leaves)."""
    facts: dict[tuple[str, ...], Any] = {}
    for path, value in leaves:
        norm = tuple(_norm_key(p) for p in path)
        if norm in facts and facts[norm] is not None and value is None:
            continue
        facts[norm] = value
    return facts


def _lookup(facts: dict[tuple[str, ...], Any], concept: Concept) -> tuple[bool, bool | None, bool]:
    """(found, truth, mixed): whether a field holds the concept, its yes/no meaning (None: empty), and
    whether fields of that name disagree (a list of results where some have it and some do not)."""
    found = False
    truths: list[bool | None] = []
    exact: set[bool] = set()
    for path, value in facts.items():
        for suffix in concept.keys:
            n = len(suffix)
            if len(path) >= n and path[-n:] == suffix:
                found = True
                truths.append(_truth(value))
                if (t := _truth(value)) is not None:
                    exact.add(t)
            elif len(path) > n and path[len(path) - n - 1:-1] == suffix:
                # an object field (BusinessParking) asked as a whole: true if any member is true
                found = True
                truths.append(_truth(value))
            elif n > 1 and value is None and path[-(n - 1):] == suffix[:-1]:
                found = True  # the whole object (Ambience) is empty
                truths.append(None)
    if not found:
        return False, None, False
    known = [t for t in truths if t is not None]
    if not known:
        return True, None, False
    return True, any(known), len(exact) > 1


# the concept tables matched on the lowered text (grounding_fast)
_FAST_CONCEPTS = tuple(CiPattern(c.pattern) for c in CONCEPTS)


@dataclass(frozen=True, slots=True)
class AttributeCheck:
    concept: str
    start: int
    end: int
    negated: bool
    outcome: str  # supported | contradiction | empty | absent


def check_attributes(text: str, facts: dict[tuple[str, ...], Any], grounding_lower: str,
                     sentences: list[tuple[int, int]]) -> list[AttributeCheck]:
    """Every attribute mention in ``text`` with its outcome against ``facts``."""
    out: list[AttributeCheck] = []
    taken: list[tuple[int, int]] = []
    low = lowered(text)
    for concept, fast in zip(CONCEPTS, _FAST_CONCEPTS, strict=True):
        for m in fast.finditer(text, low):
            s, e = m.start(), m.end()
            if any(not (e <= a or s >= b) for a, b in taken):
                continue
            if concept.needs is not None:
                sent = next(((a, b) for a, b in sentences if a <= s < b), (0, len(text)))
                lo, hi = clause_bounds(text, s, e)
                if not concept.needs.search(text, max(sent[0], lo - 80), min(sent[1], hi + 80)):
                    continue
            lo, hi = clause_bounds(text, s, e)
            if _UNKNOWN_RE.search(text, lo, hi):
                continue  # "WiFi and reservations were not specified" claims nothing
            if concept.name == "parking" and _SPECIFIC_PARKING.search(text, lo, hi):
                continue  # the specific kinds in this clause are checked on their own
            found, truth, mixed = _lookup(facts, concept)
            negated = is_negated(text, s, e)
            if mixed:
                outcome = "supported"  # which result the reply speaks of is not known here
            elif found and truth is not None:
                outcome = "supported" if truth != negated else "contradiction"
            elif found:
                outcome = "empty"
            elif concept.pattern.search(grounding_lower):
                outcome = "supported"
            else:
                outcome = "absent"
            taken.append((s, e))
            out.append(AttributeCheck(concept.name, s, e, negated, outcome))
    return out
