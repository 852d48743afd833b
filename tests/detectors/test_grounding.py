"""Grounding detector: per-kind tables of supported and unsupported claims, number normalisation,
malformed grounding, spans and evidence."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guardline.detectors.base import Context
from guardline.detectors.grounding import GroundingDetector
from guardline.detectors.grounding_numbers import parse_number
from guardline.detectors.registry import create
from guardline.keys import KeyRing
from guardline.normalize import normalize
from guardline.types import SEVERITY_ORDER, Direction, Finding, Message, Severity, Source

THURSDAY = datetime(2024, 3, 14, 10, 0, tzinfo=UTC)
KB = ("Returns are accepted within 30 days of delivery. Refunds are issued within 14 days. "
      "Standard shipping costs €4.95 and takes 3-5 business days. Premium costs €19.99 per month; "
      "annual billing gives a 20% discount. Chat replies within 30 minutes. Visit https://shop.example/returns, "
      "email help@shop.example or call +31 20 123 4567. Open Monday to Friday 9:00-18:00, Saturday "
      "10:00-16:00, closed on Sunday.")
ORDER = json.dumps({"order_id": "A-10293", "status": "shipped", "carrier": "PostNL",
                    "estimated_delivery": "2024-03-18", "total": 99.9,
                    "attributes": {"OutdoorSeating": False, "WiFi": "free", "RestaurantsReservations": None,
                                   "BusinessParking": {"garage": False, "street": True}},
                    "refund_eligible": False})


def check(reply: str, *sources: Source, **settings: object) -> list[Finding]:
    det = GroundingDetector(**settings)  # type: ignore[arg-type]
    msg = Message(direction=Direction.OUTBOUND, text=reply, grounding=sources, timestamp=THURSDAY)
    return list(det.detect(msg, Context(norm=normalize(reply), keys=KeyRing(b"x" * 32), regions=("US",))))


def flagged(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER[Severity.MEDIUM]]


kb = Source(id="kb", kind="kb", text=KB)
tool = Source(id="order", kind="tool", text=ORDER)

SUPPORTED = [
    ("amount", "Standard shipping is €4.95."),
    ("amount_format", "Premium is 19,99 € a month."),
    ("percentage", "Annual billing saves you 20 percent."),
    ("duration", "You can return it within thirty days."),
    ("duration_paraphrase", "Your refund comes within a fortnight."),
    ("duration_half_hour", "The chat answers within half an hour."),
    ("duration_range", "Delivery takes 3-5 business days."),
    ("date_tool", "It should arrive on March 18."),
    ("date_relative", "It should arrive next Monday."),
    ("time_hours", "We are open Monday to Friday from 9 am to 6 pm."),
    ("id", "Order A-10293 has shipped."),
    ("url", "See https://shop.example/returns for details."),
    ("email", "Write to help@shop.example."),
    ("phone", "Call us on +31 20 123 4567."),
    ("carrier", "It ships with PostNL."),
    ("attribute", "There is free WiFi but no outdoor seating."),
    ("attribute_parking", "You can park on the street."),
    ("commitment", "Your refund will be issued within 14 days."),
]

UNSUPPORTED = [
    ("amount_slot", "Standard shipping is €6.95.", "contradiction"),
    ("amount", "A gift box costs €6.95.", "unsupported_amount"),
    ("percentage_slot", "Annual billing saves you 35%.", "contradiction"),
    ("percentage", "Students get 35% off.", "unsupported_percentage"),
    ("duration", "You can return it within 60 days.", "contradiction"),
    ("date_relative", "It will arrive tomorrow.", "unsupported_date"),
    ("date_tool", "It should arrive on March 25.", "unsupported_date"),
    ("time_hours", "We are open Monday to Friday from 9 am to 8 pm.", "contradiction"),
    ("closed_day", "We are open on Sunday.", "contradiction"),
    ("id", "Order A-99999 has shipped.", "contradiction|unsupported_id"),
    ("url", "See https://shop.example/faq for details.", "unsupported_url"),
    ("email", "Write to sales@shop.example.", "unsupported_email"),
    ("phone", "Call us on +31 20 999 8888.", "contradiction|unsupported_phone"),
    ("carrier", "It ships with FedEx.", "contradiction"),
    ("attribute_false", "You can sit outside on our outdoor seating.", "contradiction"),
    ("attribute_negated", "Sorry, there is no WiFi.", "contradiction"),
    ("attribute_empty", "We take reservations.", "unsupported_attribute"),
    ("attribute_parking", "There is a parking garage.", "contradiction"),
    ("commitment_ruled_out", "I have issued a refund for your order.", "contradiction"),
    ("commitment_absent", "We will send you a voucher for the delay.", "unsupported_commitment"),
]


@pytest.mark.parametrize(("name", "reply"), SUPPORTED, ids=[c[0] for c in SUPPORTED])
def test_supported_claims_are_not_flagged(name: str, reply: str) -> None:
    sources: tuple[Source, ...] = (kb,)
    sources = (*sources, tool) if name in ("date_tool", "date_relative", "id", "carrier", "attribute",
                                            "attribute_parking") else sources
    assert flagged(check(reply, *sources)) == []


@pytest.mark.parametrize(("name", "reply", "kind"), UNSUPPORTED, ids=[c[0] for c in UNSUPPORTED])
def test_unsupported_claims_are_flagged(name: str, reply: str, kind: str) -> None:
    sources = (tool,) if name == "commitment_ruled_out" else (kb, tool)
    found = flagged(check(reply, *sources))
    assert any(f.type.removeprefix("hallucination.") in kind.split("|") for f in found), found
    for f in found:
        assert f.span is not None and f.span[1] > f.span[0]
        if f.type == "hallucination.contradiction":
            assert f.severity == Severity.HIGH
        else:
            assert f.severity == Severity.MEDIUM


def test_span_points_at_the_claim_in_original_offsets() -> None:
    reply = "Hello\u200b there! A gift box costs \u20ac6.95 today."
    [f] = [f for f in flagged(check(reply, kb, spans="claim")) if f.type == "hallucination.unsupported_amount"]
    assert f.span is not None
    assert reply[f.span[0]:f.span[1]] == "\u20ac6.95"


@pytest.mark.parametrize(("reply", "phrase"), [
    ("Hello\u200b there! A gift box costs \u20ac6.95 today.", "A gift box costs \u20ac6.95 today"),
    ("Thanks for waiting, shipping is \u20ac6.95, and returns are free.", "shipping is \u20ac6.95"),
    ("Standard shipping takes 3-5 business days and the gift box costs \u20ac6.95.",
     "and the gift box costs \u20ac6.95"),
])
def test_default_span_covers_the_claims_phrase(reply: str, phrase: str) -> None:
    spans = {reply[f.span[0]:f.span[1]] for f in flagged(check(reply, kb)) if f.span}
    assert phrase in spans


def test_evidence_never_holds_the_value() -> None:
    for f in check("Write to sales@shop.example or call +31 20 999 8888.", kb):
        assert "sales@" not in f.evidence and "999" not in f.evidence


@given(st.integers(min_value=1000, max_value=999_999), st.integers(min_value=0, max_value=99))
def test_number_formats_agree(whole: int, cents: int) -> None:
    us = f"{whole:,}.{cents:02d}"
    eu = us.replace(",", "_").replace(".", ",").replace("_", ".")
    swiss = us.replace(",", "'")
    plain = f"{whole}.{cents:02d}"
    spaced = f"{whole:,}".replace(",", " ") + f",{cents:02d}"
    values = {parse_number(s) for s in (us, eu, swiss, plain, spaced)}
    assert values == {whole + cents / 100}
    if cents == 0:
        assert parse_number(f"{whole}") == parse_number(f"{whole:,}") == float(whole)


@pytest.mark.parametrize(("text", "value"), [("1,299.00", 1299.0), ("1.299,00", 1299.0), ("1299", 1299.0),
                                             ("12,5", 12.5), ("4.95", 4.95), ("0.125", 0.125)])
def test_number_table(text: str, value: float) -> None:
    assert parse_number(text) == value


def test_invalid_json_is_reported_and_text_still_used() -> None:
    broken = Source(id="t1", kind="tool", text='{"carrier": "PostNL", "total": 99.9')
    found = check("It ships with PostNL.", broken)
    assert [f.type for f in found] == ["hallucination.grounding_unparsed"]
    assert found[0].severity == Severity.INFO


def test_one_megabyte_of_grounding_is_capped() -> None:
    big = Source(id="big", kind="kb", text=("Returns within 30 days. " * 45_000)[:1_000_000])
    found = check("You can return it within 30 days.", big)
    assert any(f.type == "hallucination.grounding_truncated" and f.severity == Severity.INFO for f in found)
    assert flagged(found) == []


def test_empty_source_is_reported_and_treated_as_ungrounded() -> None:
    found = check("Shipping costs €4.95.", Source(id="e", kind="kb", text="   "))
    assert "hallucination.grounding_empty" in {f.type for f in found}
    assert any(f.type == "hallucination.unsupported_amount" for f in flagged(found))


def test_ungrounded_setting() -> None:
    reply = "I have issued a refund of €20 and it arrives on March 20."
    types = {f.type for f in flagged(check(reply))}
    assert {"hallucination.unsupported_amount", "hallucination.unsupported_date",
            "hallucination.unsupported_commitment"} <= types
    assert check(reply, ungrounded="ignore") == []


def test_registry_builds_it_with_settings() -> None:
    det = create("grounding", {"ungrounded": "ignore", "statements": False})
    assert isinstance(det, GroundingDetector)
    assert det.directions == frozenset({Direction.OUTBOUND})


def test_meta_sentences_claim_nothing() -> None:
    reply = "Sure! Here is a summary of the policy in 200 words:\n\nReturns are accepted within 30 days."
    assert flagged(check(reply, kb)) == []
    assert [f for f in check(reply, kb) if f.type.startswith("hallucination.unsupported")] == []


def test_one_partly_novel_sentence_alone_is_reported_low() -> None:
    found = check("Chat replies usually arrive quickly from our friendly support team.", kb)
    assert [f.type for f in found] == ["hallucination.unsupported_statement"]
    assert found[0].severity == Severity.LOW
    # a sentence none of whose content the grounding holds is enough on its own
    found = check("Our friendly team loves helping every customer personally.", kb)
    assert [f.severity for f in found] == [Severity.MEDIUM]


def test_weak_signals_add_up_and_every_flag_points_at_a_span() -> None:
    reply = ("Returns are accepted within 30 days. Our warehouse robots pack parcels overnight in Utrecht. "
             "Loyalty members collect bonus stars redeemable against premium upgrades. "
             "Jazz concerts happen monthly beside the flagship boutique.")
    found = check(reply, kb)
    statements = [f for f in found if f.type == "hallucination.unsupported_statement"]
    assert len(statements) == 3
    assert flagged(found), found
    assert all(f.span is not None for f in flagged(found))
    assert check(reply, kb, threshold=0.99) and not flagged(check(reply, kb, threshold=0.99))


def test_verified_value_keeps_its_sentence_out_of_the_novelty_layer() -> None:
    found = check("Die Lieferung wird am 18. März zugestellt.", tool)
    assert flagged(found) == []


def test_bad_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="spans"):
        GroundingDetector(spans="word")
    with pytest.raises(ValueError, match="threshold"):
        GroundingDetector(threshold=0.0)


def test_card_digits_are_not_numeric_claims() -> None:
    from guardline import Guard

    g = Guard({"detectors": {"pii": {}, "grounding": {"directions": ["outbound"]}}})
    v = g.check({"direction": "outbound", "text": "The card we have on file is 4111 1111 1111 1111.",
                 "grounding": [{"kind": "crm", "text": "{\"card_on_file\": \"visa\"}"}]})
    assert not [f for f in v.findings if f.type == "hallucination.unsupported_number"]
