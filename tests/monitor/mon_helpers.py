"""Helpers for monitor and rollout tests: a settable clock, a test detector, an in-memory operator
audit (records what would be appended to the audit log)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from guardline.detectors.base import Context
from guardline.detectors.registry import register
from guardline.types import Category, Finding, Message, Severity


class Clock:
    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        self.t += dt


class MarkerDetector:
    """Reports a finding for each marker word in the text: LEAK (critical leakage), HALLU (medium
    hallucination), PIIBLOCK (high pii). Stands in for real detectors so tests control the rates."""

    name = "markers"
    version = "1"

    def detect(self, message: Message, ctx: Context) -> Iterable[Finding]:
        text = message.text
        if "LEAK" in text:
            yield Finding("markers", Category.LEAKAGE, "leakage.cross_customer", Severity.CRITICAL, None, 1.0,
                          "value owned by another customer")
        if "HALLU" in text:
            yield Finding("markers", Category.HALLUCINATION, "hallucination.unsupported_amount",
                          Severity.MEDIUM, None, 1.0, "amount not in sources")
        if "PIIBLOCK" in text:
            yield Finding("markers", Category.PII, "pii.national_id", Severity.HIGH, None, 1.0, "id")


register("markers", lambda **_: MarkerDetector())

POLICY: dict[str, Any] = {
    "name": "monitor-test",
    "detectors": {"markers": {"enabled": True}},
    "actions": [{"type": "hallucination.*", "action": "allow"}],
    "severity_actions": {"info": "allow", "low": "allow", "medium": "allow", "high": "block",
                         "critical": "block"},
    "fallbacks": {"default": {"en": "A colleague will follow up shortly."}},
}


class RecordingAudit:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any]]] = []

    def append_operator_event(self, tenant: str, kind: str, payload: dict[str, Any]) -> None:
        self.events.append((tenant, kind, payload))

    def kinds(self) -> list[str]:
        return [k for _, k, _ in self.events]
