from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from guardline.redact import RedactionRules, redact, redact_findings
from guardline.types import Category, Finding, Severity


def f(type_: str, span: tuple[int, int], sev: Severity = Severity.MEDIUM,
      cat: Category = Category.PII) -> Finding:
    return Finding("t", cat, type_, sev, span)


def test_typed_placeholders_do_not_shift_other_spans() -> None:
    text = "mail a@b.co or call 555-0100 now"
    out = redact(text, [f("pii.email", (5, 11)), f("pii.phone", (20, 28))])
    assert out == "mail [EMAIL] or call [PHONE] now"


def test_keep_last_four_of_a_card() -> None:
    text = "card 4111 1111 1111 1234."
    rules = RedactionRules(keep_last={"pii.payment_card": 4})
    assert redact(text, [f("pii.payment_card", (5, 24))], rules) == "card [CARD ****1234]."


def test_overlapping_spans_merge_under_most_severe() -> None:
    text = "0123456789"
    out = redact(text, [f("pii.phone", (0, 6)), f("pii.national_id", (4, 10), Severity.HIGH)])
    assert out == "[NATIONAL_ID]"


def test_unknown_type_gets_derived_placeholder() -> None:
    assert redact("abc", [f("pii.passport", (0, 3))]) == "[PASSPORT]"


def test_redact_findings_skips_non_pii_categories() -> None:
    text = "price is 10 EUR"
    hall = Finding("g", Category.HALLUCINATION, "hallucination.unsupported_amount", Severity.MEDIUM, (9, 15))
    assert redact_findings(text, [hall]) == text


@given(st.text(min_size=1, max_size=60), st.data())
def test_redaction_never_leaves_the_value(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    value = text[start:end]
    out = redact(text, [f("pii.email", (start, end))])
    assert out == text[:start] + "[EMAIL]" + text[end:]
    # the value may still occur elsewhere in the text, but not at the redacted position
    assert out[start:start + 7] == "[EMAIL]" or value == ""


def test_same_span_twice_does_not_crash_and_pii_names_it() -> None:
    text = "write to bob@example.com"
    leak = Finding("leakage", Category.LEAKAGE, "leakage.unknown_pii", Severity.MEDIUM, (9, 24))
    out = redact(text, [leak, f("pii.email", (9, 24))])
    assert out == "write to [EMAIL]"
