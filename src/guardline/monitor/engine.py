"""The monitor: records every verdict into the rolling windows, evaluates the alert rules, opens
and resolves alerts (audited, notified), trips breakers on alerts marked ``trip: true``.

Evaluation runs every ``monitor.evaluate_s``: inline from the sink (``MonitorSink(inline=True)``,
used by ``guardline simulate`` with its simulated clock) or from a background thread (``start()``,
used by the server, so no check ever waits for it). Per tenant, one replica at a time evaluates: a
lease is ``incr`` on a per-slot key, and only the caller that gets 1 proceeds.

The window counters are buffered in-process and flushed every ``monitor.flush_s`` (see
``windows``): by the background thread, which ticks every ``flush_s``, before every evaluation and
snapshot, and on ``close``. A crash loses at most ``flush_s`` of counts; ``flush_s: 0`` writes through.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import GuardlineError
from ..rollout.store import OperatorAudit, RolloutStore
from ..state.base import StateStore
from ..types import Message, Severity, Verdict
from .alerts import Alert, AlertBook
from .config import AlertRule, Monitoring
from .metrics import MonitorGauges
from .notify import Notification, Notifier
from .rules import evaluate_rule
from .windows import Series, Windows

__all__ = ["Monitor"]

log = logging.getLogger("guardline.monitor")

_SEP = "\x1f"
_TRANSITION_SEVERITY = {"breaker.open": Severity.CRITICAL, "breaker.killed": Severity.HIGH,
                        "breaker.half_open": Severity.MEDIUM, "breaker.closed": Severity.MEDIUM,
                        "canary.rolled_back": Severity.CRITICAL, "canary.promoted": Severity.MEDIUM,
                        "canary.running": Severity.LOW, "canary.stopped": Severity.LOW}


class Monitor:
    def __init__(self, state: StateStore, config: Monitoring | None = None, *,
                 rollout: RolloutStore | None = None, audit: OperatorAudit | None = None,
                 notifiers: Sequence[Notifier] = (), clock: Callable[[], float] = time.time,
                 registry: Any = None) -> None:
        self.config = config or Monitoring()
        mc = self.config.monitor
        self.state = state
        self.clock = clock
        self.windows = Windows(state, bucket_s=mc.bucket_s, retention_s=mc.retention_s,
                               min_severity=mc.min_severity, clock=clock, flush_s=mc.flush_s)
        self.book = AlertBook(state)
        self.rollout = rollout
        self.audit = audit
        self.notifiers = list(notifiers)
        self.gauges = MonitorGauges(registry)
        self.fired: list[Alert] = []  # alerts this process opened or resolved (tests, simulate)
        self._next_eval = 0.0
        self._eval_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if rollout is not None:
            rollout.listeners.append(self.on_transition)

    # -- hot path ----------------------------------------------------------------------------------
    def record(self, message: Message, verdict: Verdict) -> Series:
        return self.windows.record(message, verdict)

    def due(self, now: float) -> bool:
        return now >= self._next_eval

    # -- evaluation --------------------------------------------------------------------------------
    def evaluate(self, now: float | None = None) -> list[Alert]:
        """Evaluate every rule for every tenant this replica has seen (those whose lease it wins)."""
        now = self.clock() if now is None else now
        if not self._eval_lock.acquire(blocking=False):
            return []
        try:
            self._next_eval = now + self.config.monitor.evaluate_s
            self.windows.flush()
            slot = int(now // self.config.monitor.evaluate_s)
            changed: list[Alert] = []
            for tenant in self.windows.tenants():
                try:
                    if self.state.incr(tenant, "mon-lease", str(slot),
                                       ttl_s=self.config.monitor.evaluate_s * 4) != 1:
                        continue
                    changed += self.evaluate_tenant(tenant, now)
                except GuardlineError as exc:
                    log.error("monitor evaluation of a tenant failed: %s", type(exc).__name__)
            return changed
        finally:
            self._eval_lock.release()

    def _scopes(self, rule: AlertRule, series: list[Series]) -> dict[tuple[str, str], list[Series]]:
        groups: dict[tuple[str, str], list[Series]] = {}
        for s in series:
            if rule.agent is not None and s.agent != rule.agent:
                continue
            if rule.channel is not None and s.channel != rule.channel:
                continue
            groups.setdefault((s.agent, s.version), []).append(s)
        return groups

    def evaluate_tenant(self, tenant: str, now: float) -> list[Alert]:
        series = self.windows.series(tenant)
        changed: list[Alert] = []
        for rule in self.config.alerts:
            for (agent, version), members in self._scopes(rule, series).items():
                scope = _SEP.join((agent, version, rule.channel or "*"))
                signal = evaluate_rule(self.windows, self.state, tenant, scope, members, rule, now)
                if signal is None:
                    continue
                current = self.book.active(tenant, _SEP.join((rule.name, scope)))
                if signal.firing and current is None:
                    alert = Alert(Alert.make_id(tenant, rule.name, agent, version, rule.channel, now),
                                  rule.name, rule.kind, str(rule.severity), tenant, agent, version,
                                  rule.channel, now, round(signal.value, 6), signal.threshold,
                                  signal.summary, rule.trip)
                    self.book.open(alert)
                    self._announce(alert, "alert.fired")
                    if rule.trip and self.rollout is not None:
                        self.rollout.trip(tenant, agent, version, f"alert {alert.id} ({rule.name})")
                    changed.append(alert)
                elif not signal.firing and current is not None:
                    done = self.book.resolve(current, now)
                    self._announce(done, "alert.resolved")
                    changed.append(done)
                self.gauges.alert_state(tenant, rule.name, agent, version, signal.firing)
        if self.gauges.enabled:
            for s in series:
                for w in self.config.monitor.windows_s:
                    self.gauges.window(tenant, s.agent, s.version, s.channel, f"{w:g}s",
                                       self.windows.summary(tenant, s, w))
        self.fired += changed
        return changed

    def _announce(self, alert: Alert, kind: str) -> None:
        payload = alert.to_dict()
        if self.audit is not None:
            try:
                self.audit.append_operator_event(alert.tenant, kind, payload)
            except GuardlineError as exc:
                log.error("audit of %s failed: %s", kind, type(exc).__name__)
        self._notify(Notification(f"{alert.id}:{kind}", kind, Severity(alert.severity), alert.text(), payload))

    def _notify(self, n: Notification) -> None:
        for notifier in self.notifiers:
            try:
                notifier.notify(n)
            except Exception as exc:
                log.error("notifier %s failed: %s", type(notifier).__name__, type(exc).__name__)

    def on_transition(self, tenant: str, kind: str, payload: dict[str, Any]) -> None:
        """Listener for breaker and canary transitions (``RolloutStore.listeners``)."""
        severity = _TRANSITION_SEVERITY.get(kind, Severity.MEDIUM)
        what = f"{payload.get('agent')} {payload.get('version') or payload.get('candidate')}"
        text = f"[{kind}] {what}: {payload.get('reason', '')}"
        ident = f"{tenant}:{kind}:{payload.get('agent')}:{payload.get('version') or payload.get('candidate')}:" \
                f"{payload.get('at', self.clock())}"
        if kind.startswith("breaker.") and self.gauges.enabled:
            self.gauges.breaker_state(tenant, str(payload.get("agent")), str(payload.get("version")),
                                      kind.split(".", 1)[1])
        self._notify(Notification(ident, kind, severity, text, {"tenant": tenant, **payload}))

    # -- reading -----------------------------------------------------------------------------------
    def snapshot(self, tenant: str) -> dict[str, Any]:
        """What ``GET /v1/monitor`` returns for a tenant."""
        self.windows.flush()
        series_out = []
        for s in self.windows.series(tenant):
            windows = {f"{w:g}s": self.windows.summary(tenant, s, w) for w in self.config.monitor.windows_s}
            series_out.append({"agent": s.agent, "version": s.version, "channel": s.channel,
                               "windows": windows})
        out: dict[str, Any] = {
            "tenant": tenant,
            "bucket_s": self.config.monitor.bucket_s,
            "series": series_out,
            "alerts": {"active": [a.to_dict() for a in self.book.all_active(tenant)],
                       "recent": [a.to_dict() for a in self.book.recent(tenant)[-50:]]},
        }
        if self.rollout is not None:
            out.update(self.rollout.status(tenant))
        return out

    # -- background evaluation ---------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="guardline-monitor", daemon=True)
        self.windows.background = self.config.monitor.flush_s > 0
        self._thread.start()

    def _loop(self) -> None:
        mc = self.config.monitor
        tick = min(mc.flush_s, mc.evaluate_s) if mc.flush_s > 0 else mc.evaluate_s
        next_eval = time.monotonic() + mc.evaluate_s
        while not self._stop.wait(tick):
            try:
                if time.monotonic() >= next_eval:
                    next_eval = time.monotonic() + mc.evaluate_s
                    self.evaluate()  # flushes first
                elif self.windows.flush_due():
                    self.windows.flush()
            except Exception as exc:  # keep evaluating; a bug here must not stop monitoring
                log.error("monitor evaluation failed: %s", type(exc).__name__)

    def flush(self) -> None:
        """Write the buffered window counters now."""
        self.windows.flush()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.windows.background = False
        try:
            self.windows.flush()
        except Exception as exc:  # closing must not raise; the counts of the last flush_s are lost
            log.error("final flush of the monitor windows failed: %s", type(exc).__name__)
