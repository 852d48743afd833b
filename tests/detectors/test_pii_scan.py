"""The speed-ups of the PII detector change no result: patterns tried only at digit-derived starts find
what ``finditer`` finds, keyword windows gated by cue words find what the full search finds, and a
region the metadata prefilter rules out is one phonenumbers finds invalid."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardline.detectors.pii_cues import anchored, find_cues, literal_prefixes
from guardline.detectors.pii_names import _line_starts
from guardline.detectors.pii_patterns import (
    CARD_CONTEXT,
    CARD_WORDS,
    DIGIT_RUN,
    EMAIL,
    GREETING_WORDS,
    IBAN_CANDIDATE,
    ID_CONTEXT,
    ID_CONTEXT_KINDS,
    IPV4,
    LETTER_IDS,
    NAME_GREETING,
    NAME_THIS_IS,
    NOT_PHONE_WORDS,
    OBFUSCATION_HINT,
    PHONE_CONTEXT,
    PHONE_WORDS,
    STREET,
    STREET_ROMANCE_WORDS,
    STREET_SUFFIX_WORDS,
)
from guardline.detectors.pii_phone_plan import may_be_valid
from guardline.detectors.pii_scan import (
    _dotted_word_at,
    digit_run_starts,
    email_starts,
    iban_starts,
    ipv4_starts,
    letter_id_starts,
    matches_at,
    scan_digits,
    street_starts,
)

PIECES = [
    "1", "12", "123", "4", "073", "555", "2000", "811228", "9874", "54362315", "2482300", "+", "(", ")",
    "-", ".", "/", " ", " ", "  ", "\t", "\n", ",", "@", "x", "ext", "#", "GB82", "WEST", "DE89", "AB",
    "C", "X", "K", "RCCMNL", "83S18D969H", "S", "Main", "Street", "St", "Storgatan", "Via", "dei",
    "Mille", "rue", "de", "la", "Paix", "Apt", "anna", "berg", "example", "org", "se", "a", "b",
    "the", "call", "phone", "order", "card", "ssn", "BSN", "é", "Ü", "_", "'", "ul.", "Hi", "hello", "Good",
    "morning", "this", "is", "Anna", "Berg", "!", ":",
]
texts = st.lists(st.sampled_from(PIECES), min_size=1, max_size=40).map("".join)


def spans(matches: object) -> list[tuple[int, int]]:
    return [m.span() for m in matches]  # type: ignore[attr-defined]


@settings(max_examples=400, deadline=None)
@given(texts)
def test_anchored_starts_find_what_finditer_finds(text: str) -> None:
    digits = scan_digits(text)
    cases = [
        (DIGIT_RUN, digit_run_starts(text, digits)),
        (IBAN_CANDIDATE, iban_starts(text, digits)),
        (IPV4, ipv4_starts(text, digits)),
        (LETTER_IDS, letter_id_starts(text, digits)),
        (STREET, street_starts(text, digits)),
        (EMAIL, email_starts(text)),
    ]
    for pattern, starts in cases:
        assert spans(matches_at(pattern, text, starts)) == spans(pattern.finditer(text)), pattern.pattern[:40]


@settings(max_examples=300, deadline=None)
@given(texts)
def test_street_gates_drop_no_street_line(text: str) -> None:
    cues = find_cues(text)
    gated = matches_at(STREET, text, street_starts(text, scan_digits(text), cues))
    assert spans(gated) == spans(STREET.finditer(text))


@settings(max_examples=300, deadline=None)
@given(texts)
def test_line_anchored_name_patterns_find_what_finditer_finds(text: str) -> None:
    cues = find_cues(text)
    for pattern, concept in ((NAME_GREETING, "greeting"), (NAME_THIS_IS, "this_is")):
        anchored_spans = spans(anchored(pattern, text, _line_starts(text, cues.at(concept))))
        assert anchored_spans == spans(pattern.finditer(text))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["a", "b.c", "x", ".", " ", "\t", "at", " at ", "anna.berg", "_", "é", "\n"]),
                max_size=20).map("".join))
def test_obfuscation_hint_without_a_full_scan(low: str) -> None:
    assert _dotted_word_at(low) == (OBFUSCATION_HINT.search(low) is not None)


KEYWORD_TEXTS = ["my SSN is", "social security no", "Steuer-ID", "téléphone", "Teléfono", "número",
                 "Aadhar", "aadhaar", "Mastercard", "master card", "fødselsnummer", "henkilötunnus",
                 "sécurité sociale", "numéro de sécu", "order ref", "tel", "call me", "the card"]


@pytest.mark.parametrize("text", KEYWORD_TEXTS)
def test_every_keyword_match_starts_at_a_cue_word(text: str) -> None:
    cues = find_cues(text)
    for concept, pattern in (("id", ID_CONTEXT), ("card", CARD_CONTEXT), ("phone", PHONE_CONTEXT)):
        for m in pattern.finditer(text):
            assert m.start() in cues.at(concept), (concept, text)


def test_cue_prefixes_are_long_enough_to_be_selective() -> None:
    sources = [PHONE_WORDS, CARD_WORDS, NOT_PHONE_WORDS, GREETING_WORDS, STREET_SUFFIX_WORDS, STREET_ROMANCE_WORDS,
               *(p for p, _ in ID_CONTEXT_KINDS)]
    for source in sources:
        prefixes = literal_prefixes(source)
        assert prefixes and all(len(p) >= 2 for p in prefixes), source
    assert literal_prefixes(r"t[ée]l[ée]phone|steuer-?id|social[ \t]+security") == {
        "telephone", "téléphone", "teléphone", "télephone", "steuer", "social"}


REGIONS = ["US", "GB", "DE", "IL", "IN", "CA", "BR", "SE", "FR", "IT", "AR", "JP", "CN", "RU", "AU", "MX"]


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(REGIONS), st.text(alphabet="0123456789", min_size=6, max_size=13))
def test_metadata_prefilter_never_rules_out_a_valid_number(region: str, digits: str) -> None:
    if may_be_valid(region, digits):
        return
    try:
        number = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        return
    assert not phonenumbers.is_valid_number(number)


@pytest.mark.parametrize(("region", "digits"), [
    ("US", "4155550132"), ("CA", "4165550132"), ("US", "8094426663"),  # Dominican, parsed as +1
    ("GB", "02079460958"), ("DE", "030901820"), ("BR", "011912345678"), ("SE", "0735551234"),
    ("IT", "0612345678"), ("AR", "01145678901"),
])
def test_metadata_prefilter_keeps_real_numbers(region: str, digits: str) -> None:
    number = phonenumbers.parse(digits, region)
    assert phonenumbers.is_valid_number(number) is True
    assert may_be_valid(region, digits)


def test_metadata_prefilter_rules_out_impossible_numbers() -> None:
    assert not may_be_valid("US", "0490754081")  # no NANP number starts with 0
    assert re.fullmatch(r"\d+", "0490754081")
