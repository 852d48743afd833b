"""The README's library example does what the README says."""

from __future__ import annotations

from pathlib import Path

from guardline import Action, Guard

ROOT = Path(__file__).resolve().parents[2]


def test_readme_library_example() -> None:
    guard = Guard(ROOT / "policies" / "default.yaml")
    message = {
        "tenant": "acme", "conversation_id": "c1", "customer_id": "cust-42",
        "channel": "sms", "direction": "outbound",
        "text": "Your refund of 49.90 EUR goes back to the card 4111 1111 1111 1111 within 5 business days.",
        "grounding": [{"id": "refunds.lookup", "kind": "tool",
                       "text": '{"refund": {"amount": 49.90, "currency": "EUR", "eta_business_days": 5}}'}],
    }
    verdict = guard.check(message)
    assert verdict.action is Action.REDACT
    assert verdict.text == "Your refund of 49.90 EUR goes back to the card [CARD ****1111] within 5 business days."
    assert "[CARD ****1111]" in (ROOT / "README.md").read_text(encoding="utf-8")
    wrong = guard.check({**message, "text": message["text"].replace("5 business days", "60 days")})
    assert wrong.action in (Action.ESCALATE, Action.BLOCK)
