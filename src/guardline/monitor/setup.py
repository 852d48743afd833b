"""Wire monitoring and rollout control into a ``Guard`` from a policy, in one call::

    setup = build_monitoring(policy, state, audit=audit_log)
    guard = Guard(policy, state=state, audit=audit_log, sinks=setup.sinks,
                  interceptors=setup.interceptors)
    setup.monitor.start()          # background rule evaluation (servers); or inline=True
    setup.start_probes(guard)      # the policy's ``probes:``, on their schedules
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..policy import Policy
from ..rollout.interceptor import RolloutInterceptor
from ..rollout.probes import Fact, HttpAgentEndpoint, ProbeRunner, ProbeScheduler
from ..rollout.store import OperatorAudit, RolloutStore
from ..state.base import StateStore
from .config import Monitoring, load_monitoring
from .engine import Monitor
from .notify import HandoffHook, LogNotifier, Notifier, WebhookHandoff, WebhookNotifier
from .sink import MonitorSink

__all__ = ["MonitoringSetup", "build_monitoring"]


@dataclass(frozen=True, slots=True)
class MonitoringSetup:
    config: Monitoring
    monitor: Monitor
    rollout: RolloutStore
    sink: MonitorSink
    interceptor: RolloutInterceptor
    notifiers: tuple[Notifier, ...]
    schedulers: list[ProbeScheduler] = field(default_factory=list)   # started by ``start_probes``

    @property
    def sinks(self) -> list[MonitorSink]:
        return [self.sink]

    @property
    def interceptors(self) -> list[RolloutInterceptor]:
        return [self.interceptor]

    def start_probes(self, guard: Any = None) -> list[ProbeScheduler]:
        """Start a scheduler for each of the policy's ``probes`` (replicas sharing the state store take
        turns); with ``guard``, probe messages are also checked by the pipeline. Stopped by ``close``."""
        for p in self.config.probes:
            runner = ProbeRunner(HttpAgentEndpoint(p.url, reply_field=p.reply_field, timeout_s=p.timeout_s),
                                 facts=[Fact(q, a) for q, a in p.facts], tenant=p.tenant, agent=p.agent,
                                 version=p.version, rollout=self.rollout, guard=guard)
            scheduler = ProbeScheduler(runner, p.interval_s, state=self.rollout.state)
            scheduler.start()
            self.schedulers.append(scheduler)
        return list(self.schedulers)

    def close(self) -> None:
        for scheduler in self.schedulers:
            scheduler.close()
        self.monitor.close()
        for n in self.notifiers:
            close = getattr(n, "close", None)
            if close is not None:
                close()
        handoff = self.sink.handoff
        if handoff is not None and hasattr(handoff, "close"):
            handoff.close()


def build_monitoring(policy: Policy, state: StateStore, *, audit: OperatorAudit | None = None,
                     notifiers: Sequence[Notifier] | None = None, handoff: HandoffHook | None = None,
                     clock: Callable[[], float] = time.time, registry: Any = None,
                     inline: bool = False, config: Monitoring | None = None) -> MonitoringSetup:
    """Validate the policy's monitoring sections (``PolicyError`` naming the field) and build the
    monitor, the shared rollout store, the sink and the interceptor. Without ``notifiers`` the
    policy's webhooks and the log are used; without ``handoff`` the policy's ``handoff_url``."""
    cfg = config if config is not None else load_monitoring(policy)
    if notifiers is None:
        notifiers = [LogNotifier(), *(WebhookNotifier(w.url, min_severity=w.min_severity, retries=w.retries,
                                                      backoff_s=w.backoff_s, timeout_s=w.timeout_s)
                                      for w in cfg.monitor.webhooks)]
    if handoff is None and cfg.monitor.handoff_url:
        handoff = WebhookHandoff(cfg.monitor.handoff_url)
    rollout = RolloutStore(state, breaker=cfg.breaker, canary=cfg.canary, audit=audit, clock=clock)
    monitor = Monitor(state, cfg, rollout=rollout, audit=audit, notifiers=notifiers, clock=clock,
                      registry=registry)
    return MonitoringSetup(cfg, monitor, rollout, MonitorSink(monitor, handoff=handoff, inline=inline),
                           RolloutInterceptor(rollout, action=cfg.breaker_action), tuple(notifiers))
