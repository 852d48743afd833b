"""Whole-pipeline latency: the default policy's detectors on 300-character messages, one core.

Prints p50/p99 per message and messages/second for ``Guard.check`` (validation, normalisation, every
enabled detector, the policy decision; no audit), for a set of realistic agent replies and customer
messages with and without PII. No data directory is needed; ``--policy`` picks another policy.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from typing import Any

TEMPLATES = [
    ("outbound", "Hi {name}, thanks for reaching out! I can see your order #A-10423 shipped yesterday with "
                 "PostNL and should arrive within 2-3 business days. If you need anything else, reply here "
                 "or call us on +46 8 123 456 78 between 9 and 17. Have a great day and thanks for shopping "
                 "with us."),
    ("outbound", "Thanks for your patience. I've updated the delivery address on your account and sent a "
                 "confirmation to {email}. Your refund of 49.90 EUR will be back on the card ending 1111 within "
                 "5 business days. Is there anything else I can help you with today, {name}? Kind regards."),
    ("inbound", "Hello, my name is {name} and I ordered a pair of shoes last week but they never arrived. My "
                "phone is 073-555 12 34 and my email is {email}. Could you please check what happened and "
                "send me a replacement or a refund? The order number should be 55-2231-8891. Thanks a lot!"),
    ("outbound", "Of course! Our stores are open Monday to Friday from 10:00 to 19:00 and Saturday from 10:00 "
                 "to 16:00. You can return unused items within 30 days of delivery with the receipt, free of "
                 "charge. Anything else I can help with? We're always happy to help you out with your order."),
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--policy", help="policy file (default: built-in default)")
    p.add_argument("--runs", type=int, default=5000, help="checks per message template (default 5000)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")


def messages() -> list[dict[str, Any]]:
    out = []
    for i, (direction, tpl) in enumerate(TEMPLATES):
        text = tpl.format(name="Anna Berg", email="anna.berg@example.org")[:300]
        out.append({"id": f"bench-{i}", "tenant": "bench", "conversation_id": f"c{i}", "customer_id": f"k{i}",
                    "direction": direction, "channel": "sms", "text": text})
    return out


def _pct(sorted_samples: list[float], q: float) -> float:
    return sorted_samples[max(0, int(len(sorted_samples) * q) - 1)]


def measure(guard: Any, msgs: list[dict[str, Any]], runs: int) -> dict[str, float]:
    """Wall-clock and this thread's CPU time per check (CPU time leaves out the time other processes
    on a shared machine took the core: the figure to compare with a one-core target)."""
    from guardline.types import Message

    parsed = [Message.model_validate(m) for m in msgs]
    for m in parsed:  # warm caches
        for _ in range(50):
            guard.check(m)
    wall: list[float] = []
    cpu: list[float] = []
    gc.collect()
    perf, thread_time = time.perf_counter, time.thread_time
    start_all = perf()
    cpu_all = thread_time()
    for _ in range(runs):
        for m in parsed:
            t, c = perf(), thread_time()
            guard.check(m)
            cpu.append(thread_time() - c)
            wall.append(perf() - t)
    total, total_cpu = perf() - start_all, thread_time() - cpu_all
    wall.sort()
    cpu.sort()
    return {
        "checks": len(wall),
        "p50_ms": statistics.median(wall) * 1000,
        "p99_ms": _pct(wall, 0.99) * 1000,
        "max_ms": wall[-1] * 1000,
        "cpu_p50_ms": statistics.median(cpu) * 1000,
        "cpu_p99_ms": _pct(cpu, 0.99) * 1000,
        "msgs_per_s": len(wall) / total,
        "msgs_per_cpu_s": len(wall) / total_cpu,
    }


def run(args: argparse.Namespace) -> int:
    from guardline import Guard

    guard = Guard(args.policy)
    figures = measure(guard, messages(), args.runs)
    figures["detectors"] = ",".join(guard.detector_versions)  # type: ignore[assignment]
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"pipeline ({figures['detectors']}), {figures['checks']} checks of 300-char messages:")
        print(f"  wall: p50 {figures['p50_ms']:.3f} ms   p99 {figures['p99_ms']:.3f} ms   "
              f"max {figures['max_ms']:.2f} ms   {figures['msgs_per_s']:.0f} msg/s")
        print(f"  CPU:  p50 {figures['cpu_p50_ms']:.3f} ms   p99 {figures['cpu_p99_ms']:.3f} ms   "
              f"{figures['msgs_per_cpu_s']:.0f} msg per CPU-second")
    return 0
