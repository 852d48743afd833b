"""Validation of the policy's ``monitor``, ``alerts``, ``breaker``, ``canary`` and ``probes`` sections.

The policy loader accepts these top-level keys without looking inside; ``load_monitoring(policy)``
validates them and raises ``PolicyError`` naming the field (e.g. ``alerts[2].p1``). Example::

    monitor:
      bucket_s: 10            # width of the time buckets the rolling windows are made of
      retention_s: 86400      # how long bucket counters are kept in the state store
      evaluate_s: 10          # how often alert rules are evaluated (one replica per tenant at a time)
      flush_s: 0.1            # window counters are buffered in-process and written every flush_s
                              # (0 = write through on every check); at most bucket_s
      windows_s: [300, 3600]  # windows shown by GET /v1/monitor and the Prometheus gauges
      min_severity: low       # findings below this severity are not counted
      webhooks:
        - {url: "https://hooks.example.com/T000/B000", min_severity: high, retries: 4, backoff_s: 0.5}
      handoff_url: "https://contact-centre.example.com/queue"   # escalated conversations go here
    alerts:
      - {name: leakage-spike, kind: threshold, metric: "category:leakage", window_s: 300,
         above: 0.001, min_messages: 50, severity: critical, trip: true}
      - {name: pii-slo, kind: burn_rate, metric: "blocked:pii", objective: 0.001, severity: high,
         windows: [[3600, 300, 14.4], [21600, 1800, 6]]}
      - {name: hallucination-shift, kind: cusum, metric: "category:hallucination", p0: 0.02,
         p1: 0.10, arl0: 1000000, severity: high}
    breaker: {critical_findings: 3, window_s: 300, cooldown_s: 600, probe_share: 0.1,
              probe_messages: 50, action: escalate}
    canary: {promote_after: 2000, alpha: 0.001, ratio: 2.0,
             categories: [leakage, hallucination, pii, secret, brand, compliance]}
    probes:                   # synthetic conversations run by the gateway (``rollout.probes``)
      - {agent: support-bot, version: "2.1", url: "http://agent.internal/chat", tenant: default,
         interval_s: 300, reply_field: reply, timeout_s: 10,
         facts: [{question: "How many days do I have to return an item?", answer: "30"}]}

Metrics (``metric:``): ``messages`` is the denominator; ``category:C`` counts replies with a finding
of category C, ``action:A`` replies whose final action is A, ``blocked:C`` replies blocked or escalated
with a finding of category C, ``severity:critical`` replies with a critical finding. ``direction``
(default outbound) picks agent replies or customer messages.

``flush_s`` takes the window counters off the check path: each replica sums them in memory and
writes them with one ``incr_many`` per tenant every ``flush_s`` (and before every read of the
windows). The trade-off: a crash loses at most ``flush_s`` of that replica's counts, and other
replicas see them up to ``flush_s`` late; alert rules are evaluated only every ``evaluate_s`` anyway.
Default 0.1 s (lowered to ``bucket_s`` when the buckets are narrower); ``0`` writes through.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import PolicyError
from ..policy import Policy
from ..rollout.breaker import BreakerConfig
from ..rollout.canary import DEFAULT_CATEGORIES, CanaryConfig
from ..types import TENANT_RE, Action, Category, Direction, Severity

__all__ = ["AlertRule", "BurnWindow", "MonitorConfig", "Monitoring", "ProbeConfig", "WebhookConfig",
           "load_monitoring", "parse_monitoring"]

_METRIC = re.compile(r"^(?:messages|category:[a-z_]+|action:[a-z]+|blocked:[a-z_]+|severity:critical)$")
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    url: str
    min_severity: Severity = Severity.HIGH
    retries: int = 4
    backoff_s: float = 0.5
    timeout_s: float = 3.0


@dataclass(frozen=True, slots=True)
class MonitorConfig:
    bucket_s: float = 10.0
    retention_s: float = 86_400.0
    evaluate_s: float = 10.0
    flush_s: float = 0.1
    windows_s: tuple[float, ...] = (300.0, 3600.0)
    min_severity: Severity = Severity.LOW
    webhooks: tuple[WebhookConfig, ...] = ()
    handoff_url: str | None = None


@dataclass(frozen=True, slots=True)
class BurnWindow:
    long_s: float
    short_s: float
    burn: float


@dataclass(frozen=True, slots=True)
class AlertRule:
    name: str
    kind: str  # threshold | burn_rate | cusum
    metric: str
    severity: Severity
    direction: Direction = Direction.OUTBOUND
    trip: bool = False
    agent: str | None = None
    channel: str | None = None
    # threshold
    window_s: float = 300.0
    above: float = 0.0
    min_messages: int = 20
    # burn rate
    objective: float = 0.001
    burn_windows: tuple[BurnWindow, ...] = ()
    # cusum
    p0: float | None = None
    p1: float | None = None
    ratio: float | None = None
    arl0: float | None = None
    h: int | None = None
    learn_messages: int = 2000

    @property
    def counter(self) -> str:
        """The bucket counter this rule reads (see ``windows.metric_names``)."""
        prefix = "" if self.direction is Direction.OUTBOUND else "in."
        return prefix + ("n" if self.metric == "messages" else self.metric)


@dataclass(frozen=True, slots=True)
class ProbeConfig:
    """One agent version the gateway probes every ``interval_s`` (one replica per interval)."""

    agent: str
    version: str
    url: str
    tenant: str = "default"
    interval_s: float = 300.0
    reply_field: str = "reply"
    timeout_s: float = 10.0
    facts: tuple[tuple[str, str], ...] = ()     # (question, the answer the reply must state)


@dataclass(frozen=True, slots=True)
class Monitoring:
    monitor: MonitorConfig = field(default_factory=MonitorConfig)
    alerts: tuple[AlertRule, ...] = ()
    breaker: BreakerConfig = field(default_factory=BreakerConfig)
    breaker_action: Action = Action.ESCALATE
    canary: CanaryConfig = field(default_factory=CanaryConfig)
    probes: tuple[ProbeConfig, ...] = ()


class _V:
    """Small typed readers that raise ``PolicyError`` naming the field."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, msg: str, fld: str) -> PolicyError:
        return PolicyError(msg, source=self.source, field=fld)

    def mapping(self, v: Any, fld: str) -> Mapping[str, Any]:
        if v is None:
            return {}
        if not isinstance(v, Mapping):
            raise self.fail("must be a mapping", fld)
        return v

    def keys(self, d: Mapping[str, Any], allowed: set[str], fld: str) -> None:
        for k in d:
            if k not in allowed:
                raise self.fail(f"unknown key (allowed: {', '.join(sorted(allowed))})", f"{fld}.{k}" if fld else k)

    def number(self, v: Any, fld: str, *, lo: float | None = None, hi: float | None = None,
               lo_open: bool = False, hi_open: bool = False) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise self.fail(f"must be a number, got {type(v).__name__}", fld)
        x = float(v)
        if lo is not None and (x < lo or (lo_open and x == lo)):
            raise self.fail(f"must be {'>' if lo_open else '>='} {lo:g}, got {x:g}", fld)
        if hi is not None and (x > hi or (hi_open and x == hi)):
            raise self.fail(f"must be {'<' if hi_open else '<='} {hi:g}, got {x:g}", fld)
        return x

    def integer(self, v: Any, fld: str, *, lo: int = 0) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.fail("must be an integer", fld)
        if v < lo:
            raise self.fail(f"must be >= {lo}, got {v}", fld)
        return v

    def share(self, v: Any, fld: str) -> float:
        """A fraction, given as 0.1 or "10%"."""
        if isinstance(v, str) and v.strip().endswith("%"):
            try:
                v = float(v.strip()[:-1]) / 100.0
            except ValueError:
                raise self.fail(f"{v!r} is not a percentage", fld) from None
        return self.number(v, fld, lo=0.0, hi=1.0)

    def boolean(self, v: Any, fld: str) -> bool:
        if not isinstance(v, bool):
            raise self.fail("must be true or false", fld)
        return v

    def enum(self, v: Any, enum: type, fld: str) -> Any:
        try:
            return enum(v)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in enum)  # type: ignore[attr-defined]
            raise self.fail(f"{v!r} is not one of: {allowed}", fld) from None

    def url(self, v: Any, fld: str) -> str:
        if not isinstance(v, str) or not re.match(r"^https?://[^\s]+$", v):
            raise self.fail("must be an http(s) URL", fld)
        return v


