"""The leakage detector's behaviour, on the in-process store."""

from __future__ import annotations

from typing import Any

import pytest

from guardline.detectors.base import Context
from guardline.detectors.fingerprint import VALUE, fingerprints, said_fingerprints
from guardline.detectors.leakage import LeakageDetector, register_identifiers
from guardline.errors import ConfigError, DetectorError, StoreError
from guardline.keys import KeyRing
from guardline.normalize import normalize
from guardline.state import MemoryStore
from guardline.state.base import StateStore
from guardline.state.sqlite import SqliteStore
from guardline.types import Finding, Message, Severity, Source

KEYS = KeyRing(b"x" * 32)
REGIONS = ("US", "FR")

X_INTRO = ("Hello, my name is Crystal Minh. My email is cminh730@email.com and my phone is "
           "+33 6 12 34 56 78. I would really like to return these jeans because they are too small")


class Harness:
    def __init__(self, store: StateStore | None = None, **settings: Any) -> None:
        self.store = store if store is not None else MemoryStore()
        self.det = LeakageDetector(**settings)

    def check(self, direction: str, customer: str, text: str, *, tenant: str = "acme",
              grounding: tuple[Source, ...] = (), shared: dict[str, Any] | None = None) -> list[Finding]:
        msg = Message(direction=direction, customer_id=customer, tenant=tenant, text=text,  # type: ignore[arg-type]
                      grounding=grounding)
        ctx = Context(norm=normalize(text), state=self.store, keys=KEYS, regions=REGIONS,
                      shared=shared if shared is not None else {})
        return list(self.det.detect(msg, ctx))

    def said(self, customer: str, text: str, **kw: Any) -> None:
        assert self.check("inbound", customer, text, **kw) == []

    def reply(self, customer: str, text: str, **kw: Any) -> list[tuple[str, str]]:
        return [(f.type, text[f.span[0]:f.span[1]] if f.span else "") for f in self.check("outbound", customer, text, **kw)]


@pytest.fixture
def h() -> Harness:
    harness = Harness()
    harness.said("X", X_INTRO)
    return harness


@pytest.mark.parametrize("leaked", [
    "cminh730@email.com", "CMINH730@EMAIL.COM", "Cminh730@Email.com",
    "+33 6 12 34 56 78", "06 12 34 56 78", "+33612345678", "06.12.34.56.78",
])
def test_another_customers_value_is_critical(h: Harness, leaked: str) -> None:
    text = f"Sure, I can reach you at {leaked} if needed."
    findings = h.check("outbound", "Y", text)
    assert [(f.type, f.severity) for f in findings] == [("leakage.cross_customer", Severity.CRITICAL)]
    span = findings[0].span
    assert span is not None and text[span[0]:span[1]].strip(" .") == leaked


def test_the_customers_own_values_are_allowed(h: Harness) -> None:
    assert h.reply("X", "Thanks Crystal Minh, I will write to CMINH730@email.com and call 06 12 34 56 78.") == []


def test_evidence_never_holds_the_value_or_the_owner(h: Harness) -> None:
    findings = h.check("outbound", "Y", "Your contact is cminh730@email.com, phone 0612345678, Crystal Minh")
    assert {f.type for f in findings} == {"leakage.cross_customer"}
    for f in findings:
        assert "cminh730" not in f.evidence and "0612345678" not in f.evidence and "X" not in f.evidence
        assert "minh" not in f.evidence.casefold()


def test_name_of_another_customer(h: Harness) -> None:
    assert h.reply("Y", "I have pulled up the account of CRYSTAL MINH for you.") == [
        ("leakage.cross_customer", "CRYSTAL MINH")]


def test_unknown_pii_unless_in_grounding(h: Harness) -> None:
    text = "You can call +1 212 555 0199 or write to help@acme.example"
    assert sorted(h.reply("Y", text)) == [("leakage.unknown_pii", "+1 212 555 0199"),
                                          ("leakage.unknown_pii", "help@acme.example")]
    kb = (Source(kind="kb", text="Support: (212) 555-0199, help@acme.example"),)
    assert h.reply("Y", text, grounding=kb) == []


def test_company_data_in_the_kb_is_not_a_leak(h: Harness) -> None:
    h.said("Z", "I called your number +33 6 12 34 56 78 twice")  # a customer may own a public number
    kb = (Source(kind="kb", text="Our hotline is +33 6 12 34 56 78."),)
    assert h.reply("Y", "Call our hotline +33 6 12 34 56 78.", grounding=kb) == []


def test_own_card_and_national_id_are_flagged_for_redaction() -> None:
    h = Harness()
    h.said("X", "my card is 4111 1111 1111 1111 and my SSN is 536-22-8726")
    findings = h.check("outbound", "X", "I see card 4111-1111-1111-1111 and SSN 536228726 on file.")
    assert [(f.type, f.severity) for f in findings] == [("leakage.own_sensitive", Severity.MEDIUM)] * 2
    # the same values in another customer's conversation are cross-customer leaks
    assert {t for t, _ in h.reply("Y", "I see card 4111111111111111 on file.")} == {"leakage.cross_customer"}


