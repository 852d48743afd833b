"""Compliance detector: consent keywords, opt-out flow, quiet hours, SMS segments, URLs, WhatsApp window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from guardline.detectors.base import Context
from guardline.detectors.compliance import ComplianceDetector
from guardline.detectors.compliance_keywords import classify
from guardline.detectors.compliance_sms import sms_info
from guardline.errors import ConfigError, InvalidInput
from guardline.keys import KeyRing
from guardline.normalize import normalize
from guardline.state.base import StateStore
from guardline.state.memory import MemoryStore
from guardline.types import Finding, Message

KEYS = KeyRing(b"x" * 32)
T0 = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)  # a Monday, noon UTC


def check(det: ComplianceDetector, text: str, *, direction: str = "outbound", state: StateStore | None = None,
          channel: str = "sms", customer: str = "cust-1", tenant: str = "acme", when: datetime = T0,
          regions: tuple[str, ...] = (), **metadata: Any) -> list[Finding]:
    msg = Message(direction=direction, text=text, channel=channel, customer_id=customer, tenant=tenant,
                  conversation_id="conv-1", timestamp=when, metadata=metadata)
    return list(det.detect(msg, Context(norm=normalize(text), state=state, keys=KEYS, regions=regions)))


def types(findings: list[Finding]) -> list[str]:
    return sorted(f.type for f in findings)


@pytest.fixture
def det() -> ComplianceDetector:
    return ComplianceDetector()


# -- consent keywords ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "kind"), [
    ("STOP", "optout"), ("stop", "optout"), ("Stop.", "optout"), ("  STOP!!  ", "optout"), ("stop 🙏", "optout"),
    ("STOPALL", "optout_all"), ("Stop all", "optout_all"), ("UNSUBSCRIBE", "optout"), ("Cancel", "optout"),
    ("END", "optout"), ("quit", "optout"), ("Opt-out", "optout"), ("OPT OUT", "optout"),
    ("Stopp", "optout"), ("ABMELDEN", "optout"),          # de
    ("ARRÊT", "optout"), ("arret", "optout"), ("Désabonner", "optout"),  # fr
    ("BAJA", "optout"), ("Alto", "optout"),               # es
    ("Basta!", "optout"), ("Disiscrivimi", "optout"),     # it
    ("PARE", "optout"), ("Sair", "optout"),               # pt
    ("STOPPEN", "optout"), ("Afmelden", "optout"),        # nl
    ("avsluta", "optout"), ("Avregistrera", "optout"),    # sv
    ("KONIEC", "optout"),                                 # pl
    ("START", "optin"), ("Unstop", "optin"), ("ALTA", "optin"),
    ("HELP", "help"), ("info", "help"), ("Hilfe", "help"), ("AIDE", "help"), ("Ayuda?", "help"),
    ("aiuto", "help"), ("Ajuda", "help"), ("hulp", "help"), ("HJÄLP", "help"),
])
def test_keyword_positive(text: str, kind: str) -> None:
    kw = classify(normalize(text).text)
    assert kw is not None and kw.kind == kind


@pytest.mark.parametrize("text", [
    "Is there a bus stop near your store?",
    "Please don't stop my subscription",
    "stop sending me the wrong size",
    "I want to cancel my order 1234",
    "The end of the month works",
    "Fine",
    "Stopover in Paris?",
    "Ich brauche Hilfe mit meiner Bestellung",
    "Necesito ayuda con mi pedido",
    "Start date is Monday",
    "BAJA California shipping?",
])
def test_keyword_negative(text: str) -> None:
    assert classify(normalize(text).text) is None


# -- the opt-out flow --------------------------------------------------------------------------------------
def test_opt_out_flow(det: ComplianceDetector) -> None:
    state = MemoryStore()
    found = check(det, "Stop", direction="inbound", state=state)
    assert types(found) == ["compliance.opt_out"] and str(found[0].severity) == "info"
    assert state.get("acme", "optout", "cust-1:sms") is not None
    # marketing after the opt-out is blocked
    blocked = check(det, "Big sale this weekend!", state=state)
    assert types(blocked) == ["compliance.opted_out"] and str(blocked[0].severity) == "critical"
    # the single confirmation goes through, a second one does not
    confirmation = "You have been unsubscribed and will receive no more messages. Reply START to resubscribe."
    assert types(check(det, confirmation, state=state)) == ["compliance.optout_confirmation"]
    assert types(check(det, confirmation, state=state)) == ["compliance.opted_out"]
    # other channels, customers and tenants are unaffected
    assert check(det, "Your order shipped.", state=state, channel="whatsapp", template=True) == []
    assert check(det, "Your order shipped.", state=state, customer="cust-2") == []
    assert check(det, "Your order shipped.", state=state, tenant="other") == []
    # START re-opts in
    assert types(check(det, "START", direction="inbound", state=state)) == ["compliance.opt_in"]
    assert check(det, "Your order shipped.", state=state) == []


@pytest.mark.parametrize("confirmation", [
    "Sie wurden abgemeldet und erhalten keine weiteren Nachrichten.",
    "Vous êtes désinscrit et ne recevrez plus de messages.",
    "Has sido dado de baja. Ya no recibirás más mensajes.",
    "Sei stato disiscritto.",
    "Você foi descadastrado e não receberá mais mensagens.",
    "Je bent afgemeld.",
    "Du är avregistrerad.",
])
def test_confirmation_languages(det: ComplianceDetector, confirmation: str) -> None:
    state = MemoryStore()
    check(det, "STOP", direction="inbound", state=state)
    assert types(check(det, confirmation, state=state)) == ["compliance.optout_confirmation"]


def test_confirmation_by_metadata_and_length_limit(det: ComplianceDetector) -> None:
    state = MemoryStore()
    check(det, "BAJA", direction="inbound", state=state)
    long_text = "You have been unsubscribed. " + "But here is our catalogue! " * 20
    assert "compliance.opted_out" in types(check(det, long_text, state=state))
    assert types(check(det, "Bye.", state=state, optout_confirmation=True)) == ["compliance.optout_confirmation"]
    # metadata false wins over a confirmation-like text
    assert types(check(det, "You are unsubscribed.", state=state, optout_confirmation=False)) == \
        ["compliance.opted_out"]


def test_stop_all_covers_every_channel(det: ComplianceDetector) -> None:
    state = MemoryStore()
    check(det, "STOPALL", direction="inbound", state=state)
    assert types(check(det, "Hi", state=state, channel="whatsapp", template=True)) == ["compliance.opted_out"]
    assert types(check(det, "Hi", state=state, channel="email")) == ["compliance.opted_out"]


def test_bus_stop_is_not_an_opt_out(det: ComplianceDetector) -> None:
    state = MemoryStore()
    assert check(det, "Is there a bus stop near your store?", direction="inbound", state=state) == []
    assert check(det, "Yes, right outside.", state=state) == []


def test_help(det: ComplianceDetector) -> None:
    found = check(det, "HELP", direction="inbound", state=MemoryStore())
    assert types(found) == ["compliance.help_requested"] and str(found[0].severity) == "info"


def test_opt_out_not_recorded_is_visible(det: ComplianceDetector) -> None:
    assert types(check(det, "STOP", direction="inbound", state=None)) == \
        ["compliance.opt_out", "compliance.state_unavailable"]
    assert types(check(det, "STOP", direction="inbound", state=MemoryStore(), customer="")) == \
        ["compliance.opt_out", "compliance.state_unavailable"]


def test_extra_keywords() -> None:
    det = ComplianceDetector(extra_keywords={"optout": ["ALTO AHI", "nein danke"]})
    state = MemoryStore()
    assert types(check(det, "Nein danke!", direction="inbound", state=state)) == ["compliance.opt_out"]
    assert types(check(det, "Hi", state=state)) == ["compliance.opted_out"]


# -- quiet hours --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("when", "meta", "quiet"), [
    (datetime(2025, 3, 3, 21, 30, tzinfo=UTC), {"timezone": "Europe/Berlin"}, True),    # 22:30 local
    (datetime(2025, 3, 3, 6, 30, tzinfo=UTC), {"timezone": "Europe/Berlin"}, True),     # 07:30 local
    (datetime(2025, 3, 3, 7, 0, tzinfo=UTC), {"timezone": "Europe/Berlin"}, False),     # 08:00 local
    (datetime(2025, 3, 3, 12, 0, tzinfo=UTC), {"timezone": "Europe/Berlin"}, False),
    (datetime(2025, 3, 3, 20, 0, tzinfo=UTC), {"recipient_phone": "+49 30 901820"}, True),  # 21:00 Berlin: start is inclusive
    (datetime(2025, 3, 4, 2, 0, tzinfo=UTC), {"recipient_phone": "+1 212-555-0100"}, True),  # 21:00 New York
    (datetime(2025, 3, 3, 23, 0, tzinfo=UTC), {"recipient_phone": "+1 212-555-0100"}, False),  # 18:00 New York
    (datetime(2025, 3, 3, 12, 0, tzinfo=UTC), {"recipient_phone": "+61 2 9374 4000"}, True),  # 23:00 Sydney
    (datetime(2025, 3, 3, 12, 0, tzinfo=UTC), {"timezone": "Asia/Tokyo"}, True),        # 21:00 Tokyo
])
def test_quiet_hours(det: ComplianceDetector, when: datetime, meta: dict[str, Any], quiet: bool) -> None:
    found = check(det, "Flash sale!", channel="webchat", when=when, state=MemoryStore(), customer="",
                  proactive=True, **meta)
    assert (types(found) == ["compliance.quiet_hours"]) is quiet


def test_quiet_hours_only_for_proactive(det: ComplianceDetector) -> None:
    late = datetime(2025, 3, 3, 23, 0, tzinfo=UTC)
    assert check(det, "Here is your answer.", channel="webchat", when=late, customer="",
                 state=MemoryStore(), timezone="Europe/Paris") == []


def test_quiet_hours_unknown_zone_and_default() -> None:
    late = datetime(2025, 3, 3, 23, 0, tzinfo=UTC)
    det = ComplianceDetector()
    assert types(check(det, "Sale", channel="webchat", when=late, customer="", state=MemoryStore(),
                       proactive=True)) == ["compliance.timezone_unknown"]
    det = ComplianceDetector(quiet_hours={"start": "22:00", "end": "07:00", "default_timezone": "UTC"})
    assert types(check(det, "Sale", channel="webchat", when=late, customer="", state=MemoryStore(),
                       proactive=True)) == ["compliance.quiet_hours"]
    with pytest.raises(InvalidInput):
        check(det, "Sale", channel="webchat", when=late, customer="", proactive=True, timezone="Mars/Olympus")


def test_quiet_hours_phone_region_hint(det: ComplianceDetector) -> None:
    late = datetime(2025, 3, 3, 22, 30, tzinfo=UTC)  # 23:30 in Paris
    found = check(det, "Sale", channel="webchat", when=late, customer="", state=MemoryStore(),
                  regions=("FR",), proactive=True, recipient_phone="06 12 34 56 78")
    assert types(found) == ["compliance.quiet_hours"] and "Europe/Paris" in found[0].evidence


# -- SMS encoding and segments ----------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "encoding", "segments"), [
    ("a" * 160, "GSM-7", 1),
    ("a" * 161, "GSM-7", 2),
    ("a" * 306, "GSM-7", 2),
    ("a" * 307, "GSM-7", 3),
    ("€" * 80, "GSM-7", 1),               # extension characters count twice
    ("a" * 152 + "€" + "a" * 10, "GSM-7", 2),  # the escape pair moves whole to part 2
    ("Grüße aus Köln, Señor", "GSM-7", 1),
    ("Ça va?", "GSM-7", 1),
    ("ça va?", "UCS-2", 1),               # lower-case ç is not in GSM-7
    ("Olá, ação", "UCS-2", 1),
    ("x" * 70 + "ł", "UCS-2", 2),
    ("😀" * 35, "UCS-2", 1),              # surrogate pairs: two units each
    ("😀" * 36, "UCS-2", 2),
])
def test_sms_info(text: str, encoding: str, segments: int) -> None:
    info = sms_info(text)
    assert (info.encoding, info.segments) == (encoding, segments)


def test_sms_segment_limit() -> None:
    det = ComplianceDetector(max_sms_segments=2)
    state = MemoryStore()
    assert check(det, "a" * 306, state=state) == []
    found = check(det, "ü" * 100 + "ł" * 100, state=state)
    assert types(found) == ["compliance.sms_segments"] and "UCS-2" in found[0].evidence
    assert check(det, "ł" * 300, state=state, channel="webchat") == []  # only SMS channels


# -- URLs ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "flagged"), [
    ("Track it here: https://bit.ly/3xYz", ["https://bit.ly/3xYz"]),
    ("See tinyurl.com/abc.", ["tinyurl.com/abc"]),
    ("Details at https://shop.acme.com/orders/1?x=1.", []),
    ("Details at www.acme.com", []),
    ("Visit https://acme.com.evil.io/login", ["https://acme.com.evil.io/login"]),
    ("Visit https://acme.com@evil.io/login", ["https://acme.com@evil.io/login"]),
    ("Visit https://аcme.com/login", ["https://аcme.com/login"]),   # Cyrillic а
    ("Visit http://notacme.com", ["http://notacme.com"]),
    ("Mail support@evil.io or open report.txt", []),              # e-mail and a file name are not links
    ("Open (https://help.acme.com/faq).", []),
])
def test_url_allow_list(text: str, flagged: list[str]) -> None:
    det = ComplianceDetector(allowed_domains=["acme.com"])
    found = [f for f in check(det, text, state=MemoryStore(), channel="webchat")
             if f.type == "compliance.url_not_allowed"]
    assert [text[f.span[0]:f.span[1]] for f in found if f.span] == flagged


def test_shorteners_blocked_without_allow_list(det: ComplianceDetector) -> None:
    assert types(check(det, "go to https://t.co/xyz", state=MemoryStore(), channel="webchat")) == \
        ["compliance.url_not_allowed"]
    assert check(det, "go to https://example.org/x", state=MemoryStore(), channel="webchat") == []
    # a shortener explicitly allowed (a brand's own short domain) passes
    own = ComplianceDetector(allowed_domains=["acme.com", "bit.ly"])
    assert check(own, "go to https://bit.ly/x", state=MemoryStore(), channel="webchat") == []
    off = ComplianceDetector(block_shorteners=False)
    assert check(off, "go to https://bit.ly/x", state=MemoryStore(), channel="webchat") == []


# -- WhatsApp window --------------------------------------------------------------------------------------------
def test_whatsapp_window(det: ComplianceDetector) -> None:
    state = MemoryStore()
    wa: dict[str, Any] = {"channel": "whatsapp", "state": state}
    assert types(check(det, "Hello!", when=T0, **wa)) == ["compliance.whatsapp_window"]  # no inbound yet
    assert check(det, "Where is my order?", direction="inbound", when=T0, **wa) == []
    assert check(det, "It ships today.", when=T0 + timedelta(hours=23, minutes=59), **wa) == []
    late = check(det, "Any update?", when=T0 + timedelta(hours=24, minutes=1), **wa)
    assert types(late) == ["compliance.whatsapp_window"] and "24.0 h" in late[0].evidence
    assert check(det, "Template", when=T0 + timedelta(days=3), template=True, **wa) == []
    # a new inbound message reopens the window
    check(det, "Hi again", direction="inbound", when=T0 + timedelta(days=3), **wa)
    assert check(det, "Welcome back", when=T0 + timedelta(days=3, hours=1), **wa) == []


def test_whatsapp_rule_only_on_whatsapp(det: ComplianceDetector) -> None:
    assert check(det, "Hello!", channel="sms", state=MemoryStore()) == []


# -- configuration -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("settings", [
    {"quiet_hours": {"start": "25:00", "end": "08:00"}},
    {"quiet_hours": {"start": "21:00", "until": "08:00"}},
    {"quiet_hours": {"default_timezone": "Nowhere/City"}},
    {"allowed_domains": "acme.com"},
    {"allowed_domains": ["https://acme.com/x"]},
    {"max_sms_segments": 0},
    {"sms_channels": ["pager"]},
    {"extra_keywords": {"unsubscribe": ["x"]}},
    {"whatsapp_window_h": -1},
])
def test_bad_settings(settings: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        ComplianceDetector(**settings)


def test_registry_builds_compliance() -> None:
    from guardline.detectors.registry import create

    assert create("compliance", {"max_sms_segments": 4}).name == "compliance"
