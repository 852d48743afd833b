"""Monitor sink + rollout interceptor wired into a real Guard (in-process and Redis state)."""

from __future__ import annotations

import uuid
from typing import Any

from mon_helpers import POLICY, Clock, RecordingAudit

from guardline import Guard
from guardline.monitor.setup import build_monitoring
from guardline.policy import load_policy
from guardline.rollout.breaker import BreakerMode
from guardline.rollout.canary import CanaryStatus
from guardline.state.base import StateStore
from guardline.state.memory import MemoryStore
from guardline.types import Action, Verdict


def reply(text: str, version: str = "1.5", conv: str = "c1", tenant: str = "t1") -> dict[str, Any]:
    return {"direction": "outbound", "text": text, "tenant": tenant, "conversation_id": conv,
            "customer_id": "cust-" + conv, "channel": "sms", "agent": {"name": "bot", "version": version}}


def make(state: StateStore, clock: Clock, policy: dict[str, Any] | None = None,
         audit: RecordingAudit | None = None) -> tuple[Guard, Any]:
    pol = load_policy(policy or POLICY)
    setup = build_monitoring(pol, state, audit=audit, notifiers=[], clock=clock, inline=True)
    guard = Guard(pol, state=state, sinks=setup.sinks, interceptors=setup.interceptors)
    return guard, setup


def test_breaker_opens_on_the_third_critical_finding(clock: Clock) -> None:
    audit = RecordingAudit()
    guard, setup = make(MemoryStore(clock=clock), clock, audit=audit)
    setup.rollout.set_stable("t1", "bot", "1.4")
    verdicts: list[Verdict] = []
    for i in range(6):
        verdicts.append(guard.check(reply("hello LEAK" if i in (0, 2, 3) else "hello", conv=f"c{i}")))
        clock.advance(1)
    # the leaks themselves are blocked by the policy; the breaker opens on the third
    assert [v.action for v in verdicts[:4]] == [Action.BLOCK, Action.ALLOW, Action.BLOCK, Action.BLOCK]
    assert setup.rollout.breaker("t1", "bot", "1.5").mode is BreakerMode.OPEN
    assert "system.breaker_open" in {f.type for f in verdicts[3].findings}
    assert verdicts[3].route == "1.4"
    # every later reply of 1.5, even a clean one, gets the fallback and is routed to 1.4
    for v in verdicts[4:]:
        assert v.action is Action.ESCALATE and v.text == "A colleague will follow up shortly."
        assert v.route == "1.4"
    # the stable version is untouched
    assert guard.check(reply("hello", version="1.4")).action is Action.ALLOW
    assert "breaker.open" in audit.kinds()


def test_half_open_then_closed_after_clean_probes(clock: Clock) -> None:
    policy = {**POLICY, "breaker": {"critical_findings": 1, "cooldown_s": 60, "probe_share": 1.0,
                                    "probe_messages": 3}}
    guard, setup = make(MemoryStore(clock=clock), clock, policy)
    guard.check(reply("LEAK"))
    assert guard.check(reply("fine")).action is Action.ESCALATE
    clock.advance(61)
    assert [guard.check(reply("fine")).action for _ in range(3)] == [Action.ALLOW] * 3
    assert setup.rollout.breaker("t1", "bot", "1.5").mode is BreakerMode.CLOSED


def test_kill_and_unkill(clock: Clock) -> None:
    audit = RecordingAudit()
    guard, setup = make(MemoryStore(clock=clock), clock, audit=audit)
    setup.rollout.kill("t1", "bot", "1.5", actor="alice")
    v = guard.check(reply("fine"))
    assert v.action is Action.ESCALATE and any(f.type == "system.breaker_open" for f in v.findings)
    setup.rollout.unkill("t1", "bot", "1.5", actor="alice")
    assert guard.check(reply("fine")).action is Action.ALLOW
    assert audit.kinds() == ["breaker.killed", "breaker.closed"]
    assert audit.events[0][2]["actor"] == "alice"


def test_alert_with_trip_opens_the_breaker(clock: Clock) -> None:
    policy = {**POLICY, "monitor": {"bucket_s": 10, "evaluate_s": 10},
              "alerts": [{"name": "hallu-rate", "kind": "threshold", "metric": "category:hallucination",
                          "window_s": 60, "above": 0.2, "min_messages": 20, "severity": "high",
                          "trip": True}]}
    audit = RecordingAudit()
    guard, setup = make(MemoryStore(clock=clock), clock, policy, audit)
    for i in range(60):
        guard.check(reply("HALLU" if i % 2 else "fine", conv=f"c{i}"))
        clock.advance(1)
    fired = [a for a in setup.monitor.fired if a.resolved is None]
    assert fired and fired[0].rule == "hallu-rate" and fired[0].trip
    assert setup.rollout.breaker("t1", "bot", "1.5").mode is BreakerMode.OPEN
    assert "alert.fired" in audit.kinds() and "breaker.open" in audit.kinds()
    snap = setup.monitor.snapshot("t1")
    assert snap["alerts"]["active"][0]["rule"] == "hallu-rate"
    assert snap["series"][0]["windows"]["300s"]["outbound"]["rates"]["hallucination"] > 0.2
    # the hallucinated replies themselves were allowed by this policy; the breaker's replacements escalate
    assert snap["series"][0]["windows"]["300s"]["outbound"]["actions"]["escalate"] >= 1


