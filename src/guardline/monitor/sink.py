"""The Guard sink of the monitor: ``Guard(sinks=[MonitorSink(monitor)])``.

For each verdict: add it to the rolling windows (a few counter increments in the state store), hand
an escalated conversation to the hand-off hook, and (``inline=True``) evaluate the alert rules when
``monitor.evaluate_s`` has passed. A state store that fails raises ``StoreError``, which ``Guard``
turns into a ``system.sink_unavailable`` finding for the policy.
"""

from __future__ import annotations

import logging

from ..types import Action, Message, Verdict
from .engine import Monitor
from .notify import HandoffHook

__all__ = ["MonitorSink"]

log = logging.getLogger("guardline.monitor")


class MonitorSink:
    def __init__(self, monitor: Monitor, *, handoff: HandoffHook | None = None, inline: bool = False) -> None:
        self.monitor = monitor
        self.handoff = handoff
        self.inline = inline

    def handle(self, message: Message, verdict: Verdict) -> None:
        self.monitor.record(message, verdict)
        if self.handoff is not None and verdict.action is Action.ESCALATE:
            try:
                self.handoff.handle_escalation(message, verdict)
            except Exception as exc:  # the hand-off is best effort; the verdict already stands
                log.error("hand-off hook failed: %s", type(exc).__name__)
        if self.inline:
            now = self.monitor.clock()
            if self.monitor.due(now):
                self.monitor.evaluate(now)
