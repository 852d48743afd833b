"""The rollout interceptor through a real Guard: one state read per reply in the common case (no
canary transition, breaker closed), and the same transitions, writes and audit events as before."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from guardline import Guard
from guardline.detectors.base import Context
from guardline.detectors.registry import register
from guardline.policy import load_policy
from guardline.rollout.breaker import BreakerConfig, BreakerMode
from guardline.rollout.canary import CanaryConfig, CanaryStatus
from guardline.rollout.interceptor import RolloutInterceptor
from guardline.rollout.store import RolloutStore
from guardline.state.memory import MemoryStore
from guardline.types import Action, Category, Finding, Message, Severity

_ROLLOUT_NS = {"breaker", "canary", "stable", "canary-n", "lock", "rollout"}
FALLBACK = "A colleague will follow up shortly."


class _Markers:
    """LEAK: a critical leakage finding; HALLU: a medium hallucination finding."""

    name = "rollout-markers"
    version = "1"

    def detect(self, message: Message, ctx: Context) -> Iterable[Finding]:
        if "LEAK" in message.text:
            yield Finding(self.name, Category.LEAKAGE, "leakage.cross_customer", Severity.CRITICAL, None,
                          1.0, "value owned by another customer")
        if "HALLU" in message.text:
            yield Finding(self.name, Category.HALLUCINATION, "hallucination.unsupported_amount",
                          Severity.MEDIUM, None, 1.0, "amount not in sources")


register("rollout-markers", lambda **_: _Markers())

POLICY: dict[str, Any] = {
    "name": "rollout-interceptor-test",
    "detectors": {"rollout-markers": {"enabled": True}},
    "actions": [{"type": "hallucination.*", "action": "allow"}],
    "severity_actions": {"info": "allow", "low": "allow", "medium": "allow", "high": "block",
                         "critical": "block"},
    "fallbacks": {"default": {"en": FALLBACK}},
}


class CountingStore(MemoryStore):
    """Records each call on a rollout namespace as one round trip: ("get", ns), ("get_many", ns...),
    ("write", ns)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, ...]] = []
        self._batched = False

    def get(self, tenant: str, namespace: str, key: str) -> str | None:
        if not self._batched and namespace in _ROLLOUT_NS:
            self.calls.append(("get", namespace))
        return super().get(tenant, namespace, key)

    def get_many(self, tenant: str, items: Sequence[tuple[str, str]]) -> list[str | None]:
        self.calls.append(("get_many", *(ns for ns, _ in items)))
        self._batched = True
        try:
            return super().get_many(tenant, items)
        finally:
            self._batched = False

    def set(self, tenant: str, namespace: str, key: str, value: str, *, ttl_s: float | None = None) -> None:
        if namespace in _ROLLOUT_NS:
            self.calls.append(("write", namespace))
        super().set(tenant, namespace, key, value, ttl_s=ttl_s)

    def incr(self, tenant: str, namespace: str, key: str, amount: int = 1, *,
             ttl_s: float | None = None) -> int:
        if namespace in _ROLLOUT_NS:
            self.calls.append(("write", namespace))
        return super().incr(tenant, namespace, key, amount, ttl_s=ttl_s)


class Audit:
    def __init__(self) -> None:
        self.kinds: list[str] = []

    def append_operator_event(self, tenant: str, kind: str, payload: dict[str, Any]) -> None:
        self.kinds.append(kind)


def reply(text: str, version: str = "1.5", conv: str = "c1") -> dict[str, Any]:
    return {"direction": "outbound", "text": text, "tenant": "t1", "conversation_id": conv,
            "customer_id": "cust-" + conv, "channel": "sms", "agent": {"name": "bot", "version": version}}


def make(canary: CanaryConfig | None = None) -> tuple[Guard, RolloutStore, CountingStore, Audit]:
    store, audit = CountingStore(), Audit()
    rollout = RolloutStore(store, breaker=BreakerConfig(), canary=canary, audit=audit)
    guard = Guard(load_policy(POLICY), state=store, interceptors=[RolloutInterceptor(rollout)])
    return guard, rollout, store, audit


def test_a_clean_reply_costs_one_read_and_no_write() -> None:
    guard, _, store, _ = make()
    for i in range(5):
        store.calls.clear()
        v = guard.check(reply("hello", conv=f"c{i}"))
        assert v.action is Action.ALLOW
        assert store.calls == [("get_many", "canary", "breaker")]


def test_a_reply_under_a_running_canary_reads_once_then_counts() -> None:
    guard, rollout, store, _ = make(CanaryConfig(promote_after=1000))
    rollout.start_canary("t1", "bot", "1.4", "1.5", 0.5)
    store.calls.clear()
    guard.check(reply("hello", version="1.4"))
    assert store.calls == [("get_many", "canary", "breaker"), ("write", "canary-n")]


def test_breaker_still_opens_on_the_third_critical_finding() -> None:
    guard, rollout, store, audit = make()
    rollout.set_stable("t1", "bot", "1.4")
    verdicts = [guard.check(reply("LEAK" if i < 3 else "hello", conv=f"c{i}")) for i in range(5)]
    assert rollout.breaker("t1", "bot", "1.5").mode is BreakerMode.OPEN
    assert "system.breaker_open" not in {f.type for f in verdicts[1].findings}
    assert "system.breaker_open" in {f.type for f in verdicts[2].findings}
    assert verdicts[4].action is Action.ESCALATE and verdicts[4].text == FALLBACK and verdicts[4].route == "1.4"
    assert audit.kinds.count("breaker.open") == 1
    store.calls.clear()
    guard.check(reply("hello", conv="later"))  # open breaker, nothing changes: no breaker write
    assert ("write", "breaker") not in store.calls


def test_a_rollback_kills_the_candidate_for_the_very_reply_that_caused_it() -> None:
    # the canary record and the breaker are read together BEFORE the canary test runs; when the test
    # rolls the candidate back (and kills its breaker), the breaker must be read again for this reply
    guard, rollout, store, audit = make(CanaryConfig(promote_after=5000, alpha=0.001, ratio=2.0))
    canary = rollout.start_canary("t1", "bot", "1.4", "1.5", 0.1)
    sep = "\x1f"
    for version, n, bad in (("1.4", 900, 18), ("1.5", 99, 14)):
        store.incr("t1", "canary-n", canary.epoch + sep + version, n)
        store.incr("t1", "canary-n", canary.epoch + sep + version + sep + "hallucination", bad)
    v = guard.check(reply("HALLU", version="1.5"))
    state = rollout.canary("t1", "bot")
    assert state is not None and state.status is CanaryStatus.ROLLED_BACK
    assert rollout.breaker("t1", "bot", "1.5").mode is BreakerMode.KILLED
    assert "system.breaker_open" in {f.type for f in v.findings}
    assert v.text == FALLBACK and v.route == "1.4"
    assert audit.kinds[-2:] == ["canary.rolled_back", "breaker.killed"]
