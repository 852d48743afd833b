"""Rolling windows and alert rules against a real in-process store, with a settable clock."""

from __future__ import annotations

import random

import pytest
from mon_helpers import Clock

from guardline.monitor.config import parse_monitoring
from guardline.monitor.rules import evaluate_rule, wilson_upper
from guardline.monitor.stats import arl, design
from guardline.monitor.windows import Series, Windows, metric_names
from guardline.state.memory import MemoryStore
from guardline.types import Action, Agent, Category, Channel, Direction, Finding, Message, Severity, Verdict


def msg(version: str = "1.5", direction: Direction = Direction.OUTBOUND, channel: Channel = Channel.SMS) -> Message:
    return Message(direction=direction, text="hi", channel=channel, agent=Agent(name="bot", version=version),
                   tenant="t1", conversation_id="c1")


def verdict(action: Action = Action.ALLOW, *findings: Finding) -> Verdict:
    return Verdict(action=action, text="hi", findings=tuple(findings), policy="p", policy_hash="h")


HALLU = Finding("g", Category.HALLUCINATION, "hallucination.unsupported_amount", Severity.MEDIUM)
PII = Finding("p", Category.PII, "pii.email", Severity.HIGH, (0, 1))
LEAK = Finding("l", Category.LEAKAGE, "leakage.cross_customer", Severity.CRITICAL)
INFO = Finding("p", Category.PII, "pii.email", Severity.INFO, (0, 1))


def test_metric_names() -> None:
    assert metric_names(msg(), verdict()) == ["n", "action:allow"]
    assert metric_names(msg(), verdict(Action.BLOCK, PII, LEAK, INFO)) == [
        "n", "action:block", "category:leakage", "category:pii", "blocked:leakage", "blocked:pii",
        "severity:critical"]
    assert metric_names(msg(direction=Direction.INBOUND), verdict(Action.ALLOW, HALLU)) == [
        "in.n", "in.action:allow", "in.category:hallucination"]
    # info findings are not counted (company contact data in the KB is not a problem)
    assert metric_names(msg(), verdict(Action.ALLOW, INFO)) == ["n", "action:allow"]


def test_windows_sum_buckets_per_series_and_expire(clock: Clock) -> None:
    store = MemoryStore(clock=clock)
    w = Windows(store, bucket_s=10, retention_s=60, clock=clock)
    for i in range(30):
        w.record(msg(), verdict(Action.BLOCK, LEAK) if i % 10 == 0 else verdict())
        w.record(msg(version="1.4", channel=Channel.WEBCHAT), verdict())
        clock.advance(1)
    s15 = Series("bot", "1.5", "sms")
    assert w.series("t1") == [Series("bot", "1.4", "webchat"), s15]
    t = w.window("t1", [s15], ["n", "category:leakage", "action:block"], 30)
    assert t == {"n": 30, "category:leakage": 3, "action:block": 3}
    assert w.window("t1", [s15], ["n"], 10)["n"] == 10  # the empty current bucket and the last full one
    summary = w.summary("t1", s15, 60)
    assert summary["outbound"] == {"messages": 30, "actions": {"allow": 27, "block": 3},
                                   "rates": {"leakage": 0.1}, "critical": 3}
    clock.advance(120)  # past retention: counters expire in the store
    assert w.window("t1", [s15], ["n"], 60)["n"] == 0


def _rule(**kw: object) -> object:
    return parse_monitoring({"monitor": {"bucket_s": 10}, "alerts": [kw]}).alerts[0]


def test_threshold_rule(clock: Clock) -> None:
    store = MemoryStore(clock=clock)
    w = Windows(store, bucket_s=10, clock=clock)
    rule = _rule(name="leak", kind="threshold", metric="category:leakage", window_s=60, above=0.05,
                 min_messages=20)
    s = [Series("bot", "1.5", "sms")]
    for _ in range(10):
        w.record(msg(), verdict(Action.BLOCK, LEAK))
    sig = evaluate_rule(w, store, "t1", "x", s, rule, clock())  # type: ignore[arg-type]
    assert sig is not None and not sig.firing  # 100% but only 10 replies: below min_messages
    for _ in range(90):
        w.record(msg(), verdict())
    sig = evaluate_rule(w, store, "t1", "x", s, rule, clock())  # type: ignore[arg-type]
    assert sig is not None and sig.firing and sig.value == pytest.approx(0.1)
    clock.advance(120)
    sig = evaluate_rule(w, store, "t1", "x", s, rule, clock())  # type: ignore[arg-type]
    assert sig is not None and not sig.firing


