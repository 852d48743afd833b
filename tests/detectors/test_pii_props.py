"""Properties of the PII detector: every span maps onto the original text, and redacting the reported
spans leaves no detected value behind, whatever the obfuscation (zero-width characters, full-width
digits, separators) and the text around it."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardline.detectors.base import Context
from guardline.detectors.pii import PiiDetector, PiiMatch, find_pii
from guardline.normalize import normalize
from guardline.types import Direction, Finding, Message

DET = PiiDetector()
REGIONS = ("SE", "US", "GB")

VALUES = [
    "536-90-4399", "811228-9874", "4454794511390933", "4111 1111 1111 1111", "GB82WEST12345698765432",
    "anna.berg@example.org", "073-555 12 34", "(415) 555-0132", "+44 20 7946 0958", "192.168.10.24",
    "RCCMNL83S18D969H", "X2482300W", "390.533.447-05", "AB 12 34 56 C",
]
FILLER = ["hello", "your order", "is ready", "call", "card", "mail", "thanks", "ssn", "id", "ok", ",", ".",
          "\n", "phone", "number", "the", "2", "15", "kr", "at"]
ZW = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@st.composite
def obfuscated(draw: st.DrawFn, value: str) -> str:
    out = []
    for ch in value:
        if ch.isdigit() and draw(st.booleans()):
            ch = ch.translate(FULLWIDTH)
        out.append(ch)
        if draw(st.integers(0, 9)) == 0:
            out.append(draw(st.sampled_from(ZW)))
    return "".join(out)


@st.composite
def messages(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.integers(0, 2)) == 0:
            parts.append(draw(obfuscated(draw(st.sampled_from(VALUES)))))
        else:
            parts.append(draw(st.sampled_from(FILLER)))
    return "hi " + " ".join(parts)


def detect(text: str) -> tuple[list[Finding], list[PiiMatch]]:
    ctx = Context(norm=normalize(text), regions=REGIONS)
    findings = list(DET.detect(Message(direction=Direction.OUTBOUND, text=text), ctx))
    return findings, ctx.shared["pii.matches"]


def redact(text: str, findings: list[Finding]) -> str:
    """Local stand-in for redaction: replace each original span by "[X]", from the end backwards."""
    spans = sorted({f.span for f in findings if f.span is not None}, reverse=True)
    for s, e in spans:
        text = text[:s] + "[X]" + text[e:]
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages())
def test_every_span_maps_onto_the_original(text: str) -> None:
    findings, matches = detect(text)
    assert len(findings) == len(matches)
    for f, m in zip(findings, matches, strict=True):
        assert f.span is not None
        s, e = f.span
        assert 0 <= s < e <= len(text)
        assert m.value in normalize(text[s:e]).text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages())
def test_redaction_leaves_no_detected_value(text: str) -> None:
    findings, matches = detect(text)
    redacted = redact(text, findings)
    before = {c for m in matches for c in m.canonical}
    after = {c for m in find_pii(normalize(redacted), regions=REGIONS) for c in m.canonical}
    assert not before & after
    folded = normalize(redacted).text
    for m in matches:
        assert m.value not in folded


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gives_spans_inside_the_text(text: str) -> None:
    if not text.strip():
        return
    findings, _ = detect(text)
    for f in findings:
        assert f.span is not None and 0 <= f.span[0] <= f.span[1] <= len(text)