def test_verbatim_run_of_another_customers_text(h: Harness) -> None:
    got = h.reply("Y", "As you said, I would really like to return these jeans because they are too small.")
    assert got == [("leakage.cross_conversation_text",
                    "I would really like to return these jeans because they are too small")]
    assert h.reply("Y", "So you like to return these jeans because they do not fit?") == []  # 7 words
    assert h.reply("X", "You said you would really like to return these jeans because they are too small") == []


def test_common_phrases_are_not_text_leaks() -> None:
    h = Harness(common_text_owners=3)
    for c in ("A", "B", "C"):
        h.said(c, "can you please help me with my order today")
    assert h.reply("Y", "Sure: can you please help me with my order today?") == []
    h2 = Harness(common_text_owners=3)
    for c in ("A", "B"):
        h2.said(c, "can you please help me with my order today")
    assert [t for t, _ in h2.reply("Y", "can you please help me with my order today")] == [
        "leakage.cross_conversation_text"]


def test_crm_grounding_records_ownership() -> None:
    h = Harness()
    crm_x = Source(kind="crm", customer_id="X", text="Name: Ana Lopez; Order ID: 7781-2290-11; zip 94110; "
                                                     "placed 2024-03-01; total 299.00")
    # the agent, talking to Y, was handed X's CRM record by mistake and quotes from it
    got = h.reply("Y", "Your order 7781229011 ships to zip 94110.", grounding=(crm_x,))
    assert got == [("leakage.cross_customer", "7781229011"), ("leakage.cross_customer", "94110")]
    # dates and amounts in a record are not identifiers: shared by many customers
    assert h.reply("Y", "Placed 2024-03-01 for 299.00.") == []


def test_crm_source_without_customer_id_belongs_to_the_message_customer() -> None:
    h = Harness()
    h.said("Y", "hello", grounding=(Source(kind="crm", text="order 5501234567"),))
    assert h.reply("Y", "order 5501234567 is on its way") == []
    assert h.reply("Z", "order 5501234567 is on its way") == [("leakage.cross_customer", "5501234567")]


def test_register_identifiers_and_reformatted_ids() -> None:
    h = Harness()
    n = register_identifiers(h.store, KEYS, "acme", "X", ["3348917502", "75227", "cminh730", "Crystal Minh",
                                                          "(977) 625-2661", " "], regions=REGIONS)
    assert n >= 5
    text = "Order 3348 9175 02, zip 75227, user CMINH730, crystal minh, tel 977-625-2661"
    got = h.reply("Y", text)
    assert sorted(s for _, s in got) == sorted(["3348 9175 02", "75227", "CMINH730", "crystal minh", "977-625-2661"])
    assert {t for t, _ in got} == {"leakage.cross_customer"}
    with pytest.raises(ConfigError):
        register_identifiers(h.store, KEYS, "acme", "", ["x"])


def test_tenants_are_isolated(h: Harness) -> None:
    assert [t for t, _ in h.reply("Y", "mail cminh730@email.com", tenant="other")] == ["leakage.unknown_pii"]


def test_forgotten_customer_is_no_longer_an_owner(h: Harness) -> None:
    assert h.store.forget_customer("acme", "X") > 0
    assert [t for t, _ in h.reply("Y", "mail cminh730@email.com")] == ["leakage.unknown_pii"]
    assert h.reply("Y", "I would really like to return these jeans because they are too small") == []


def test_inbound_without_customer_id_records_nothing() -> None:
    h = Harness()
    h.said("", X_INTRO)
    assert [t for t, _ in h.reply("Y", "mail cminh730@email.com")] == ["leakage.unknown_pii"]


def test_reply_without_customer_id_flags_owned_values(h: Harness) -> None:
    findings = h.check("outbound", "", "mail cminh730@email.com")
    assert [f.type for f in findings] == ["leakage.cross_customer"]
    assert "no customer id" in findings[0].evidence


def test_spans_refer_to_the_original_text(h: Harness) -> None:
    text = "Zero\u200bwidth: cminh730@\u200bemail.com ok"
    findings = h.check("outbound", "Y", text)
    assert len(findings) == 1 and findings[0].span is not None
    s, e = findings[0].span
    assert text[s:e] == "cminh730@\u200bemail.com"


