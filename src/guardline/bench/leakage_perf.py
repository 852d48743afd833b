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
from collections.abc import Callable
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


def throughput(msgs: list[Message], dialogues: list[Any], *, fingerprints: int, rounds: int,
               policy: Callable[..., dict[str, Any]], keys: KeyRing, tenant: str) -> dict[str, Any]:
    from .. import Guard

    store = MemoryStore()
    preload(store, tenant, fingerprints)
    guards = {"pii": Guard(policy(leakage=False), state=store, keys=keys),
              "pii+leakage": Guard(policy(leakage=True), state=store, keys=keys)}
    for d in dialogues:  # the real customers are known too, so replies do hit owned values
        guards["pii+leakage"].register_identifiers(tenant, d.id, [v.text for v in d.record])
    for g in guards.values():  # warm-up
        for m in msgs[:200]:
            g.pipeline.run(m)
    rates: dict[str, list[float]] = {k: [] for k in guards}
    samples: dict[str, list[float]] = {k: [] for k in guards}
    clock = time.perf_counter
    for r in range(rounds):
        order = list(guards) if r % 2 == 0 else list(reversed(guards))  # alternate to share the noise
        for name in order:
            g = guards[name]
            gc.collect()
            lat = samples[name]
            t_all = clock()
            for m in msgs:
                t = clock()
                g.pipeline.run(m)
                lat.append((clock() - t) * 1000)
            rates[name].append(len(msgs) / (clock() - t_all))
    out: dict[str, Any] = {"messages": len(msgs), "rounds": rounds, "fingerprints_loaded": fingerprints,
                           "cpu": os.cpu_count()}
    for name in guards:
        out[name] = {"msgs_per_s_median": statistics.median(rates[name]), "msgs_per_s_rounds": rates[name],
                     "p50_ms": percentile(samples[name], 50), "p99_ms": percentile(samples[name], 99)}
    out["ratio"] = out["pii+leakage"]["msgs_per_s_median"] / out["pii"]["msgs_per_s_median"]
    return out
