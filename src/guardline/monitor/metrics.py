"""Prometheus gauges of the monitor, when prometheus-client is installed (else a no-op).

- ``guardline_window_messages{tenant, agent, version, channel, window}``
- ``guardline_window_rate{tenant, agent, version, channel, window, metric}``: finding rates and action
  mix of agent replies over each window of ``monitor.windows_s``
- ``guardline_alert_active{tenant, rule, agent, version}``: 1 while an alert fires
- ``guardline_breaker_state{tenant, agent, version}``: 0 closed, 1 half-open, 2 open, 3 killed

Pass the server's registry (``MetricsSink.registry``) so that ``/metrics`` shows them. The windows
live in the shared state store, so with several worker processes each gauge shows the value that a
worker set last (``multiprocess_mode="mostrecent"``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["MonitorGauges"]

BREAKER_CODES = {"closed": 0, "half_open": 1, "open": 2, "killed": 3}


class MonitorGauges:
    def __init__(self, registry: Any = None) -> None:
        try:
            from prometheus_client import CollectorRegistry, Gauge
        except ImportError:  # pragma: no cover - optional dependency
            self.enabled = False
            return
        self.enabled = True
        self.registry = registry if registry is not None else CollectorRegistry()

        def gauge(name: str, doc: str, labels: tuple[str, ...]) -> Any:
            # the windows live in the shared state store: with several workers, the latest value wins
            return Gauge(name, doc, labels, registry=self.registry, multiprocess_mode="mostrecent")

        self.messages = gauge("guardline_window_messages", "Agent replies in the rolling window",
                              ("tenant", "agent", "version", "channel", "window"))
        self.rate = gauge("guardline_window_rate", "Share of agent replies in the rolling window",
                          ("tenant", "agent", "version", "channel", "window", "metric"))
        self.alert = gauge("guardline_alert_active", "1 while the alert fires", ("tenant", "rule", "agent", "version"))
        self.breaker = gauge("guardline_breaker_state", "0 closed, 1 half-open, 2 open, 3 killed",
                             ("tenant", "agent", "version"))

    def window(self, tenant: str, agent: str, version: str, channel: str, window: str,
               summary: dict[str, Any]) -> None:
        if not self.enabled:
            return
        out = summary.get("outbound")
        n = out["messages"] if out else 0
        self.messages.labels(tenant, agent, version, channel, window).set(n)
        if not out:
            return
        for name, rate in out["rates"].items():
            self.rate.labels(tenant, agent, version, channel, window, "category:" + name).set(rate)
        for name, count in out["actions"].items():
            self.rate.labels(tenant, agent, version, channel, window, "action:" + name).set(count / n)

    def alert_state(self, tenant: str, rule: str, agent: str, version: str, active: bool) -> None:
        if self.enabled:
            self.alert.labels(tenant, rule, agent, version).set(1 if active else 0)

    def breaker_state(self, tenant: str, agent: str, version: str, mode: str) -> None:
        if self.enabled:
            self.breaker.labels(tenant, agent, version).set(BREAKER_CODES.get(mode, -1))
