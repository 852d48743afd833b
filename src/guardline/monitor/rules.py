"""Alert rules: each looks at the rolling windows of one scope and says whether it fires now.

- ``threshold``: the rate of a metric over ``window_s`` is above ``above`` (with at least
  ``min_messages`` replies in the window).
- ``burn_rate``: multi-window error-budget burn against an SLO (Google SRE workbook, ch. 5): the
  budget is ``objective`` (e.g. 0.001: at most 0.1% of replies blocked for PII); the burn rate of a
  window is its rate divided by the objective; the rule fires when, for any configured
  ``[long_s, short_s, burn]``, BOTH windows burn faster than ``burn`` (the long window proves it
  matters, the short one that it is still happening, so the alert also resolves quickly).
- ``cusum``: sequential change detection (a Bernoulli CUSUM, see ``stats``) of a version's rate
  against its own baseline: ``p0`` from the policy, or learnt from the version's first
  ``learn_messages`` replies (the one-sided 95% Wilson upper bound of the observed rate, so that an
  unlucky low estimate does not inflate false alarms); ``p1`` the rate worth detecting (or
  ``ratio * p0``); the threshold from ``arl0`` (mean clean replies between false alarms) or ``h``.
  After it fires, a reverse CUSUM (testing the return from ``p1`` to ``p0``) resolves the alert.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..state.base import StateStore
from .config import AlertRule
from .stats import CusumDesign, design, up_units
from .windows import Series, Windows

__all__ = ["Signal", "evaluate_rule"]

_SEP = "\x1f"


@dataclass(frozen=True, slots=True)
class Signal:
    firing: bool
    value: float
    threshold: float
    summary: str


def _threshold(w: Windows, tenant: str, series: Sequence[Series], rule: AlertRule, now: float) -> Signal:
    n_key = ("in." if rule.counter.startswith("in.") else "") + "n"
    t = w.window(tenant, series, [n_key, rule.counter], rule.window_s, now)
    n, x = t[n_key], t[rule.counter]
    rate = x / n if n else 0.0
    firing = n >= rule.min_messages and rate > rule.above
    return Signal(firing, rate, rule.above,
                  f"{rule.metric} rate {rate:.4%} over {rule.window_s:g} s ({x}/{n}) vs {rule.above:.4%}")


def _burn(w: Windows, tenant: str, series: Sequence[Series], rule: AlertRule, now: float) -> Signal:
    n_key = ("in." if rule.counter.startswith("in.") else "") + "n"
    worst = 0.0
    firing = False
    detail = ""
    for bw in rule.burn_windows:
        rates = []
        for span in (bw.long_s, bw.short_s):
            t = w.window(tenant, series, [n_key, rule.counter], span, now)
            rates.append((t[rule.counter] / t[n_key]) / rule.objective if t[n_key] else 0.0)
        burn = min(rates)
        if burn > worst:
            worst, detail = burn, f"burn {rates[0]:.1f}x over {bw.long_s:g} s and {rates[1]:.1f}x over {bw.short_s:g} s"
        if burn > bw.burn:
            firing = True
    limit = min(bw.burn for bw in rule.burn_windows)
    return Signal(firing, worst, limit,
                  f"{rule.metric} error budget ({rule.objective:.3%}) {detail or 'not burning'}")


@functools.lru_cache(maxsize=256)
def _design(p0: float, p1: float, arl0: float | None, h: int | None) -> CusumDesign:
    if h is not None:
        return CusumDesign(p0, p1, up_units(p0, p1), h)
    assert arl0 is not None
    return design(p0, p1, arl0)


def wilson_upper(x: int, n: int, z: float = 1.645) -> float:
    if n == 0:
        return 1.0
    p = x / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return min(1.0, (centre + margin) / (1 + z * z / n))


def _cusum(w: Windows, store: StateStore, tenant: str, scope: str, series: Sequence[Series],
           rule: AlertRule, now: float) -> Signal | None:
    n_key = ("in." if rule.counter.startswith("in.") else "") + "n"
    key = rule.name + _SEP + scope
    raw = store.get(tenant, "cusum", key)
    st: dict[str, Any] = json.loads(raw) if raw else {"s": 0, "rev": 0, "alarm": False, "learn_n": 0, "learn_x": 0,
                                       "last": w.bucket(now) - 1, "p0": rule.p0}
    done = w.bucket(now) - 1  # the current bucket is still filling
    if done <= st["last"]:
        if raw is None:
            store.set(tenant, "cusum", key, json.dumps(st), ttl_s=w.retention_s)
        return None
    d: CusumDesign | None = None
    for b in range(st["last"] + 1, done + 1):
        t = w.totals(tenant, series, [n_key, rule.counter], b, b)
        n, x = t[n_key], t[rule.counter]
        if not n:
            continue
        if st["p0"] is None:  # still learning this version's own baseline
            st["learn_n"] += n
            st["learn_x"] += x
            if st["learn_n"] >= rule.learn_messages:
                st["p0"] = max(1e-6, wilson_upper(st["learn_x"], st["learn_n"]))
            continue
        p0 = float(st["p0"])
        p1 = rule.p1 if rule.p1 is not None and rule.p1 > p0 else p0 * (rule.ratio or 2.0)
        d = _design(round(p0, 6), round(min(p1, 0.999), 6), rule.arl0, rule.h)
        if not st["alarm"]:
            st["s"] = max(0, st["s"] + x * d.up - (n - x))
            if st["s"] >= d.h:
                st["alarm"], st["s"], st["rev"] = True, 0, 0
        else:
            st["rev"] = max(0, st["rev"] + (n - x) - x * d.up)
            if st["rev"] >= d.h:
                st["alarm"], st["rev"] = False, 0
    st["last"] = done
    store.set(tenant, "cusum", key, json.dumps(st), ttl_s=w.retention_s)
    if d is None:
        if st["p0"] is None:
            return Signal(False, 0.0, 0.0, f"learning baseline ({st['learn_n']}/{rule.learn_messages} replies)")
        return None
    value = (st["s"] if not st["alarm"] else d.h) / d.h
    return Signal(bool(st["alarm"]), value, 1.0,
                  f"{rule.metric} shifted from baseline {d.p0:.2%} towards {d.p1:.2%} "
                  f"(Bernoulli CUSUM, h={d.h} units, ARL0 >= {rule.arl0 or d.arl(d.p0):.3g} replies)")


def evaluate_rule(w: Windows, store: StateStore, tenant: str, scope: str, series: Sequence[Series],
                  rule: AlertRule, now: float) -> Signal | None:
    """The rule's verdict for one scope now; None when it has nothing new to say."""
    if rule.kind == "threshold":
        return _threshold(w, tenant, series, rule, now)
    if rule.kind == "burn_rate":
        return _burn(w, tenant, series, rule, now)
    return _cusum(w, store, tenant, scope, series, rule, now)