def test_canary_rolls_back_a_worse_candidate(clock: Clock) -> None:
    policy = {**POLICY, "canary": {"alpha": 0.001, "ratio": 2.0, "promote_after": 5000}}
    audit = RecordingAudit()
    guard, setup = make(MemoryStore(clock=clock), clock, policy, audit)
    setup.rollout.start_canary("t1", "bot", "1.4", "1.5", 0.2)
    n = 0
    for i in range(4000):
        conv = f"conv-{i}"
        version = setup.rollout.route("t1", "bot", conv)
        assert version is not None
        bad = (i % 3 == 0) if version == "1.5" else (i % 50 == 0)  # ~33% vs 2%
        guard.check(reply("HALLU" if bad else "fine", version=version, conv=conv))
        n += 1
        if setup.rollout.canary("t1", "bot").status is not CanaryStatus.RUNNING:  # type: ignore[union-attr]
            break
    state = setup.rollout.canary("t1", "bot")
    assert state is not None and state.status is CanaryStatus.ROLLED_BACK and "hallucination" in state.reason
    assert n < 1000
    # candidate conversations are routed to stable now; the candidate's breaker is killed
    assert {setup.rollout.route("t1", "bot", f"conv-{i}") for i in range(50)} == {"1.4"}
    assert setup.rollout.breaker("t1", "bot", "1.5").mode is BreakerMode.KILLED
    assert "canary.rolled_back" in audit.kinds()


def test_canary_promotes_an_equal_candidate(clock: Clock) -> None:
    policy = {**POLICY, "canary": {"promote_after": 100}}
    guard, setup = make(MemoryStore(clock=clock), clock, policy)
    setup.rollout.start_canary("t1", "bot", "1.4", "1.5", 0.5)
    for i in range(400):
        conv = f"conv-{i}"
        version = setup.rollout.route("t1", "bot", conv) or "1.4"
        guard.check(reply("HALLU" if i % 40 == 0 else "fine", version=version, conv=conv))
    state = setup.rollout.canary("t1", "bot")
    assert state is not None and state.status is CanaryStatus.PROMOTED
    assert setup.rollout.stable("t1", "bot") == "1.5"
    assert setup.rollout.route("t1", "bot", "anyone") == "1.5"


def test_two_replicas_share_breakers_through_redis(redis_url: str) -> None:
    from guardline.state.redis import RedisStore

    prefix = "gltest" + uuid.uuid4().hex[:8]
    a_store, b_store = RedisStore(redis_url, prefix=prefix), RedisStore(redis_url, prefix=prefix)
    clock = Clock()
    try:
        guard_a, setup_a = make(a_store, clock)
        guard_b, setup_b = make(b_store, clock)
        setup_a.rollout.set_stable("t1", "bot", "1.4")
        # criticals split over both replicas still add up to three
        guard_a.check(reply("LEAK", conv="x1"))
        guard_b.check(reply("LEAK", conv="x2"))
        assert guard_a.check(reply("fine", conv="x3")).action is Action.ALLOW
        guard_b.check(reply("LEAK", conv="x4"))
        v = guard_a.check(reply("fine", conv="x5"))
        assert v.action is Action.ESCALATE and v.route == "1.4"
        # a kill on one replica is seen by the other at once
        setup_b.rollout.kill("t1", "bot", "2.0")
        assert guard_a.check(reply("fine", version="2.0")).action is Action.ESCALATE
        setup_a.rollout.unkill("t1", "bot", "2.0")
        assert guard_b.check(reply("fine", version="2.0")).action is Action.ALLOW
    finally:
        for key in a_store._r.scan_iter(match=f"{prefix}:*"):
            a_store._r.delete(key)
        a_store.close()
        b_store.close()


def test_store_failure_is_a_system_finding(clock: Clock) -> None:
    from guardline.errors import StoreError

    class Broken(MemoryStore):
        def get(self, tenant: str, namespace: str, key: str) -> str | None:
            if namespace in ("breaker", "canary"):
                raise StoreError("down")
            return super().get(tenant, namespace, key)

    guard, _ = make(Broken(clock=clock), clock)
    v = guard.check(reply("fine"))
    assert any(f.type == "system.breaker_unavailable" for f in v.findings)
    assert v.action is Action.ESCALATE  # fail-closed outbound