def _monitor(v: _V, raw: Any) -> MonitorConfig:
    d = v.mapping(raw, "monitor")
    v.keys(d, {"bucket_s", "retention_s", "evaluate_s", "flush_s", "windows_s", "min_severity", "webhooks",
               "handoff_url"}, "monitor")
    bucket = v.number(d.get("bucket_s", 10.0), "monitor.bucket_s", lo=0.001)
    retention = v.number(d.get("retention_s", 86_400.0), "monitor.retention_s", lo=bucket)
    windows = d.get("windows_s", [300, 3600])
    if not isinstance(windows, list) or not windows:
        raise v.fail("must be a non-empty list of seconds", "monitor.windows_s")
    ws = tuple(v.number(w, f"monitor.windows_s[{i}]", lo=bucket) for i, w in enumerate(windows))
    hooks = d.get("webhooks", [])
    if not isinstance(hooks, list):
        raise v.fail("must be a list", "monitor.webhooks")
    webhooks = []
    for i, h in enumerate(hooks):
        f = f"monitor.webhooks[{i}]"
        hd = v.mapping(h, f)
        v.keys(hd, {"url", "min_severity", "retries", "backoff_s", "timeout_s"}, f)
        webhooks.append(WebhookConfig(
            url=v.url(hd.get("url"), f + ".url"),
            min_severity=v.enum(hd.get("min_severity", "high"), Severity, f + ".min_severity"),
            retries=v.integer(hd.get("retries", 4), f + ".retries"),
            backoff_s=v.number(hd.get("backoff_s", 0.5), f + ".backoff_s", lo=0.0),
            timeout_s=v.number(hd.get("timeout_s", 3.0), f + ".timeout_s", lo=0.01)))
    handoff = d.get("handoff_url")
    return MonitorConfig(
        bucket_s=bucket, retention_s=retention,
        evaluate_s=v.number(d.get("evaluate_s", 10.0), "monitor.evaluate_s", lo=0.001),
        flush_s=v.number(d.get("flush_s", min(0.1, bucket)), "monitor.flush_s", lo=0.0, hi=bucket),
        windows_s=ws,
        min_severity=v.enum(d.get("min_severity", "low"), Severity, "monitor.min_severity"),
        webhooks=tuple(webhooks),
        handoff_url=None if handoff is None else v.url(handoff, "monitor.handoff_url"))


