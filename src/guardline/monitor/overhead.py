"""How much monitoring adds to a check: ``python -m guardline.monitor.overhead`` (or, once
registered, ``guardline bench monitor``).

Two Guards on the same policy and state store, one bare and one with the monitor sink and the
rollout interceptor (breaker + canary); the same replies go through both, alternating, so machine
noise hits both alike. Reports p50/p99 of each and of the time spent in the monitoring hooks
themselves (timed around ``intercept`` and ``handle``).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from typing import Any

from ..guard import Guard
from ..policy import Policy, load_policy
from ..state.base import StateStore
from ..state.memory import MemoryStore
from ..types import Agent, Channel, Direction, Message, Verdict
from .setup import build_monitoring

_TEXTS = ["Thanks, I have updated your shipping address.", "Your order 4417-2291 ships tomorrow.",
          "Could you confirm the e-mail on the account?", "I have refunded the duplicate charge.",
          "Promo codes expire 7 days after they are issued.", "Is there anything else I can help with?"]


class _Timed:
    """Times a hook by wall clock (``sink``) and by this thread's CPU time (``cpu``: immune to the
    scheduler preempting the process on a busy machine)."""

    def __init__(self, inner: Any, sink: list[float], cpu: list[float]) -> None:
        self.inner = inner
        self.sink = sink
        self.cpu = cpu

    def intercept(self, message: Message, verdict: Verdict, policy: Policy) -> Verdict:
        t, c = time.perf_counter(), time.thread_time()
        out: Verdict = self.inner.intercept(message, verdict, policy)
        self.sink.append(time.perf_counter() - t)
        self.cpu.append(time.thread_time() - c)
        return out

    def handle(self, message: Message, verdict: Verdict) -> None:
        t, c = time.perf_counter(), time.thread_time()
        self.inner.handle(message, verdict)
        self.sink[-1] += time.perf_counter() - t
        self.cpu[-1] += time.thread_time() - c


def _pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))] * 1000


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checks", type=int, default=20_000, help="replies per arm (default 20000)")
    p.add_argument("--state", default="memory://", help="state store URL (memory://, sqlite:///..., redis://...)")
    p.add_argument("--json", action="store_true")


def measure(checks: int, state: StateStore) -> dict[str, Any]:
    policy = load_policy({"extends": "default", "detectors": {"pii": {}}, "alerts": [
        {"name": "crit", "kind": "threshold", "metric": "severity:critical", "above": 0.0, "min_messages": 1,
         "trip": True},
        {"name": "hallu", "kind": "cusum", "metric": "category:hallucination", "p0": 0.02, "p1": 0.1, "arl0": 1e6}]})
    setup = build_monitoring(policy, state, notifiers=[])
    hooks: list[float] = []
    cpu: list[float] = []
    timed = _Timed(setup.interceptor, hooks, cpu)
    timed_sink = _Timed(setup.sink, hooks, cpu)
    bare = Guard(policy, state=state)
    monitored = Guard(policy, state=state, sinks=[timed_sink], interceptors=[timed])
    setup.monitor.start()  # rule evaluation in its background thread, as in the server
    rng = random.Random(5)
    bare_ms: list[float] = []
    mon_ms: list[float] = []
    try:
        for i in range(checks * 2 + 200):
            msg = Message(direction=Direction.OUTBOUND, text=rng.choice(_TEXTS), tenant="bench",
                          conversation_id=f"c{i % 500}", channel=Channel.SMS,
                          agent=Agent(name="bot", version="1.5"))
            guard, out = (bare, bare_ms) if i % 2 == 0 else (monitored, mon_ms)
            t = time.perf_counter()
            guard.check(msg)
            if i >= 200:  # warm-up
                out.append(time.perf_counter() - t)
    finally:
        setup.close()
    hooks, cpu = hooks[100:], cpu[100:]
    return {"checks_per_arm": len(bare_ms),
            "bare_ms": {"p50": round(_pct(bare_ms, 0.5), 4), "p99": round(_pct(bare_ms, 0.99), 4)},
            "monitored_ms": {"p50": round(_pct(mon_ms, 0.5), 4), "p99": round(_pct(mon_ms, 0.99), 4)},
            "added_p99_ms": round(_pct(mon_ms, 0.99) - _pct(bare_ms, 0.99), 4),
            "hooks_ms": {"p50": round(_pct(hooks, 0.5), 4), "p99": round(_pct(hooks, 0.99), 4),
                         "mean": round(statistics.fmean(hooks) * 1000, 4)},
            "hooks_cpu_ms": {"p50": round(_pct(cpu, 0.5), 4), "p99": round(_pct(cpu, 0.99), 4),
                             "p999": round(_pct(cpu, 0.999), 4)}}


def run(args: argparse.Namespace) -> int:
    from ..state import open_state

    state = open_state(args.state) if args.state != "memory://" else MemoryStore()
    try:
        result = measure(args.checks, state)
    finally:
        state.close()
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['checks_per_arm']} checks per arm, state {args.state}")
        for k in ("bare_ms", "monitored_ms", "hooks_ms", "hooks_cpu_ms"):
            print(f"  {k:13s} p50 {result[k]['p50']:.4f} ms   p99 {result[k]['p99']:.4f} ms")
        print(f"  added to p99: {result['added_p99_ms']:.4f} ms")
    return 0


if __name__ == "__main__":  # pragma: no cover
    parser = argparse.ArgumentParser(description=__doc__)
    add_arguments(parser)
    raise SystemExit(run(parser.parse_args()))
