"""Speed and memory of leakage detection: check throughput with and without the leakage detector
(same messages, same store holding a million fingerprints), and bytes per fingerprint in the
in-process store, measured with tracemalloc. A check here is ``Guard.pipeline.run``: normalisation
and every enabled detector, without the policy decision (the same for both configurations)."""

from __future__ import annotations

import gc
import os
import statistics
import time
import tracemalloc
from typing import Any

from ..keys import KeyRing
from ..state.memory import MemoryStore
from ..types import Message
from ._common import percentile

__all__ = ["bytes_per_fingerprint", "preload", "throughput"]


def preload(store: MemoryStore, tenant: str, n: int, *, per_customer: int = 10) -> None:
    """``n`` random fingerprints, ``per_customer`` per synthetic customer (one add call each)."""
    blob = os.urandom(16 * n)
    for c in range(0, n, per_customer):
        store.add_fingerprints(tenant, f"synthetic-{c // per_customer:07d}",
                               [blob[16 * i:16 * i + 16] for i in range(c, min(n, c + per_customer))])


def bytes_per_fingerprint(n: int) -> dict[str, float]:
    out: dict[str, float] = {"fingerprints": n}
    for label, per_customer in (("", 10), ("_batch1", 1)):
        gc.collect()
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
        store = MemoryStore()
        preload(store, "t", n, per_customer=per_customer)
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out[f"bytes_per_fp{label}"] = (current - base) / n
        if not label:
            out["peak_bytes_per_fp"] = (peak - base) / n
        del store
    return out


def throughput(msgs: list[Message], dialogues: list[Any], *, configs: dict[str, dict[str, Any]],
               pairs: list[tuple[str, str]], fingerprints: int, rounds: int, keys: KeyRing,
               tenant: str) -> dict[str, Any]:
    """Passes over ``msgs`` with each configuration (policy), alternating their order every round,
    sharing one store preloaded with ``fingerprints`` random fingerprints and the dialogues' records.
    Throughput is messages per CPU second of this process (less sensitive than wall time to other
    processes on a shared machine; wall figures are reported too). ``pairs``: (baseline, with leakage)."""
    from .. import Guard

    store = MemoryStore()
    preload(store, tenant, fingerprints)
    guards = {name: Guard(policy, state=store, keys=keys) for name, policy in configs.items()}
    first = next(iter(guards.values()))
    for d in dialogues:  # the real customers are known too, so replies do hit owned values
        first.register_identifiers(tenant, d.id, [v.text for v in d.record])
    for g in guards.values():  # warm-up
        for m in msgs[:200]:
            g.pipeline.run(m)
    cpu_rates: dict[str, list[float]] = {k: [] for k in guards}
    wall_rates: dict[str, list[float]] = {k: [] for k in guards}
    samples: dict[str, list[float]] = {k: [] for k in guards}
    clock, cpu = time.perf_counter, time.process_time
    for r in range(rounds):
        order = list(guards) if r % 2 == 0 else list(reversed(guards))  # alternate to share the noise
        for name in order:
            run = guards[name].pipeline.run
            gc.collect()
            lat = samples[name]
            c0, w0 = cpu(), clock()
            for m in msgs:
                t = clock()
                run(m)
                lat.append((clock() - t) * 1000)
            cpu_rates[name].append(len(msgs) / (cpu() - c0))
            wall_rates[name].append(len(msgs) / (clock() - w0))
    out: dict[str, Any] = {"messages": len(msgs), "rounds": rounds, "fingerprints_loaded": fingerprints,
                           "cpu": os.cpu_count()}
    for name in guards:
        out[name] = {"msgs_per_cpu_s_median": statistics.median(cpu_rates[name]),
                     "msgs_per_wall_s_median": statistics.median(wall_rates[name]),
                     "msgs_per_cpu_s_rounds": [round(x) for x in cpu_rates[name]],
                     "p50_ms": percentile(samples[name], 50), "p99_ms": percentile(samples[name], 99)}
    out["ratios"] = {f"{b} / {a}": out[b]["msgs_per_cpu_s_median"] / out[a]["msgs_per_cpu_s_median"]
                     for a, b in pairs}
    return out