_COMMON = {"name", "kind", "metric", "severity", "direction", "trip", "agent", "channel"}
_KIND_KEYS = {"threshold": {"window_s", "above", "min_messages"},
              "burn_rate": {"objective", "windows"},
              "cusum": {"p0", "p1", "ratio", "arl0", "h", "learn_messages"}}


def _rule(v: _V, raw: Any, i: int, bucket_s: float) -> AlertRule:
    f = f"alerts[{i}]"
    d = v.mapping(raw, f)
    kind = d.get("kind")
    if kind not in _KIND_KEYS:
        raise v.fail(f"{kind!r} is not one of: {', '.join(_KIND_KEYS)}", f + ".kind")
    v.keys(d, _COMMON | _KIND_KEYS[kind], f)
    name = d.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise v.fail("must be a short name (letters, digits, . _ -)", f + ".name")
    metric = d.get("metric")
    if not isinstance(metric, str) or not _METRIC.match(metric):
        raise v.fail("must be messages, category:C, action:A, blocked:C or severity:critical", f + ".metric")
    kind_, _, value = metric.partition(":")
    if kind_ in ("category", "blocked"):
        v.enum(value, Category, f + ".metric")
    elif kind_ == "action":
        v.enum(value, Action, f + ".metric")
    common: dict[str, Any] = {
        "name": name, "kind": kind, "metric": metric,
        "severity": v.enum(d.get("severity", "high"), Severity, f + ".severity"),
        "direction": v.enum(d.get("direction", "outbound"), Direction, f + ".direction"),
        "trip": v.boolean(d.get("trip", False), f + ".trip"),
        "agent": d.get("agent"), "channel": d.get("channel"),
    }
    if kind == "threshold":
        return AlertRule(**common,
                         window_s=v.number(d.get("window_s", 300), f + ".window_s", lo=bucket_s),
                         above=v.number(d.get("above"), f + ".above", lo=0.0, hi=1.0),
                         min_messages=v.integer(d.get("min_messages", 20), f + ".min_messages", lo=1))
    if kind == "burn_rate":
        objective = v.number(d.get("objective"), f + ".objective", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
        wins = d.get("windows", [[3600, 300, 14.4], [21600, 1800, 6]])
        if not isinstance(wins, list) or not wins:
            raise v.fail("must be a list of [long_s, short_s, burn]", f + ".windows")
        bws = []
        for j, w in enumerate(wins):
            wf = f"{f}.windows[{j}]"
            if not isinstance(w, list) or len(w) != 3:
                raise v.fail("must be [long_s, short_s, burn]", wf)
            long_s = v.number(w[0], wf + "[0]", lo=bucket_s)
            short_s = v.number(w[1], wf + "[1]", lo=bucket_s, hi=long_s)
            bws.append(BurnWindow(long_s, short_s, v.number(w[2], wf + "[2]", lo=0.0, lo_open=True)))
        return AlertRule(**common, objective=objective, burn_windows=tuple(bws))
    p0 = d.get("p0")
    p0f = None if p0 is None else v.number(p0, f + ".p0", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    p1 = d.get("p1")
    ratio = d.get("ratio")
    if p1 is None and ratio is None:
        raise v.fail("give p1 (the rate to detect) or ratio (p1 = ratio * p0)", f)
    p1f = None if p1 is None else v.number(p1, f + ".p1", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    ratiof = None if ratio is None else v.number(ratio, f + ".ratio", lo=1.0, lo_open=True)
    if p0f is not None and p1f is not None and p1f <= p0f:
        raise v.fail("must be greater than p0", f + ".p1")
    if d.get("arl0") is None and d.get("h") is None:
        raise v.fail("give arl0 (mean clean replies between false alarms) or h (threshold units)", f)
    return AlertRule(**common, p0=p0f, p1=p1f, ratio=ratiof,
                     arl0=None if d.get("arl0") is None else v.number(d["arl0"], f + ".arl0", lo=10.0),
                     h=None if d.get("h") is None else v.integer(d["h"], f + ".h", lo=1),
                     learn_messages=v.integer(d.get("learn_messages", 2000), f + ".learn_messages", lo=50))


def _breaker(v: _V, raw: Any) -> tuple[BreakerConfig, Action]:
    d = v.mapping(raw, "breaker")
    v.keys(d, {"critical_findings", "window_s", "cooldown_s", "probe_share", "probe_messages", "action"},
           "breaker")
    action = v.enum(d.get("action", "escalate"), Action, "breaker.action")
    if action in (Action.ALLOW, Action.REDACT):
        raise v.fail("must be escalate or block", "breaker.action")
    return BreakerConfig(
        critical_findings=v.integer(d.get("critical_findings", 3), "breaker.critical_findings", lo=1),
        window_s=v.number(d.get("window_s", 300), "breaker.window_s", lo=0.0, lo_open=True),
        cooldown_s=v.number(d.get("cooldown_s", 600), "breaker.cooldown_s", lo=0.0),
        probe_share=v.share(d.get("probe_share", 0.1), "breaker.probe_share"),
        probe_messages=v.integer(d.get("probe_messages", 50), "breaker.probe_messages", lo=1)), action


def _canary(v: _V, raw: Any) -> CanaryConfig:
    d = v.mapping(raw, "canary")
    v.keys(d, {"promote_after", "alpha", "ratio", "categories"}, "canary")
    cats = d.get("categories", list(DEFAULT_CATEGORIES))
    if not isinstance(cats, list) or not cats:
        raise v.fail("must be a non-empty list of categories", "canary.categories")
    for i, c in enumerate(cats):
        v.enum(c, Category, f"canary.categories[{i}]")
    return CanaryConfig(
        promote_after=v.integer(d.get("promote_after", 2000), "canary.promote_after", lo=1),
        alpha=v.number(d.get("alpha", 0.001), "canary.alpha", lo=0.0, hi=1.0, lo_open=True, hi_open=True),
        ratio=v.number(d.get("ratio", 2.0), "canary.ratio", lo=1.0, lo_open=True),
        categories=tuple(str(c) for c in cats))


def _text(v: _V, raw: Any, fld: str, *, pattern: re.Pattern[str] | None = None, max_len: int = 300) -> str:
    if not isinstance(raw, str) or not raw.strip() or len(raw) > max_len:
        raise v.fail(f"must be a non-empty string of at most {max_len} characters", fld)
    if pattern is not None and not pattern.match(raw):
        raise v.fail(f"must match {pattern.pattern}", fld)
    return raw


def _probes(v: _V, raw: Any) -> tuple[ProbeConfig, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise v.fail("must be a list of probes", "probes")
    out: list[ProbeConfig] = []
    for i, item in enumerate(raw):
        f = f"probes[{i}]"
        d = v.mapping(item, f)
        v.keys(d, {"agent", "version", "url", "tenant", "interval_s", "reply_field", "timeout_s", "facts"}, f)
        for required in ("agent", "version", "url"):
            if required not in d:
                raise v.fail("is required", f"{f}.{required}")
        facts_raw = d.get("facts", [])
        if not isinstance(facts_raw, list):
            raise v.fail("must be a list of {question, answer}", f"{f}.facts")
        facts: list[tuple[str, str]] = []
        for j, fact in enumerate(facts_raw):
            ff = f"{f}.facts[{j}]"
            fd = v.mapping(fact, ff)
            v.keys(fd, {"question", "answer"}, ff)
            facts.append((_text(v, fd.get("question"), ff + ".question", max_len=2000),
                          _text(v, fd.get("answer"), ff + ".answer")))
        probe = ProbeConfig(
            agent=_text(v, d["agent"], f + ".agent", pattern=_NAME, max_len=64),
            version=_text(v, str(d["version"]) if isinstance(d["version"], int | float) else d["version"],
                          f + ".version", pattern=re.compile(r"^[A-Za-z0-9_.\-+]{1,64}$"), max_len=64),
            url=v.url(d["url"], f + ".url"),
            tenant=_text(v, d.get("tenant", "default"), f + ".tenant",
                         pattern=TENANT_RE, max_len=128),
            interval_s=v.number(d.get("interval_s", 300), f + ".interval_s", lo=10.0),
            reply_field=_text(v, d.get("reply_field", "reply"), f + ".reply_field", max_len=128),
            timeout_s=v.number(d.get("timeout_s", 10), f + ".timeout_s", lo=0.0, lo_open=True, hi=120.0),
            facts=tuple(facts))
        if any((p.tenant, p.agent, p.version) == (probe.tenant, probe.agent, probe.version) for p in out):
            raise v.fail(f"a second probe of {probe.agent} {probe.version} for tenant {probe.tenant}", f)
        out.append(probe)
    return tuple(out)


def parse_monitoring(doc: Mapping[str, Any], *, source: str = "<policy>") -> Monitoring:
    """Validate the monitoring sections of a policy document (absent sections get defaults)."""
    v = _V(source)
    monitor = _monitor(v, doc.get("monitor"))
    alerts_raw = doc.get("alerts", [])
    if alerts_raw is None:
        alerts_raw = []
    if not isinstance(alerts_raw, list):
        raise v.fail("must be a list of alert rules", "alerts")
    alerts = tuple(_rule(v, r, i, monitor.bucket_s) for i, r in enumerate(alerts_raw))
    names = [a.name for a in alerts]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise v.fail(f"duplicate alert name {n!r}", f"alerts[{i}].name")
    breaker, action = _breaker(v, doc.get("breaker"))
    return Monitoring(monitor=monitor, alerts=alerts, breaker=breaker, breaker_action=action,
                      canary=_canary(v, doc.get("canary")), probes=_probes(v, doc.get("probes")))


def load_monitoring(policy: Policy) -> Monitoring:
    return parse_monitoring(policy.document, source=policy.source)
