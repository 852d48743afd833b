"""Rolling windows of finding rates and action mix per (tenant, agent, agent version, channel).

Every verdict adds 1 to a few time-bucketed counters in the state store (so every replica's traffic
lands in the same counters): the bucket is ``floor(t / bucket_s)``, the counter key is
``{agent}\\x1f{version}\\x1f{channel}\\x1f{bucket}\\x1f{metric}`` in namespace ``mon``, kept for
``retention_s``. A window is the sum of its buckets. Counters of buckets that ended more than one
bucket ago no longer change, so readers cache them: evaluating a rule every few seconds reads only
the newest buckets.

Counter names (see ``monitor.config`` for the rule syntax): ``n`` replies; ``category:C`` replies
with a finding of category C (at or above ``min_severity``); ``action:A`` the final action;
``blocked:C`` blocked or escalated with a finding of C; ``severity:critical``. Customer (inbound)
messages get the same names prefixed ``in.``.

Writes are buffered off the check path (``flush_s``, default 0.1 s): ``record`` adds a verdict's
increments to an in-process buffer (summed per (tenant, counter)) and ``flush`` sends each tenant's
sums in ONE ``incr_many``. A flush happens when the buffer is older than ``flush_s`` (from the
monitor's background thread, which ticks every ``flush_s``; on the check path only when no background
thread runs, or as a backstop when the buffer is four times older than that), before every read of
the windows (rules, ``GET /v1/monitor``) and on close. ``flush_s: 0`` writes through on every
``record`` as before. Trade-off: a crash loses at most ``flush_s`` of this replica's counts, and
other replicas see them up to ``flush_s`` late; alerts are evaluated only every ``evaluate_s``
anyway, and ``flush_s`` must not exceed ``bucket_s`` (so a bucket is final one bucket after it ends).
A flush that fails puts the counts back into the buffer and raises ``StoreError``.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..state.base import StateStore
from ..types import SEVERITY_ORDER, Action, Category, Direction, Message, Severity, Verdict

__all__ = ["Series", "Windows", "metric_names"]

_SEP = "\x1f"
_CACHE_MAX = 500_000


@dataclass(frozen=True, slots=True, order=True)
class Series:
    agent: str
    version: str
    channel: str

    @property
    def key(self) -> str:
        return _SEP.join((self.agent, self.version, self.channel))


def metric_names(message: Message, verdict: Verdict, min_severity: Severity = Severity.LOW) -> list[str]:
    """The counters one verdict increments."""
    floor = SEVERITY_ORDER[min_severity]
    cats: set[str] = set()
    critical = False
    for f in verdict.findings:
        if SEVERITY_ORDER[f.severity] >= floor:
            cats.add(str(f.category))
        critical = critical or (f.severity is Severity.CRITICAL and f.category is not Category.SYSTEM)
    out = ["n", "action:" + str(verdict.action)]
    out += ["category:" + c for c in sorted(cats)]
    if verdict.action in (Action.BLOCK, Action.ESCALATE):
        out += ["blocked:" + c for c in sorted(cats)]
    if critical:
        out.append("severity:critical")
    if message.direction is Direction.INBOUND:
        out = ["in." + m for m in out]
    return out


class Windows:
    """Writes and reads the bucket counters. Thread-safe."""

    def __init__(self, state: StateStore, *, bucket_s: float = 10.0, retention_s: float = 86_400.0,
                 min_severity: Severity = Severity.LOW, clock: Callable[[], float] = time.time,
                 flush_s: float = 0.1) -> None:
        self.state = state
        self.flush_s = flush_s
        self.background = False  # set by the monitor while its thread flushes every ``flush_s``
        self._buf_lock = threading.Lock()
        self._buf: dict[str, dict[str, int]] = {}
        self._buf_since: float | None = None  # clock time of the oldest buffered increment
        self.bucket_s = bucket_s
        self.retention_s = retention_s
        self.min_severity = min_severity
        self.clock = clock
        self._lock = threading.Lock()
        self._known: set[tuple[str, Series]] = set()
        self._cache: dict[tuple[str, str, int, str], int] = {}

    def bucket(self, t: float | None = None) -> int:
        return math.floor((self.clock() if t is None else t) / self.bucket_s)

    # -- writing -----------------------------------------------------------------------------------
    def record(self, message: Message, verdict: Verdict) -> Series:
        series = Series(message.agent.name, message.agent.version, str(message.channel))
        now = self.clock()
        prefix = f"{series.key}{_SEP}{self.bucket(now)}{_SEP}"
        names = metric_names(message, verdict, self.min_severity)
        if self.flush_s <= 0:
            self.state.incr_many(message.tenant, "mon", [(prefix + name, 1) for name in names],
                                 ttl_s=self.retention_s)
        else:
            with self._buf_lock:
                counters = self._buf.setdefault(message.tenant, {})
                for name in names:
                    key = prefix + name
                    counters[key] = counters.get(key, 0) + 1
                if self._buf_since is None:
                    self._buf_since = now
                since = self._buf_since
            if now - since >= self.flush_s * (4.0 if self.background else 1.0):
                self.flush(now)
        if (message.tenant, series) not in self._known:
            self._register(message.tenant, series)
        return series

    def flush_due(self, now: float | None = None) -> bool:
        since = self._buf_since
        return since is not None and (self.clock() if now is None else now) - since >= self.flush_s

    def flush(self, now: float | None = None) -> None:
        """Send the buffered increments: one ``incr_many`` per tenant. Counters keep the expiry a
        write-through would have given them (``retention_s`` after the oldest buffered increment)."""
        with self._buf_lock:
            if not self._buf:
                return
            buf, since = self._buf, self._buf_since
            self._buf, self._buf_since = {}, None
        now = self.clock() if now is None else now
        ttl = self.retention_s - max(0.0, now - (since if since is not None else now))
        if ttl <= 0:
            return  # everything buffered has already outlived its retention
        pending = list(buf.items())
        while pending:
            tenant, counters = pending[0]
            try:
                self.state.incr_many(tenant, "mon", list(counters.items()), ttl_s=ttl)
            except Exception:
                self._restore(pending, since)
                raise
            pending.pop(0)

    def _restore(self, pending: list[tuple[str, dict[str, int]]], since: float | None) -> None:
        with self._buf_lock:
            for tenant, counters in pending:
                mine = self._buf.setdefault(tenant, {})
                for key, n in counters.items():
                    mine[key] = mine.get(key, 0) + n
            if since is not None and (self._buf_since is None or since < self._buf_since):
                self._buf_since = since

    def _register(self, tenant: str, series: Series) -> None:
        """Add the series to the tenant's index (read-modify-write; a lost race is repaired when the
        other replica registers its next new series or restarts: each replica re-adds what it saw)."""
        with self._lock:
            raw = self.state.get(tenant, "mon-index", "series")
            entries = {tuple(e) for e in json.loads(raw)} if raw else set()
            mine = {(s.agent, s.version, s.channel) for t, s in self._known if t == tenant}
            entries |= mine | {(series.agent, series.version, series.channel)}
            self.state.set(tenant, "mon-index", "series", json.dumps(sorted(entries)))
            self._known.add((tenant, series))

    # -- reading -----------------------------------------------------------------------------------
    def series(self, tenant: str) -> list[Series]:
        self.flush()
        raw = self.state.get(tenant, "mon-index", "series")
        return sorted(Series(*e) for e in json.loads(raw)) if raw else []

    def tenants(self) -> list[str]:
        """Tenants this process has recorded traffic for."""
        return sorted({t for t, _ in self._known})

    def count(self, tenant: str, series: Series, bucket: int, metric: str) -> int:
        key = (tenant, series.key, bucket, metric)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        self.flush()
        raw = self.state.get(tenant, "mon", f"{series.key}{_SEP}{bucket}{_SEP}{metric}")
        value = int(raw) if raw else 0
        if bucket < self.bucket() - 1:  # final: nobody writes to it any more
            with self._lock:
                if len(self._cache) >= _CACHE_MAX:
                    self._cache.clear()
                self._cache[key] = value
        return value

    def totals(self, tenant: str, series: Iterable[Series], metrics: Iterable[str], first: int,
               last: int) -> dict[str, int]:
        """Sums of ``metrics`` over buckets ``first..last`` (inclusive) of every given series."""
        self.flush()
        names = list(metrics)
        out = dict.fromkeys(names, 0)
        for s in series:
            for b in range(first, last + 1):
                for m in names:
                    out[m] += self.count(tenant, s, b, m)
        return out

    def window(self, tenant: str, series: Iterable[Series], metrics: Iterable[str], window_s: float,
               now: float | None = None) -> dict[str, int]:
        """Sums over the buckets that overlap the last ``window_s`` seconds (the current, partly
        filled bucket included; so the window covers between ``window_s`` and one bucket more)."""
        now = self.clock() if now is None else now
        last = self.bucket(now)
        first = self.bucket(now - window_s)
        return self.totals(tenant, series, metrics, first, last)

    def summary(self, tenant: str, series: Series, window_s: float) -> dict[str, object]:
        """Replies, action mix and finding rates of one series over a window (for GET /v1/monitor)."""
        actions = ["action:" + str(a) for a in Action]
        cats = ["category:" + str(c) for c in Category]
        out: dict[str, object] = {}
        for prefix, label in (("", "outbound"), ("in.", "inbound")):
            names = [prefix + m for m in ["n", *actions, *cats, "severity:critical"]]
            t = self.window(tenant, [series], names, window_s)
            n = t[prefix + "n"]
            if not n:
                continue
            out[label] = {
                "messages": n,
                "actions": {a.split(":")[1]: t[prefix + a] for a in actions if t[prefix + a]},
                "rates": {c.split(":")[1]: round(t[prefix + c] / n, 6) for c in cats if t[prefix + c]},
                "critical": t[prefix + "severity:critical"],
            }
        return out