def test_retention(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    h = Harness(MemoryStore(clock=lambda: now[0]), retention_days=1)
    h.said("X", X_INTRO)
    assert [t for t, _ in h.reply("Y", "mail cminh730@email.com")] == ["leakage.cross_customer"]
    now[0] += 86400 + 1
    assert [t for t, _ in h.reply("Y", "mail cminh730@email.com")] == ["leakage.unknown_pii"]


def test_reuses_the_pii_detectors_matches(h: Harness) -> None:
    shared: dict[str, Any] = {"pii.matches": []}  # the pii detector ran and found nothing
    text = "mail cminh730@email.com"
    assert h.check("outbound", "Y", text, shared=shared) == []  # (no identifier with a 5+ char digit run)
    assert [f.type for f in h.check("outbound", "Y", text)] == ["leakage.cross_customer"]


def test_needs_state_and_keys() -> None:
    msg = Message(direction="outbound", text="hi")  # type: ignore[arg-type]
    with pytest.raises(DetectorError):
        list(LeakageDetector().detect(msg, Context(norm=normalize("hi"))))


def test_store_errors_propagate(tmp_path: Any) -> None:
    store = SqliteStore(str(tmp_path / "s.db"))
    h = Harness(store)
    store.close()
    with pytest.raises(StoreError):
        h.check("outbound", "Y", "mail cminh730@email.com")
    with pytest.raises(StoreError):
        h.check("inbound", "X", X_INTRO)


@pytest.mark.parametrize("settings", [{"shingle_words": 2}, {"retention_days": -1}])
def test_bad_settings(settings: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        LeakageDetector(**settings)


def test_identifier_recording_from_inbound_text_is_opt_in() -> None:
    h = Harness()
    h.said("X", "my order is 3348917502 and zip 75227")
    assert h.reply("Y", "order 3348917502") == []
    h2 = Harness(record_identifiers=True)
    h2.said("X", "my order is 3348917502 and zip 75227, phone (977) 625-2661")
    assert h2.reply("Y", "order 3348917502, tel 977 625 2661") == [
        ("leakage.cross_customer", "3348917502"), ("leakage.cross_customer", "977 625 2661")]


def test_lone_first_names_are_not_values() -> None:
    h = Harness()
    h.said("X", "Hi John, thanks for helping me")  # customers greet the agent by name
    assert h.reply("Y", "Hello, this is John from ACME. How may I help?") == []
    h.said("X", "my name is Crystal Minh")
    assert h.reply("Y", "Hello, this is Crystal Minh from ACME.") == [("leakage.cross_customer", "Crystal Minh")]


def test_an_owned_number_beats_a_partial_unknown_match() -> None:
    h = Harness()
    register_identifiers(h.store, KEYS, "acme", "X", ["(003) 045-2026"], regions=REGIONS)
    for shown in ("003 045 2026", "+1 003 045 2026", "+1 (003) 045-2026", "+10030452026"):
        assert [t for t, _ in h.reply("Y", f"Call {shown} now")] == ["leakage.cross_customer"], shown


def test_what_the_customer_typed_is_not_leaked_back_to_them() -> None:
    """ABCD reuses personas: customer X owns "Norman Bouchard" (recognised as a name), customer Y typed
    the same words where the PII detector saw no name. Saying them back to Y is no leak; to Z it is."""
    h = Harness()
    h.said("X", "my name is Norman Bouchard")
    h.said("Y", "Let's try Norman Bouchard")
    assert h.reply("Y", "Your account now has the correct name Norman Bouchard.") == []
    assert h.reply("Z", "Your account now has the correct name Norman Bouchard.") == [
        ("leakage.cross_customer", "Norman Bouchard")]
    # a place the PII detector took for a name in X's message, typed by Y as part of an address
    h.said("X", "I live in San Mateo now")
    h.said("Y", "my new address is 7100 2nd Ave San Mateo, CA 87190")
    assert h.reply("Y", "To verify: 7100 2nd Ave San Mateo, CA 87190, correct?") == []


def test_typed_identifiers_count_as_said() -> None:
    h = Harness()
    crm_x = Source(kind="crm", customer_id="X", text="Order ID: 7781-2290-11; zip 94110")
    h.said("Y", "I live in 94110, order 7781229011", grounding=(crm_x,))  # (X's record recorded meanwhile)
    assert h.reply("Y", "Zip 94110 and order 7781229011, right?") == []
    assert [t for t, _ in h.reply("Z", "Zip 94110 and order 7781229011, right?")] == ["leakage.cross_customer"] * 2


def test_said_words_are_never_ownership() -> None:
    h = Harness()
    h.said("Y", "Let's try Norman Bouchard, order 7781229011")  # no PII match: only said
    assert h.reply("Z", "Norman Bouchard, order 7781229011") == []
    h2 = Harness(record_identifiers=True)  # ... unless identifiers are recorded as owned
    h2.said("Y", "order 7781229011")
    assert h2.reply("Z", "order 7781229011") == [("leakage.cross_customer", "7781229011")]


def test_said_fingerprints_are_bound_to_one_customer() -> None:
    """A phrase many customers type is one fingerprint per customer, each with one owner."""
    h = Harness(record_text=False)
    for c in ("A", "B", "C"):
        h.said(c, "Let's try Norman Bouchard")
    key = KEYS.key("fingerprint", "acme")
    mine = {c: said_fingerprints(key, c, ["norman bouchard"])[0] for c in ("A", "B", "C")}
    assert len(set(mine.values())) == 3
    assert h.store.owners("acme", list(mine.values())) == {fp: frozenset({c}) for c, fp in mine.items()}
    assert h.store.owners("acme", fingerprints(key, VALUE, ["norman bouchard"])) == {}
