"""Grounding detector on ordinary customer-service talk: greetings, questions back to the customer,
confirmation requests and waits are not claims (in the eight supported languages), while dates and
durations attached to something the business commits to still are."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from guardline.detectors.base import Context
from guardline.detectors.grounding import GroundingDetector
from guardline.detectors.grounding_speech import asking_regions
from guardline.detectors.grounding_text import sentence_bounds
from guardline.detectors.grounding_values import extract_values
from guardline.keys import KeyRing
from guardline.normalize import normalize
from guardline.types import SEVERITY_ORDER, Direction, Finding, Message, Severity, Source

NOW = datetime(2024, 3, 14, 10, 0, tzinfo=UTC)
KB = Source(id="kb", kind="kb", text=(
    "Returns are accepted within 30 days of delivery. Standard shipping costs €4.95 and takes 3-5 business "
    "days. Premium costs €19.99 per month. Orders placed before 2 pm ship tomorrow."))


def findings(reply: str, *sources: Source) -> list[Finding]:
    msg = Message(direction=Direction.OUTBOUND, text=reply, grounding=sources, timestamp=NOW)
    ctx = Context(norm=normalize(reply), keys=KeyRing(b"x" * 32), regions=("US",))
    return list(GroundingDetector().detect(msg, ctx))


def flagged(reply: str, *sources: Source) -> list[str]:
    return [f.type for f in findings(reply, *sources)
            if SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER[Severity.MEDIUM]]


PLEASANTRIES = [
    ("en", "Hello, how may I help you today?"),
    ("en", "Is there anything else I can help you with today?"),
    ("en", "your payment went through, is there anything else i can help you with today"),
    ("en", "Thanks for contacting us today. Have a nice day!"),
    ("en", "One minute please, I am checking that right now."),
    ("en", "Please hold on just a minute while I look into this."),
    ("en", "Ah, I see. Let me check."),
    ("en", "Just give me a minute and I will send you a reset code."),
    ("en", "We are here for you 24/7."),
    ("de", "Guten Tag, wie kann ich Ihnen heute helfen?"),
    ("de", "Geben Sie mir bitte zwei Minuten, ich schaue nach."),
    ("de", "Vielen Dank und einen schönen Tag noch!"),
    ("fr", "Bonjour, comment puis-je vous aider aujourd'hui ?"),
    ("fr", "Donnez-moi une minute, s'il vous plaît."),
    ("es", "Hola, ¿en qué puedo ayudarle hoy?"),
    ("es", "Dame un minuto por favor, lo reviso."),
    ("sv", "Hej, hur kan jag hjälpa dig idag?"),
    ("sv", "Ge mig en minut så kollar jag."),
    ("nl", "Hallo, hoe kan ik u vandaag helpen?"),
    ("it", "Buongiorno, come posso aiutarla oggi?"),
    ("pt", "Olá, como posso ajudar hoje?"),
    ("pt", "Me dê um minuto, por favor."),
]

QUESTIONS_BACK = [
    ("en", "Can you give me the last 4 digits of your card?"),
    ("en", "Please provide the last 4 digits of the card on file."),
    ("en", "So you were charged 100.00 and your bill is 50.00?"),
    ("en", "There will be 2 people, right?"),
    ("en", "Please confirm: a table for 2 at 7 pm on March 8th."),
    ("en", "You'd like a table for 4 at 7:30 pm on March 8th. Is that correct?"),
    ("de", "Können Sie mir die letzten 4 Ziffern Ihrer Karte nennen?"),
    ("de", "Bitte bestätigen Sie: ein Tisch für 2 Personen um 19 Uhr."),
    ("fr", "Pouvez-vous me donner les 4 derniers chiffres de votre carte ?"),
    ("es", "¿Me puede dar los últimos 4 dígitos de su tarjeta?"),
    ("sv", "Kan du ge mig de 4 sista siffrorna på ditt kort?"),
    ("nl", "Kunt u mij de laatste 4 cijfers van uw kaart geven?"),
    ("it", "Può darmi le ultime 4 cifre della sua carta?"),
    ("pt", "Pode me dar os últimos 4 dígitos do seu cartão?"),
]


@pytest.mark.parametrize(("lang", "reply"), PLEASANTRIES + QUESTIONS_BACK)
def test_service_talk_is_not_a_claim_without_grounding(lang: str, reply: str) -> None:
    assert flagged(reply) == [], lang


@pytest.mark.parametrize(("lang", "reply"), PLEASANTRIES + QUESTIONS_BACK)
def test_service_talk_is_not_a_claim_with_grounding(lang: str, reply: str) -> None:
    assert flagged(reply, KB) == [], lang


COURTESY = [
    "Thank you for contacting us, I'm so sorry about the trouble and I hope you enjoy the rest of your day!",
    "Sure thing, glad I was able to help, let me know if you need anything further.",
    "Okay, have a wonderful day and take care.",
    "Vielen Dank für Ihre Geduld, ich helfe Ihnen gerne weiter und wünsche einen schönen Tag.",
    "Merci beaucoup pour votre patience, je suis ravi de vous aider, bonne journée à vous.",
]


@pytest.mark.parametrize("reply", COURTESY)
def test_courtesy_sentences_are_not_novel_statements(reply: str) -> None:
    assert flagged(reply, KB) == []


BUSINESS_DATES = [
    ("en", "Your order will arrive tomorrow."),
    ("en", "A manager will call you back within 10 minutes."),
    ("en", "Please allow 5-7 business days for the refund."),
    ("de", "Ihre Bestellung wird morgen geliefert."),
    ("fr", "Votre colis sera livré demain."),
    ("es", "Su pedido llegará mañana."),
    ("sv", "Din order levereras i morgon."),
    ("nl", "Uw bestelling wordt morgen bezorgd."),
    ("it", "Il suo ordine sarà consegnato domani."),
    ("pt", "Seu pedido será entregue amanhã."),
]


@pytest.mark.parametrize(("lang", "reply"), BUSINESS_DATES)
def test_dates_attached_to_a_business_event_are_claims(lang: str, reply: str) -> None:
    assert flagged(reply), lang


def test_business_date_unsupported_by_the_grounding_is_flagged() -> None:
    order = Source(kind="tool", text=json.dumps({"order_id": "A-1", "status": "processing"}))
    assert "hallucination.unsupported_date" in flagged("Your order will be delivered tomorrow.", order)


def test_relative_date_in_the_source_supports_the_same_words() -> None:
    assert flagged("If you order before 2 pm, it ships tomorrow.", KB) == []


def test_a_question_that_contradicts_the_grounding_is_still_reported() -> None:
    assert "hallucination.contradiction" in flagged("Would standard shipping at €6.95 work for you?", KB)


def test_a_claim_before_the_question_clause_is_still_checked() -> None:
    assert flagged("Premium costs €24.99 per month, would you like to upgrade?", KB)


def test_asking_regions_cover_the_question_clause_only() -> None:
    text = "Ok it looks like you owe $20, would you like to use the card on file?"
    regions = asking_regions(text, sentence_bounds(text))
    assert [text[a:b].strip() for a, b in regions] == ["would you like to use the card on file?"]


def test_a_list_length_supports_a_count() -> None:
    results = Source(kind="tool", text=json.dumps({"results": [{"name": n, "stars": 4} for n in "ABC"]}))
    assert flagged("I found 3 hotels for you.", results) == []


def test_a_count_field_overrides_the_list_length() -> None:
    record = Source(kind="tool", text=json.dumps({"review_count": 26, "reviews": ["good", "fine", "ok"]}))
    assert flagged("It is rated highly based on 3 reviews.", record)


def test_numbers_held_as_json_strings_support_amounts_and_waits() -> None:
    ride = Source(kind="tool", text=json.dumps({"ride_fare": "14.43", "wait_time": "4", "price": "3900000"}))
    assert flagged("Your cab arrives in 4 minutes and the fare is $14.43.", ride) == []
    assert flagged("The house costs $3,900,000.", ride) == []


def test_a_negated_attribute_after_its_name_is_read_as_negated() -> None:
    place = Source(kind="tool", text=json.dumps({"has_seating_outdoors": "False", "rating": "4.6"}))
    assert flagged("Your table is booked. Outdoor seating is not available.", place) == []


def test_a_booking_is_not_the_reservations_attribute() -> None:
    place = Source(kind="tool", text=json.dumps({"restaurant_name": "Izakaya", "time": "17:30"}))
    assert flagged("Your reservation has been made for 5:30 pm.", place) == []


def test_per_alone_is_not_percent() -> None:
    assert [v.kind for v in extract_values("The standard rate is 99 per year, or 5 per cent off.", NOW)] == [
        "number", "percentage"]


@pytest.mark.parametrize("text", ["Ah, I see.", "Prices change on a day-to-day basis.", "Once an item ships, we cannot change it.", "Use code 5JFH5.",
                                  "This is the 3rd time.", "Option 8DHKY is gone."])
def test_interjections_ordinals_and_codes_are_not_values(text: str) -> None:
    assert [v.kind for v in extract_values(text, NOW) if v.kind in ("duration", "number")] == []


def test_results_that_disagree_on_an_attribute_do_not_contradict() -> None:
    results = Source(kind="tool", text=json.dumps({"results": [{"name": "A", "has_seating_outdoors": "True"},
                                                               {"name": "B", "has_seating_outdoors": "False"}]}))
    assert flagged("They have no outdoor seating, sorry.", results) == []


def test_a_count_of_results_is_the_list_length() -> None:
    results = Source(kind="tool", text=json.dumps({"results": [{"number_of_baths": "3"}, {"number_of_baths": "2"}]}))
    assert flagged("I got 2 results for you.", results) == []


def test_a_confirmation_request_anywhere_in_the_sentence() -> None:
    tool = Source(kind="tool", text=json.dumps({"restaurant_name": "Chez Tj"}))
    reply = "Okay, before we get started please confirm the following details for me. A table for 4 on March 1st?"
    assert flagged(reply, tool) == []
