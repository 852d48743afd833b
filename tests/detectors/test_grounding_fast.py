"""grounding_fast: the case-insensitive tables give the same matches, offsets included, when run on the
lowered text; texts whose lowering would change that fall back to the original pattern."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from guardline.detectors import (
    grounding_claims,
    grounding_fields,
    grounding_hours,
    grounding_speech,
    grounding_text,
    grounding_values,
)
from guardline.detectors.base import Context
from guardline.detectors.grounding import GroundingDetector
from guardline.detectors.grounding_fast import CiPattern, lowered
from guardline.keys import KeyRing
from guardline.normalize import normalize
from guardline.types import Direction, Message, Severity, Source

_TEXTS = [
    "Your REFUND of EUR 49,95 will reach you TOMORROW; the Fee has been REMOVED.",
    "Ihre Rückerstattung über 12 € kommt am nächsten Montag, Lieferung in 3-5 Werktagen.",
    "Nous avons annulé la commande ; livraison gratuite dès 50 €, 20 % de remise aujourd'hui.",
    "We will ship it on Monday at 9:30 AM, 2 business days, US$ 19.99 per month.",
    "İstanbul office: refund İN 5 DAYS",  # lower() makes "İ" two characters: original pattern used
    "ſhipping is free, a diſcount of 10% applies",  # re.I folds "ſ" onto "s"; str.lower() does not
    "Open Monday to Friday 9:00-18:00, closed at noon; call back within 10 MINUTES.",
    "Is there ANYTHING else I can help you with today? Could you confirm, please",
    "Outdoor SEATING is not available, free WiFi, Takes Reservations; parking: valet",
    "Kelvin sign: 5 \u212aG, Angström \u212b, Straße STRASSE ẞ",
]

_PATTERNS = [
    *(v for v in vars(grounding_values).values() if isinstance(v, CiPattern)),
    *grounding_claims._FAST_COMMITMENTS.values(),
    grounding_claims._FAST_COMMIT_VERBS,
    grounding_speech._FAST_EVENT,
    grounding_speech._TAG,
    grounding_speech._SEG,
    grounding_speech._Q_OPEN_AT,
    grounding_speech._STRONG_Q,
    grounding_text._CLAUSE,
    *grounding_fields._FAST_CONCEPTS,
    grounding_hours._DAYS,
]


def _spans(it: object) -> list[tuple[int, int]]:
    return [m.span() for m in it]  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", _TEXTS)
def test_every_table_matches_as_the_case_insensitive_original(text: str) -> None:
    low = lowered(text)
    for p in _PATTERNS:
        assert _spans(p.finditer(text, low)) == _spans(p.ci.finditer(text)), p.ci.pattern[:40]
        for pos in range(0, len(text), 7):
            want = p.ci.search(text, pos)
            got = p.search(text, low, pos)
            assert (got.span() if got else None) == (want.span() if want else None)
            want = p.ci.match(text, pos)
            got = p.match(text, low, pos)
            assert (got.span() if got else None) == (want.span() if want else None)


def test_a_schedule_is_read_only_where_a_day_is_named() -> None:
    assert grounding_hours.schedule_from_text("Open 9:00-18:00, call +31 20 123 4567.") is None
    assert grounding_hours.schedule_from_text("Open MONDAY to Friday 9:00-18:00.") == dict.fromkeys(range(5), (540, 1080))
    long = "Returns within 30 days. " * 200 + "Open Saturday 10:00-16:00."  # lowered afresh, not kept
    assert grounding_hours.schedule_from_text(long) == {5: (600, 960)}


def test_texts_that_lowering_would_change_fall_back() -> None:
    assert lowered("İstanbul") is None  # two characters once lowered
    assert lowered("ſhipping") is None  # re.I equates "ſ" with "s"
    assert lowered("dotless ı") is None
    assert lowered("Straße ẞ \u212a") == "straße ß k"


def test_a_pattern_with_upper_case_letters_or_without_ignorecase_is_refused() -> None:
    with pytest.raises(ValueError, match="upper-case"):
        CiPattern(re.compile(r"US\$", re.I))
    with pytest.raises(ValueError, match="case-insensitive"):
        CiPattern(re.compile(r"refund"))
    assert CiPattern(re.compile(r"\W+\bfoo\S", re.I)).ci.pattern == r"\W+\bfoo\S"  # escapes are not letters


def test_a_repeated_reply_gets_the_same_findings_as_its_first_sight() -> None:
    det = GroundingDetector()
    text = ("Hi Dana, your order 55123 ships on Monday. We will email dana.k@example.com with the tracking "
            "link. Is there anything else I can help you with today?")
    msg = Message(direction=Direction.OUTBOUND, text=text, timestamp=datetime(2024, 1, 1, tzinfo=UTC))
    keys = KeyRing(b"x" * 32)
    runs = [list(det.detect(msg, Context(norm=normalize(text), keys=keys))) for _ in range(3)]
    assert runs[0] and runs[0] == runs[1] == runs[2]
    # every message has its own timestamp; the same reply later that day reads the same
    later = msg.model_copy(update={"timestamp": datetime(2024, 1, 1, 17, 45, tzinfo=UTC)})
    assert list(det.detect(later, Context(norm=normalize(text), keys=keys))) == runs[0]
    assert {f.type for f in runs[0]} >= {"hallucination.unsupported_date", "hallucination.unsupported_email"}


def test_a_relative_date_is_resolved_against_the_day_of_each_message() -> None:
    det = GroundingDetector()
    keys = KeyRing(b"x" * 32)
    text = "Your refund arrives tomorrow."
    source = Source(id="t", kind="tool", text='{"refund_date": "2024-01-02"}')
    found = {}
    for day in (1, 2, 1):
        msg = Message(direction=Direction.OUTBOUND, text=text, grounding=(source,),
                      timestamp=datetime(2024, 1, day, 9, tzinfo=UTC))
        found[day] = [f.type for f in det.detect(msg, Context(norm=normalize(text), keys=keys))
                      if f.severity != Severity.LOW]
    assert found[1] == []  # tomorrow is January 2
    assert found[2] != []  # tomorrow is January 3
