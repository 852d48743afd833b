"""Phone numbers of regions nobody hinted, told apart by their written shape from amounts, times, years,
house numbers and codes; repeated values; and the name cues that must not fire on an agent's own
introduction ("I'm Acme's AI assistant") or on "I'm" + a state ("I'm sorry")."""

from __future__ import annotations

import phonenumbers
import pytest

from guardline.detectors.base import Context
from guardline.detectors.pii import PiiDetector, find_pii
from guardline.detectors.pii_phone_any import any_region_phone, digit_groups
from guardline.keys import KeyRing
from guardline.normalize import normalize
from guardline.types import Direction, Message

DET = PiiDetector()
HINTS = ("US", "GB")  # none of the numbers below belongs to a hinted region


def found(text: str, regions: tuple[str, ...] = HINTS) -> list[tuple[str, str]]:
    ctx = Context(norm=normalize(text), keys=KeyRing(b"x" * 32), regions=regions)
    findings = DET.detect(Message(direction=Direction.OUTBOUND, text=text), ctx)
    return [(f.type, text[f.span[0]:f.span[1]]) for f in findings if f.span is not None]


# (text, the number as written, the region whose national format it follows)
UNHINTED_PHONES = [
    ("Nobody picks up at 024 971 50 30, please check", "024 971 50 30", "CH"),      # Swiss 3-3-2-2
    ("I'm on 98 76 54 32 all day", "98 76 54 32", "DK"),                            # Danish 2-2-2-2
    ("You can try 374 780 163 tonight", "374 780 163", "CZ"),                        # Czech 3-3-3
    ("she is at (08) 8747 6301 until five", "(08) 8747 6301", "AU"),                # Australian (0x) 4-4
    ("try 06 12 34 56 78 or write", "06 12 34 56 78", "FR"),                        # French 2-2-2-2-2
    ("left a message on 06 12345678 yesterday", "06 12345678", "NL"),               # Dutch mobile 2-8
]


@pytest.mark.parametrize(("text", "value", "region"), UNHINTED_PHONES, ids=[v for _, v, _ in UNHINTED_PHONES])
def test_unhinted_number_in_its_country_grouping_is_a_phone(text: str, value: str, region: str) -> None:
    matches = [m for m in find_pii(normalize(text), regions=HINTS) if m.type == "pii.phone"]
    assert [m.value for m in matches] == [value]
    assert matches[0].kind == "any_region"
    digits = "".join(c for c in value if c.isdigit())
    assert any_region_phone(value, digits, digit_groups(value), explicit_shape=False) is not None
    # the case is real: valid in that region and printed there with exactly these groups
    number = phonenumbers.parse(value, region)
    assert phonenumbers.is_valid_number(number)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    assert digit_groups(national) == digit_groups(value)


def test_evidence_names_the_region_not_the_number() -> None:
    text = "Nobody picks up at 024 971 50 30, please check"
    ctx = Context(norm=normalize(text), keys=KeyRing(b"x" * 32), regions=HINTS)
    (f,) = DET.detect(Message(direction=Direction.OUTBOUND, text=text), ctx)
    assert "CH" in f.evidence and "024" not in f.evidence and f.score < 1.0


NOT_PHONES = [
    ("currency before", "The villa costs $1 250 000 today"),
    ("unit after", "We sold 2 345 678 units last year"),
    ("round thousands", "a total of 12 500 000 was raised"),
    ("one-digit thousands", "Population: 8 336 817 in 2020"),
    ("decimal comma after", "It costs 1 234,50 today"),
    ("time range", "open between 14.30 - 16.45 daily"),
    ("years", "the 2021-2022 season"),
    ("year list", "in 1999 2000 2001 we grew"),
    ("suite then house number", "Suite 541 6343 Skogstien 106"),
    ("house numbers then street", "3747 3911 fourth avenue suite 112"),
    ("lives at", "they live at 3747 3911 north"),
    ("tail of a code", "Tracking: 1Z 999 AA1 01 2345 6784"),
    ("order number", "order 123 456 789 shipped"),
    ("booking", "your booking 5521 4478 is confirmed"),
    ("no grouping", "it is 31415926 or so"),
    ("part of an IBAN that fails", "IBAN GB82 WEST 1234 5698 7654 33"),
    ("ISBN", "ISBN 978-3-16-148410-0"),
]


@pytest.mark.parametrize(("why", "text"), NOT_PHONES, ids=[w for w, _ in NOT_PHONES])
def test_amounts_times_years_and_addresses_are_not_unhinted_phones(why: str, text: str) -> None:
    assert [t for t, _ in found(text)] == [], why


def test_hinted_region_still_wins_and_keywords_still_work() -> None:
    assert found("ring 073-555 12 34", ("SE",)) == [("pii.phone", "073-555 12 34")]
    assert found("phone: 9472 7916") == [("pii.phone", "9472 7916")]


def test_a_repeated_value_is_reported_everywhere() -> None:
    # the second copy stands after "order", which alone would veto a phone; the first confirms it
    text = "call 073-555 12 34 today; your order 073-555 12 34"
    assert found(text, ("SE",)) == [("pii.phone", "073-555 12 34")] * 2
    assert found("mail a@b.se or a@b.se") == [("pii.email", "a@b.se")] * 2
    assert found("mail a@b.se or xa@b.se") == [("pii.email", "a@b.se"), ("pii.email", "xa@b.se")]


NOT_NAMES = [
    "I'm Acme's AI assistant.",
    "I'm ACME's virtual agent, how can I help?",
    "I am Acme Support, how can I help?",
    "I'm Acme Bot.",
    "My name is Acme Assistant",
    "I'm Nova, Acme's AI assistant.",
    "Hi, this is Sam, the support agent",
    "I'm GPT",
    "Hi ACME!",
    "Hi John's team,",
    "I'm sorry for the delay",
    "I'm happy to help",
    "I'm Happy to help",
    "I'm Excited to help you today",
    "I'm Delighted to hear that",
    "I'm Grateful for your patience",
    "I'm Really sorry",
    "Hello, this is Globex customer service. How can I help?",
    "Hi! This is ShopRight customer support.",
    "Hi, ShopRight here. What can I do for you?",
    "Hello, Welcome to Globex, how may I help you?",
    "The new address is 12 Brushwick Dr Baltimore, right?",
]


@pytest.mark.parametrize("text", NOT_NAMES)
def test_agent_introductions_and_states_are_not_names(text: str) -> None:
    assert [v for t, v in found(text) if t == "pii.person_name"] == []


NAMES = [
    ("Hi Anna! How can I help?", "Anna"),
    ("Hi Anna, I'm Acme's assistant", "Anna"),
    ("I'm Anna Berg.", "Anna Berg"),
    ("I'm Anna from Acme", "Anna"),
    ("I'm Anna, a customer of yours", "Anna"),
    ("My name is Jean DUPONT", "Jean DUPONT"),
    ("MY NAME IS ANNA BERG", "ANNA BERG"),
    ("Hi Charles,\nthanks", "Charles"),
    ("Hey, I’m Donna. How can I help?", "Donna"),  # a typographic apostrophe
    ("Thank you, Mr. McDonald", "McDonald"),
    ("Hi LaToya, your order shipped", "LaToya"),
    ("Please ask Dr Smith about it", "Smith"),
    ("I'm Amanda's daughter", "Amanda"),  # a possessive that no role word follows ends the name
    ("I'm James' son", "James"),
]


@pytest.mark.parametrize(("text", "name"), NAMES, ids=[n for _, n in NAMES])
def test_real_names_are_still_found(text: str, name: str) -> None:
    assert ("pii.person_name", name) in found(text)
