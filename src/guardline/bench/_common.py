"""Small helpers shared by the benchmark harnesses: data path resolution, a timing loop, percentiles,
and span scoring. Nothing here knows about a particular detector or data set."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError

__all__ = [
    "Latency",
    "SpanScore",
    "data_dir",
    "percentile",
    "pin_to_one_core",
    "repo_root",
    "score_spans",
    "time_calls",
]


def repo_root() -> Path | None:
    """The source checkout this package runs from (the folder holding pyproject.toml), if any."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file() and (parent / "src" / "guardline").is_dir():
            return parent
    return None


def data_dir(path: str | None, *, needs: str = "") -> Path:
    """The evaluation data folder: ``path`` if given, else ``../shared/data`` next to the repository
    root (or the working directory). ``needs`` names a subfolder that must exist."""
    if path:
        candidates = [Path(path)]
    else:
        root = repo_root()
        candidates = ([root.parent / "shared" / "data"] if root else []) + [Path.cwd().parent / "shared" / "data"]
    for c in candidates:
        if c.is_dir() and (not needs or (c / needs).is_dir()):
            return c
    want = f" with a {needs}/ folder" if needs else ""
    raise ConfigError(f"evaluation data not found{want}: tried {', '.join(str(c) for c in candidates)}; "
                      "pass --data PATH")


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation; ``values`` need not be sorted."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * q / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


@dataclass(frozen=True, slots=True)
class Latency:
    """Per-call timings in milliseconds."""

    samples_ms: tuple[float, ...]

    @property
    def p50(self) -> float:
        return percentile(self.samples_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.samples_ms, 99)

    @property
    def mean(self) -> float:
        return sum(self.samples_ms) / len(self.samples_ms) if self.samples_ms else float("nan")

    @property
    def per_second(self) -> float:
        total = sum(self.samples_ms)
        return len(self.samples_ms) / (total / 1000.0) if total > 0 else float("inf")

    def summary(self) -> dict[str, float]:
        return {"n": len(self.samples_ms), "p50_ms": round(self.p50, 4), "p99_ms": round(self.p99, 4),
                "mean_ms": round(self.mean, 4), "per_second": round(self.per_second, 1)}


def time_calls(fn: Callable[[], object], *, runs: int, warmup: int = 50) -> tuple[Latency, Latency]:
    """Call ``fn`` ``warmup`` times, then ``runs`` times, timing each call by the wall clock and by
    this thread's CPU clock (the second leaves out time the OS gave to other processes: on a shared,
    busy machine the wall-clock tail is mostly preemption). Garbage collection is left on: it is part
    of real latency; it runs once before the timed loop."""
    for _ in range(warmup):
        fn()
    gc.collect()
    wall: list[float] = []
    cpu: list[float] = []
    wclock, cclock = time.perf_counter_ns, time.thread_time_ns
    for _ in range(runs):
        c0 = cclock()
        t0 = wclock()
        fn()
        t1 = wclock()
        c1 = cclock()
        wall.append((t1 - t0) / 1e6)
        cpu.append((c1 - c0) / 1e6)
    return Latency(tuple(wall)), Latency(tuple(cpu))


def pin_to_one_core() -> int | None:
    """Pin this process to one CPU (the last one it may use) so figures are per core; returns it."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    if not cpus:
        return None
    os.sched_setaffinity(0, {cpus[-1]})
    return cpus[-1]


@dataclass(slots=True)
class SpanScore:
    """True positives, false positives, false negatives for one type."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    fp_examples: list[str] = field(default_factory=list)
    fn_examples: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r > 0 else 0.0


Span = tuple[str, int, int]  # (type, start, end)


def _matches(a: tuple[int, int], b: tuple[int, int], mode: str) -> bool:
    if mode == "exact":
        return a == b
    return a[0] < b[1] and b[0] < a[1]


def score_spans(gold: Iterable[Sequence[Span]], pred: Iterable[Sequence[Span]], types: Iterable[str], *,
                mode: str = "exact", texts: Sequence[str] | None = None,
                max_examples: int = 0) -> dict[str, SpanScore]:
    """Span-level scores per type. A predicted span is a true positive when it matches (``exact``:
    same boundaries; ``overlap``: shares a character) a not yet matched gold span of the same type."""
    scores = {t: SpanScore() for t in types}
    for i, (g, p) in enumerate(zip(gold, pred, strict=True)):
        used: set[int] = set()
        for ptype, ps, pe in p:
            sc = scores.get(ptype)
            if sc is None:
                continue
            hit = next((j for j, (gt, gs, ge) in enumerate(g)
                        if j not in used and gt == ptype and _matches((ps, pe), (gs, ge), mode)), None)
            if hit is None:
                sc.fp += 1
                if texts is not None and len(sc.fp_examples) < max_examples:
                    sc.fp_examples.append(f"#{i}: {texts[i][ps:pe]!r}")
            else:
                used.add(hit)
                sc.tp += 1
        for j, (gt, gs, ge) in enumerate(g):
            sc = scores.get(gt)
            if sc is not None and j not in used:
                sc.fn += 1
                if texts is not None and len(sc.fn_examples) < max_examples:
                    sc.fn_examples.append(f"#{i}: {texts[i][gs:ge]!r}")
    return scores
