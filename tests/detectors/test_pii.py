"""The PII detector, table-driven: real formats from many countries, and known-invalid values (bad
checksums, impossible dates) that must NOT be reported."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest

from guardline.detectors.base import Context, DetectorTimeout
from guardline.detectors.pii import NerEntity, PiiDetector, PiiMatch, find_pii
from guardline.errors import ConfigError
from guardline.keys import KeyRing
from guardline.normalize import normalize
from guardline.types import Category, Direction, Finding, Message, Severity, Source

KEYS = KeyRing(b"x" * 32)


def run(text: str, regions: Sequence[str] = ("US",), det: PiiDetector | None = None,
        grounding: Iterable[Source] = ()) -> tuple[list[Finding], Context]:
    det = det or PiiDetector()
    msg = Message(direction=Direction.OUTBOUND, text=text, grounding=tuple(grounding))
    ctx = Context(norm=normalize(text), keys=KEYS, regions=tuple(regions))
    return list(det.detect(msg, ctx)), ctx


def found(text: str, regions: Sequence[str] = ("US",)) -> list[tuple[str, str]]:
    findings, _ = run(text, regions)
    return [(f.type, text[f.span[0]:f.span[1]]) for f in findings if f.span is not None]


# (country, text, type, exact original substring reported, region hints)
POSITIVE = [
    ("US", "My SSN is 536-90-4399.", "pii.national_id", "536-90-4399", ("US",)),
    ("US", "ssn: 536904399", "pii.national_id", "536904399", ("US",)),
    ("US", "Here's my SSN: 023-01-0866", "pii.national_id", "023-01-0866", ("US",)),
    ("GB", "NI number AB 12 34 56 C please", "pii.national_id", "AB 12 34 56 C", ("GB",)),
    ("GB", "my NHS number is 943 476 5919", "pii.national_id", "943 476 5919", ("GB",)),
    ("SE", "personnummer 811228-9874", "pii.national_id", "811228-9874", ("SE",)),
    ("SE", "id 19811228-9874", "pii.national_id", "19811228-9874", ("SE",)),
    ("NL", "mijn BSN is 111222333", "pii.national_id", "111222333", ("NL",)),
    ("DE", "Steuer-ID 36574261809", "pii.national_id", "36574261809", ("DE",)),
    ("FR", "NIR 2 95 10 99 126 111 93", "pii.national_id", "2 95 10 99 126 111 93", ("FR",)),
    ("ES", "DNI 54362315K", "pii.national_id", "54362315K", ("ES",)),
    ("ES", "NIE X2482300W", "pii.national_id", "X2482300W", ("ES",)),
    ("IT", "codice fiscale RCCMNL83S18D969H", "pii.national_id", "RCCMNL83S18D969H", ("IT",)),
    ("BR", "CPF 390.533.447-05", "pii.national_id", "390.533.447-05", ("BR",)),
    ("IN", "Aadhaar 2341 2341 2346", "pii.national_id", "2341 2341 2346", ("IN",)),
    ("PL", "PESEL 44051401359", "pii.national_id", "44051401359", ("PL",)),
    ("DK", "CPR-nummer 211062-5629", "pii.national_id", "211062-5629", ("DK",)),
    ("FI", "henkilötunnus 131052-308T", "pii.national_id", "131052-308T", ("FI",)),
    ("NO", "fødselsnummer 15108695088", "pii.national_id", "15108695088", ("NO",)),
    ("SE", "Ring mig på 073-555 12 34 imorgon", "pii.phone", "073-555 12 34", ("SE",)),
    ("US", "call (415) 555-0132 today", "pii.phone", "(415) 555-0132", ("US",)),
    ("GB", "on 020 7946 0958 from 9", "pii.phone", "020 7946 0958", ("GB",)),
    ("DE", "unter 030 901820 erreichbar", "pii.phone", "030 901820", ("DE",)),
    ("FR", "au 01 42 68 53 00 merci", "pii.phone", "01 42 68 53 00", ("FR",)),
    ("NL", "bel 06 12345678", "pii.phone", "06 12345678", ("NL",)),
    ("DK", "ring +45 32 12 34 56", "pii.phone", "+45 32 12 34 56", ()),
    ("IN", "whatsapp +91 98765 43210", "pii.phone", "+91 98765 43210", ()),
    ("BR", "ligue +55 11 91234-5678", "pii.phone", "+55 11 91234-5678", ()),
    ("ES", "llama al +34 612 34 56 78", "pii.phone", "+34 612 34 56 78", ()),
    ("US", "ext (415) 555-0132 x123 ok", "pii.phone", "(415) 555-0132 x123", ("US",)),
    ("XX", "Phone: 0490 75 40 81", "pii.phone", "0490 75 40 81", ()),  # keyword, no hinted region
    ("XX", "card 4454 7945 1139 0933 expires", "pii.payment_card", "4454 7945 1139 0933", ()),
    ("XX", "pay with 4111-1111-1111-1111", "pii.payment_card", "4111-1111-1111-1111", ()),
    ("XX", "amex 3782 822463 10005", "pii.payment_card", "3782 822463 10005", ()),
    ("GB", "IBAN GB82 WEST 1234 5698 7654 32 thanks", "pii.iban", "GB82 WEST 1234 5698 7654 32", ()),
    ("DE", "IBAN DE89370400440532013000.", "pii.iban", "DE89370400440532013000", ()),
    ("SE", "konto se4550000000058398257466", "pii.iban", "se4550000000058398257466", ()),
    ("XX", "mail anna.berg@example.org now", "pii.email", "anna.berg@example.org", ()),
    ("XX", "from 192.168.10.24 today", "pii.ip_address", "192.168.10.24", ()),
    ("XX", "ip 2001:db8::8a2e:370:7334", "pii.ip_address", "2001:db8::8a2e:370:7334", ()),
    ("US", "I was born on 12 March 1985.", "pii.date_of_birth", "12 March 1985", ("US",)),
    ("US", "DOB: 1985-03-12", "pii.date_of_birth", "1985-03-12", ("US",)),
    ("DE", "geboren am 01.02.1970", "pii.date_of_birth", "01.02.1970", ("DE",)),
    ("XX", "Hello, my name is Anna-Lena Berg.", "pii.person_name", "Anna-Lena Berg", ()),
    ("XX", "Hi Johan,\nyour order shipped.", "pii.person_name", "Johan", ()),
    ("XX", "See you soon.\nKind regards,\nMaria Lopez", "pii.person_name", "Maria Lopez", ()),
    ("XX", "Ask for Dr. Jane Smith", "pii.person_name", "Jane Smith", ()),
    ("XX", "jag heter Åsa Öberg", "pii.person_name", "Åsa Öberg", ()),
    ("US", "ship to 1234 Main Street Apt 5, please", "pii.street_address", "1234 Main Street Apt 5", ()),
    ("SE", "bor på Storgatan 12 i Lund", "pii.street_address", "Storgatan 12", ()),
    ("FR", "au 12 rue de la Paix", "pii.street_address", "12 rue de la Paix", ()),
    ("XX", "my password is hunter2!", "secret.credential", "hunter2", ()),
    ("XX", "Your one-time code: 482913", "secret.credential", "482913", ()),
    ("XX", "key AKIAIOSFODNN7EXAMPLE in logs", "secret.credential", "AKIAIOSFODNN7EXAMPLE", ()),
    ("XX", "token ghp_" + "a1B2" * 9 + " leaked", "secret.credential", "ghp_" + "a1B2" * 9, ()),
]


@pytest.mark.parametrize(("country", "text", "type_", "value", "regions"), POSITIVE,
                         ids=[f"{c}-{t}-{v}" for c, _, t, v, _ in POSITIVE])
def test_finds(country: str, text: str, type_: str, value: str, regions: tuple[str, ...]) -> None:
    assert (type_, value) in found(text, regions)


def test_at_least_eight_countries() -> None:
    assert len({c for c, *_ in POSITIVE if c != "XX"}) >= 8


# values that look right but are not: bad checksums, impossible dates, wrong shapes
NEGATIVE = [
    ("US SSN area 000", "My SSN is 000-12-3456", ("US",)),
    ("US SSN area 666", "SSN 666-12-3456", ("US",)),
    ("SE bad Luhn", "personnummer 811228-9875", ("SE",)),
    ("NL BSN bad 11-test", "BSN 111222334", ("NL",)),
    ("DE IdNr bad check", "Steuer-ID 36574261808", ("DE",)),
    ("FR NIR bad key", "NIR 2 95 10 99 126 111 94", ("FR",)),
    ("ES DNI bad letter", "DNI 54362315Z", ("ES",)),
    ("ES NIE bad letter", "NIE X2482300A", ("ES",)),
    ("IT CF bad check", "codice fiscale RCCMNL83S18D969X", ("IT",)),
    ("BR CPF bad digits", "CPF 390.533.447-06", ("BR",)),
    ("IN Aadhaar bad Verhoeff", "Aadhaar 2341 2341 2345", ("IN",)),
    ("PL PESEL bad check", "PESEL 44051401358", ("PL",)),
    ("DK CPR impossible date", "CPR 321362-5629", ("DK",)),
    ("FI HETU bad check", "hetu 131052-308U", ("FI",)),
    ("NO fnr bad check", "fødselsnummer 15108695089", ("NO",)),
    ("GB NHS bad check", "NHS number 943 476 5910", ("GB",)),
    ("GB NINO bad prefix", "NINO GB 12 34 56 C", ("GB",)),
    ("card bad Luhn", "card 4454 7945 1139 0934", ()),
    ("IBAN bad check", "IBAN GB82 WEST 1234 5698 7654 33", ()),
    ("IP octet 256", "host 256.12.1.1 down", ()),
    ("bare 9 digits, no keyword", "ticket 111222333 closed", ("US",)),
    ("order number", "order #4155550132 shipped", ("US",)),
    ("date and time", "at 2000-04-16 11:34:35 UTC", ("US", "DE")),
    ("German-valid without trunk 0", "they live at 3747 3911 north", ("DE",)),
    ("US 7 digits no area code", "code 5550132 was sent", ("US",)),
    ("prose", "Thanks for your patience, the parcel arrives in 3 to 5 days.", ("US",)),
    ("weak 'at'", "Contact us at example.com for more", ()),
    ("password prose", "Your password has been reset and is incorrect", ()),
    ("greeting not a name", "Dear Customer,\nthanks", ()),
    ("sorry", "I'm sorry for the delay", ()),
    ("date without birth keyword", "We open on 12 March 2025", ()),
    ("price with spaces", "a total of 1 500 000 kronor", ("SE",)),
]


@pytest.mark.parametrize(("why", "text", "regions"), NEGATIVE, ids=[w for w, _, _ in NEGATIVE])
def test_does_not_find(why: str, text: str, regions: tuple[str, ...]) -> None:
    assert found(text, regions) == [], why


def test_types_and_categories_and_kinds() -> None:
    findings, ctx = run("SSN 536-90-4399, password: s3cret!x")
    by_type = {f.type: f for f in findings}
    assert by_type["pii.national_id"].category is Category.PII
    assert by_type["secret.credential"].category is Category.SECRET
    assert "US SSN" in by_type["pii.national_id"].evidence
    matches: list[PiiMatch] = ctx.shared["pii.matches"]
    assert [m.kind for m in matches] == ["us_ssn", "password"]


@pytest.mark.parametrize(("text", "value"), [
    ("card 4 4 5 4 7 9 4 5 1 1 3 9 0 9 3 3 ok", "4 4 5 4 7 9 4 5 1 1 3 9 0 9 3 3"),
    ("card 4454.7945.1139.0933", "4454.7945.1139.0933"),
    ("card 4454-7945-1139-0933", "4454-7945-1139-0933"),
    ("card 4454\u200b7945\u200b1139\u200b0933 ok", "4454\u200b7945\u200b1139\u200b0933"),
    ("card ４４５４７９４５１１３９０９３３ ok", "４４５４７９４５１１３９０９３３"),
])
def test_obfuscated_digits_map_back_to_the_original(text: str, value: str) -> None:
    assert found(text) == [("pii.payment_card", value)]


def test_zero_width_inside_a_phone_maps_back() -> None:
    text = "Ring 073\u200b-555\u200c 12 34"
    assert found(text, ("SE",)) == [("pii.phone", "073\u200b-555\u200c 12 34")]


@pytest.mark.parametrize(("text", "canonical"), [
    ("write to anna dot berg at example dot org", "anna.berg@example.org"),
    ("anna.berg (at) example (dot) com", "anna.berg@example.com"),
    ("anna.berg at example.org", "anna.berg@example.org"),
    ("Anna.Berg [at] Example [dot] ORG", "anna.berg@example.org"),
    ("anna @ example.org", "anna@example.org"),
])
def test_obfuscated_email(text: str, canonical: str) -> None:
    matches = find_pii(normalize(text))
    assert [(m.type, m.canonical) for m in matches] == [("pii.email", (canonical,))]


def test_canonical_forms_for_fingerprints() -> None:
    a = find_pii(normalize("073-555 12 34"), regions=("SE",))
    b = find_pii(normalize("+46 73 555 12 34"))
    assert a[0].canonical == b[0].canonical == ("+46735551234", "735551234")
    card = find_pii(normalize("4454 7945 1139 0933"))
    assert card[0].canonical == ("4454794511390933",)
    iban = find_pii(normalize("gb82 west 1234 5698 7654 32"))
    assert iban[0].canonical == ("GB82WEST12345698765432",)
    name = find_pii(normalize("my name is Åsa  Öberg"))
    assert name[0].canonical == ("asa oberg",)


def test_types_filter() -> None:
    text = "SSN 536-90-4399 mail a@b.se"
    assert [m.type for m in find_pii(normalize(text), types={"pii.email"})] == ["pii.email"]
    det = PiiDetector(types=["pii.national_id"])
    assert [f.type for f in run(text, det=det)[0]] == ["pii.national_id"]


def test_kb_value_is_info() -> None:
    kb = Source(kind="kb", text="Contact us: support@acme.example or +1 415 555 0132.")
    findings, _ = run("Write to support@acme.example or call (415) 555-0132; your mail is a@b.se",
                      grounding=[kb])
    sev = {f.type + ":" + str(f.severity) for f in findings}
    assert sev == {"pii.email:info", "pii.phone:info", "pii.email:medium"}
    assert all("published" in f.evidence for f in findings if f.severity is Severity.INFO)


def test_crm_source_does_not_make_info() -> None:
    crm = Source(kind="crm", text="customer phone (415) 555-0132")
    findings, _ = run("call (415) 555-0132", grounding=[crm])
    assert [f.severity for f in findings] == [Severity.MEDIUM]


def test_evidence_never_holds_the_value() -> None:
    text = ("SSN 536-90-4399, card 4454 7945 1139 0933, mail anna@example.org, IBAN GB82WEST12345698765432, "
            "password: hunter22, my name is Anna Berg, born on 1985-03-12, 073-555 12 34, 10.1.2.3")
    findings, _ = run(text, ("SE",))
    assert len(findings) == 9
    for f in findings:
        assert f.span is not None
        value = text[f.span[0]:f.span[1]]
        assert value not in f.evidence and value.replace(" ", "") not in f.evidence


def test_severity_defaults_and_override() -> None:
    det = PiiDetector(severity={"pii.email": "high"})
    findings, _ = run("mail a@b.se, card 4454794511390933, ip 10.0.0.1", det=det)
    assert {f.type: f.severity for f in findings} == {
        "pii.email": Severity.HIGH, "pii.payment_card": Severity.HIGH, "pii.ip_address": Severity.LOW}


@pytest.mark.parametrize("settings", [
    {"types": ["pii.nope"]}, {"severity": {"pii.email": "urgent"}}, {"severity": {"x": "low"}},
    {"min_digits": 0}, {"ner": "no_such_module_xyz:Thing"}, {"ner": object()},
])
def test_bad_settings_are_config_errors(settings: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        PiiDetector(**settings)  # type: ignore[arg-type]


def test_region_setting_adds_hints() -> None:
    text = "nummer 073-555 12 34"
    assert found(text, ()) == []
    det = PiiDetector(regions=["se"])
    assert [f.type for f in run(text, (), det=det)[0]] == ["pii.phone"]


class FakeNer:
    """A stand-in NER backend: labels the first word 'Zed' as a person."""

    def entities(self, text: str) -> list[NerEntity]:
        i = text.find("Zed")
        return [NerEntity("PERSON", i, i + 3, 0.7)] if i >= 0 else []


def test_ner_backend_is_optional_and_pluggable() -> None:
    assert found("ask Zed about it") == []
    findings, _ = run("ask Zed about it", det=PiiDetector(ner=FakeNer()))
    assert [(f.type, f.span, f.score) for f in findings] == [("pii.person_name", (4, 7), 0.7)]


def test_deadline_is_cooperative() -> None:
    det = PiiDetector()
    text = "call 073-555 12 34"
    ctx = Context(norm=normalize(text), regions=("SE",), deadline=0.0)
    with pytest.raises(DetectorTimeout):
        det.detect(Message(direction=Direction.INBOUND, text=text), ctx)


def test_shared_matches_are_stored_even_when_empty() -> None:
    _, ctx = run("nothing to see here")
    assert ctx.shared["pii.matches"] == []


def test_large_input_is_handled() -> None:
    text = ("Lorem ipsum 12 dolor sit amet, mail a@b.se. " * 2000)[:90_000]
    findings, _ = run(text)
    assert len(findings) == text.count("a@b.se")
