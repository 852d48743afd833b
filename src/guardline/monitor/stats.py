"""Statistics of the Bernoulli CUSUM used by ``cusum`` alert rules.

Each reply is an event (e.g. "has a hallucination finding") or not. Against a baseline rate ``p0``
the chart looks for a shift to ``p1 > p0``: the log likelihood ratio of one reply is
``a = ln(p1/p0)`` for an event and ``b = ln((1-p1)/(1-p0)) < 0`` otherwise. Guardline runs the chart in
integer units of ``|b|`` (the rounded Bernoulli CUSUM of Reynolds & Stoumbos, 1999): an event adds
``u = round(a/|b|)`` units, any other reply subtracts 1, the statistic never goes below 0, and the
chart signals at ``H`` units. Because the statistic lives on the integers ``0..H-1``, its run length is
a Markov chain and the average run length (ARL: replies until a signal) is computed EXACTLY by
solving ``(I - Q) L = 1`` (Brook & Evans, 1972), here with a banded elimination that costs
``O(H * u)``. ``ARL0`` (at ``p = p0``) is the mean number of clean replies between false alarms;
``ARL1`` (at ``p = p1``) the mean detection delay.

Replicas share counts per time bucket, so the chart is updated once per bucket with the bucket's
``n`` replies and ``x`` events: ``S <- max(0, S + x*u - (n - x))``. Clamping at 0 once per bucket
instead of after every reply never makes the statistic larger (``max(0, S + sum)`` is at most the
per-reply recursion, and the map is monotone in ``S``), so the bucketed chart signals no earlier than
the per-reply one on the same replies: its false-alarm rate is at most ``1 / ARL0``, and its delay is
at most one bucket longer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["CusumDesign", "arl", "design"]


@dataclass(frozen=True, slots=True)
class CusumDesign:
    """An integer Bernoulli CUSUM: ``u`` units per event, 1 unit down per non-event, signal at ``h``."""

    p0: float
    p1: float
    up: int
    h: int

    @property
    def unit(self) -> float:
        """The LLR of one unit, ``|ln((1-p1)/(1-p0))|``."""
        return abs(math.log((1 - self.p1) / (1 - self.p0)))

    def arl(self, p: float) -> float:
        return arl(p, self.up, self.h)

    def to_dict(self) -> dict[str, float | int]:
        return {"p0": self.p0, "p1": self.p1, "up": self.up, "h": self.h,
                "h_llr": round(self.h * self.unit, 4)}


def up_units(p0: float, p1: float) -> int:
    if not 0.0 < p0 < p1 < 1.0:
        raise ValueError("need 0 < p0 < p1 < 1")
    a = math.log(p1 / p0)
    b = abs(math.log((1 - p1) / (1 - p0)))
    return max(1, round(a / b))


def arl(p: float, up: int, h: int, start: int = 0) -> float:
    """Average run length of the integer chart (``up`` per event of probability ``p``, -1 otherwise,
    floor 0, signal at ``>= h``) from ``start``. Exact: solves the Markov chain's linear system."""
    if h < 1:
        return 1.0
    q = 1.0 - p
    # rows[i]: column -> coefficient of (I - Q); upper band grows to width ``up`` during elimination
    rows: list[dict[int, float]] = []
    for i in range(h):
        row: dict[int, float] = {i: 1.0}
        down = max(0, i - 1)
        row[down] = row.get(down, 0.0) - q
        if i + up < h:
            row[i + up] = row.get(i + up, 0.0) - p
        rows.append(row)
    rhs = [1.0] * h
    for k in range(h - 1):  # lower bandwidth is 1: only row k+1 has a column-k entry below row k
        nxt = rows[k + 1]
        coef = nxt.pop(k, 0.0)
        if coef == 0.0:
            continue
        pivot_row = rows[k]
        f = coef / pivot_row[k]
        for j, v in pivot_row.items():
            if j != k:
                nxt[j] = nxt.get(j, 0.0) - f * v
        rhs[k + 1] -= f * rhs[k]
    sol = [0.0] * h
    for i in range(h - 1, -1, -1):
        row = rows[i]
        acc = rhs[i]
        for j, v in row.items():
            if j > i:
                acc -= v * sol[j]
        sol[i] = acc / row[i]
    return sol[start]


def design(p0: float, p1: float, arl0: float) -> CusumDesign:
    """The smallest threshold whose in-control ARL is at least ``arl0``."""
    up = up_units(p0, p1)
    lo, hi = 1, up + 1
    while arl(p0, up, hi) < arl0:
        lo, hi = hi, hi * 2
        if hi > 1_000_000:
            raise ValueError("arl0 is out of reach for these rates")
    while lo < hi:
        mid = (lo + hi) // 2
        if arl(p0, up, mid) >= arl0:
            hi = mid
        else:
            lo = mid + 1
    return CusumDesign(p0, p1, up, lo)


def simulate_alarms(p: float, up: int, h: int, messages: int, *, bucket: int = 1, seed: int = 0) -> int:
    """Monte Carlo: signals of the chart over ``messages`` Bernoulli(``p``) replies, updated once per
    ``bucket`` replies (as the shared, bucketed chart is) and restarted after each signal. Events are
    drawn by geometric gaps, so the cost is proportional to the number of events, not of replies."""
    import random

    rng = random.Random(seed)
    log_q = math.log(1.0 - p)
    alarms, s, pos = 0, 0, 0
    next_event = int(math.log(1.0 - rng.random()) / log_q)
    while pos < messages:
        end = min(messages, pos + bucket)
        x = 0
        while next_event < end:
            x += 1
            next_event += 1 + int(math.log(1.0 - rng.random()) / log_q)
        n = end - pos
        s = max(0, s + x * up - (n - x))
        if s >= h:
            alarms += 1
            s = 0
        pos = end
    return alarms


def _main() -> None:  # pragma: no cover - prints the figures quoted in docs/benchmarks/monitoring.md
    import argparse

    ap = argparse.ArgumentParser(description="Design and check the Bernoulli CUSUM")
    ap.add_argument("--p0", type=float, default=0.02)
    ap.add_argument("--p1", type=float, default=0.10)
    ap.add_argument("--arl0", type=float, default=1e6)
    ap.add_argument("--true-p0", type=float, default=None, help="in-control rate to evaluate at")
    ap.add_argument("--messages", type=int, default=50_000_000)
    ap.add_argument("--bucket", type=int, default=20)
    args = ap.parse_args()
    d = design(args.p0, args.p1, args.arl0)
    p_in = args.true_p0 if args.true_p0 is not None else args.p0
    print(f"design {d.to_dict()}")
    print(f"ARL at p={p_in}: {d.arl(p_in):,.0f} replies; at p1={args.p1}: {d.arl(args.p1):,.1f}")
    for p in (0.05, 0.08, 0.10, 0.12):
        print(f"  ARL at p={p}: {d.arl(p):,.1f}")
    for bucket in (1, args.bucket):
        a = simulate_alarms(p_in, d.up, d.h, args.messages, bucket=bucket, seed=1)
        print(f"Monte Carlo, {args.messages:,} in-control replies, bucket of {bucket}: {a} alarms "
              f"({a / args.messages * 1e6:.2f} per million)")


if __name__ == "__main__":  # pragma: no cover
    _main()
