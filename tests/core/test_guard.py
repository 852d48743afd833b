from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterable
from typing import Any

import pytest

import guardline
from guardline import Action, Guard, InvalidInput
from guardline.detectors.base import BaseDetector, Context
from guardline.detectors.registry import register
from guardline.errors import StoreError
from guardline.types import AuditRef, Category, Finding, Message, Severity, Verdict


class WordDetector(BaseDetector):
    """Flags every occurrence of a word (in the normalised text)."""

    name = "word"
    version = "1.0"
    category = Category.BRAND

    def __init__(self, *, word: str = "secret", severity: str = "high") -> None:
        self.word = word
        self.severity = Severity(severity)

    def detect(self, message: Message, ctx: Context) -> Iterable[Finding]:
        start = 0
        while (i := ctx.text.find(self.word, start)) >= 0:
            yield self.finding(ctx, "brand.word", self.severity, i, i + len(self.word), evidence="the word")
            start = i + 1


class Boom(BaseDetector):
    name = "boom"
    version = "0.1"

    def __init__(self, **_: Any) -> None:
        pass

    def detect(self, message: Message, ctx: Context) -> Iterable[Finding]:
        raise RuntimeError("kaput " + message.text)  # must not leak into evidence


class Slow(BaseDetector):
    name = "slow"

    def __init__(self, *, cooperative: bool = True) -> None:
        self.cooperative = cooperative

    def detect(self, message: Message, ctx: Context) -> Iterable[Finding]:
        end = time.perf_counter() + 0.05
        while time.perf_counter() < end:
            if self.cooperative:
                ctx.check_deadline()
        return []


register("word", WordDetector)
register("boom", Boom)
register("slow", Slow)


def policy(**detectors: dict[str, Any]) -> dict[str, Any]:
    return {"name": "t", "detectors": detectors}


def test_public_api_matches_all() -> None:
    exported = {n for n in dir(guardline) if not n.startswith("_")}
    assert set(guardline.__all__) - {"__version__"} <= exported
    for name in guardline.__all__:
        assert getattr(guardline, name) is not None


def test_spans_refer_to_original_text() -> None:
    g = Guard(policy(word={"word": "secret"}))
    text = "a ｓｅｃｒｅｔ and a se\u200bcret"
    v = g.check({"direction": "outbound", "text": text})
    spans = [f.span for f in v.findings]
    assert [text[s:e] for s, e in spans] == ["ｓｅｃｒｅｔ", "se\u200bcret"]  # type: ignore[misc]
    assert v.action is Action.BLOCK
    assert v.policy.startswith("t@") and len(v.policy_hash) == 64
    assert v.detectors == {"word": "1.0"}


def test_detector_crash_is_a_system_finding_without_the_text() -> None:
    g = Guard(policy(boom={}))
    v = g.check({"direction": "outbound", "text": "my card 4111"})
    (f,) = v.findings
    assert f.type == "system.detector_error" and f.category is Category.SYSTEM
    assert "4111" not in f.evidence and "RuntimeError" in f.evidence
    assert v.action is Action.ESCALATE               # outbound fails closed by default
    assert g.check({"direction": "inbound", "text": "x"}).action is Action.ALLOW  # inbound open


def test_overrun_is_reported_cooperative_or_not() -> None:
    for coop in (True, False):
        g = Guard(policy(slow={"budget_ms": 5, "cooperative": coop}))
        v = g.check({"direction": "outbound", "text": "x"})
        assert [f.type for f in v.findings] == ["system.detector_error"]
        assert "budget" in v.findings[0].evidence


def test_fail_open_policy() -> None:
    g = Guard({"detectors": {"boom": {}}, "fail_mode": {"outbound": "open"}})
    assert g.check({"direction": "outbound", "text": "x"}).action is Action.ALLOW


def test_directions_filter_detectors() -> None:
    g = Guard(policy(word={"directions": ["inbound"]}))
    assert g.check({"direction": "outbound", "text": "secret"}).findings == ()
    assert g.check({"direction": "inbound", "text": "secret"}).findings


def test_bad_settings_name_the_detector() -> None:
    with pytest.raises(guardline.PolicyError, match=r"detectors\.word"):
        Guard(policy(word={"colour": "red"}))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"text": "x"}, "direction"),
        ({"direction": "outbound", "text": ""}, "text"),
        ({"direction": "outbound", "text": "   "}, "text"),
        ({"direction": "outbound", "text": "x", "channel": "pigeon"}, "channel"),
        ({"direction": "outbound", "text": "x" * (1 << 20)}, "text"),
        ({"direction": "outbound", "text": 5}, "text"),
        ({"direction": "outbound", "text": "x", "grounding": [{"kind": "wiki", "text": "a"}]}, "grounding[0].kind"),
        ({"direction": "outbound", "text": "x", "colour": "red"}, "colour"),
        ({"direction": "outbound", "text": "x", "tenant": "a b"}, "tenant"),
    ],
)
def test_bad_messages_name_the_field(data: dict[str, Any], field: str) -> None:
    g = Guard(policy())
    with pytest.raises(InvalidInput) as exc:
        g.check(data)
    assert exc.value.field == field


def test_check_is_thread_safe_and_async() -> None:
    g = Guard(policy(word={}))
    results: list[Verdict] = []
    lock = threading.Lock()

    def work() -> None:
        for i in range(50):
            v = g.check({"direction": "outbound", "text": f"{i} secret"})
            with lock:
                results.append(v)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 400 and all(v.action is Action.BLOCK for v in results)
    v = asyncio.run(g.acheck({"direction": "outbound", "text": "fine"}))
    assert v.action is Action.ALLOW


class FailingAudit:
    def append(self, message: Message, verdict: Verdict) -> AuditRef:
        raise StoreError("database unreachable")

    def close(self) -> None:
        pass


class RecordingAudit:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def append(self, message: Message, verdict: Verdict) -> AuditRef:
        self.seen.append((message.id, str(verdict.action)))
        return AuditRef(len(self.seen), "ab" * 32)

    def close(self) -> None:
        pass


def test_audit_reference_goes_on_the_verdict() -> None:
    audit = RecordingAudit()
    g = Guard(policy(), audit=audit)
    v = g.check({"id": "m1", "direction": "outbound", "text": "ok"})
    assert v.audit == AuditRef(1, "ab" * 32) and audit.seen == [("m1", "allow")]


def test_audit_down_is_a_system_finding_not_a_silent_loss() -> None:
    g = Guard(policy(), audit=FailingAudit())
    v = g.check({"direction": "outbound", "text": "ok"})
    assert [f.type for f in v.findings] == ["system.audit_unavailable"]
    assert v.action is Action.ESCALATE and v.audit is None


def test_verdict_json_shape() -> None:
    v = Guard(policy(word={})).check({"direction": "outbound", "text": "a secret"})
    d = v.to_dict()
    assert {"action", "text", "findings", "policy", "latency_ms"}.issubset(d.keys())
    assert set(d["findings"][0]) == {"detector", "category", "type", "severity", "span", "score", "evidence"}


def test_dict_policies_keep_detector_order_and_pii_runs_first() -> None:
    g = Guard({"detectors": {"word": {}, "boom": {}, "pii": {}}})
    assert list(g.detector_versions) == ["pii", "word", "boom"]