def test_burn_rate_needs_both_windows(clock: Clock) -> None:
    store = MemoryStore(clock=clock)
    w = Windows(store, bucket_s=10, clock=clock)
    rule = _rule(name="slo", kind="burn_rate", metric="blocked:pii", objective=0.01,
                 windows=[[600, 60, 5]])
    s = [Series("bot", "1.5", "sms")]
    # 10 minutes at 10% blocked: both windows burn 10x
    for i in range(600):
        w.record(msg(), verdict(Action.BLOCK, PII) if i % 10 == 0 else verdict())
        clock.advance(1)
    sig = evaluate_rule(w, store, "t1", "x", s, rule, clock())  # type: ignore[arg-type]
    assert sig is not None and sig.firing and sig.value > 5
    # then a clean minute: the long window still burns, the short one does not -> resolved
    for _ in range(70):
        w.record(msg(), verdict())
        clock.advance(1)
    sig = evaluate_rule(w, store, "t1", "x", s, rule, clock())  # type: ignore[arg-type]
    assert sig is not None and not sig.firing


def test_cusum_detects_a_shift_and_resolves(clock: Clock) -> None:
    store = MemoryStore(clock=clock)
    w = Windows(store, bucket_s=10, clock=clock)
    rule = _rule(name="hallu", kind="cusum", metric="category:hallucination", p0=0.02, p1=0.10, arl0=1e5)
    s = [Series("bot", "1.5", "sms")]
    rng = random.Random(3)

    def run(p: float, n: int) -> int | None:
        for i in range(n):
            w.record(msg(), verdict(Action.ALLOW, HALLU) if rng.random() < p else verdict())
            clock.advance(1)
            sig = evaluate_rule(w, store, "t1", "x", s, rule, clock())  # type: ignore[arg-type]
            if sig is not None and sig.firing:
                return i
        return None

    assert run(0.02, 3000) is None  # in control: no alarm
    delay = run(0.10, 2000)
    assert delay is not None and delay < 600
    # back to baseline: the reverse chart resolves it
    for _ in range(3000):
        w.record(msg(), verdict(Action.ALLOW, HALLU) if rng.random() < 0.02 else verdict())
        clock.advance(1)
        sig = evaluate_rule(w, store, "t1", "x", s, rule, clock())  # type: ignore[arg-type]
        if sig is not None and not sig.firing:
            break
    else:
        pytest.fail("never resolved")


def test_cusum_learns_its_own_baseline(clock: Clock) -> None:
    store = MemoryStore(clock=clock)
    w = Windows(store, bucket_s=10, clock=clock)
    rule = _rule(name="hallu", kind="cusum", metric="category:hallucination", ratio=4, h=60,
                 learn_messages=500)
    s = [Series("bot", "1.5", "sms")]
    for i in range(520):
        w.record(msg(), verdict(Action.ALLOW, HALLU) if i % 50 == 0 else verdict())
        clock.advance(1)
        evaluate_rule(w, store, "t1", "x", s, rule, clock())  # type: ignore[arg-type]
    import json
    state = json.loads(store.get("t1", "cusum", "hallu\x1fx") or "{}")
    assert state["p0"] == pytest.approx(wilson_upper(10, 510), rel=0.2)
    assert 0.02 < state["p0"] < 0.04


def test_arl_matches_simulation() -> None:
    rng = random.Random(11)
    up, h = 19, 40
    runs = []
    for _ in range(3000):
        s = n = 0
        while s < h:
            n += 1
            s = s + up if rng.random() < 0.02 else max(0, s - 1)
        runs.append(n)
    simulated = sum(runs) / len(runs)
    assert arl(0.02, up, h) == pytest.approx(simulated, rel=0.08)


def test_design_meets_the_false_alarm_target() -> None:
    d = design(0.02, 0.10, 1e6)
    assert d.arl(0.02) >= 1e6
    assert arl(0.02, d.up, d.h - 1) < 1e6  # the smallest such threshold
    assert d.arl(0.10) < 300  # mean delay after a shift to 10%
