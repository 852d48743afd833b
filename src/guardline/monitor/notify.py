"""Where alerts, breaker and canary transitions, and escalations go.

- ``WebhookNotifier``: POSTs JSON with a Slack-compatible ``text`` field (plus ``kind``,
  ``severity``, ``event``, and ``id``, also sent as the ``Idempotency-Key`` header) from a background
  thread, so a slow receiver never delays a check. A 2xx answer is delivered; a network error, 408,
  429 or 5xx is retried ``retries`` times with exponential backoff (``backoff_s * 2**attempt``);
  any other 4xx is dropped at once (retrying cannot fix it). Failures are logged, never raised.
- ``LogNotifier``: the ``guardline.alerts`` logger (WARNING, ERROR for high and critical).
- ``HandoffHook`` / ``WebhookHandoff``: escalations (verdict action ``escalate``, including every
  reply replaced by an open breaker) handed to a contact-centre queue: tenant, conversation, customer,
  channel, agent and the finding types, never the message text.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..types import SEVERITY_ORDER, Message, Severity, Verdict

__all__ = ["HandoffHook", "LogNotifier", "Notification", "Notifier", "WebhookHandoff", "WebhookNotifier",
           "post_json"]

log = logging.getLogger("guardline.alerts")


@dataclass(frozen=True, slots=True)
class Notification:
    id: str
    kind: str  # alert.fired, alert.resolved, breaker.open, canary.rolled_back, ...
    severity: Severity
    text: str
    event: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "id": self.id, "kind": self.kind, "severity": str(self.severity),
                "event": self.event}


class Notifier(Protocol):
    def notify(self, notification: Notification) -> None: ...


class HandoffHook(Protocol):
    """Receives each escalated conversation (``handle_escalation``) so a human can take over."""

    def handle_escalation(self, message: Message, verdict: Verdict) -> None: ...


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_RETRY_STATUS = {408, 429}


def post_json(url: str, body: dict[str, Any], *, timeout_s: float, headers: dict[str, str] | None = None) -> int:
    """POST ``body`` as JSON; returns the HTTP status (0 for a network error)."""
    data = json.dumps(body, ensure_ascii=False).encode()
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json", "User-Agent": "guardline",
                                          **(headers or {})})
    try:
        with _OPENER.open(req, timeout=timeout_s) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError, ValueError):
        return 0


class WebhookNotifier:
    """Delivers notifications at or above ``min_severity`` to one URL, in order, from a thread."""

    def __init__(self, url: str, *, min_severity: Severity = Severity.HIGH, retries: int = 4,
                 backoff_s: float = 0.5, timeout_s: float = 3.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.url = url
        self.min_severity = min_severity
        self.retries = retries
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self._sleep = sleep
        self._queue: queue.Queue[Notification | None] = queue.Queue(maxsize=10_000)
        self.delivered = 0
        self.failed = 0
        self._thread = threading.Thread(target=self._run, name="guardline-webhook", daemon=True)
        self._thread.start()

    def notify(self, notification: Notification) -> None:
        if SEVERITY_ORDER[notification.severity] < SEVERITY_ORDER[self.min_severity]:
            return
        try:
            self._queue.put_nowait(notification)
        except queue.Full:
            self.failed += 1
            log.error("webhook queue full; dropped notification %s", notification.id)

    def deliver(self, notification: Notification) -> bool:
        """Send one notification now, with retries; True when the receiver accepted it."""
        body = notification.to_json()
        for attempt in range(self.retries + 1):
            status = post_json(self.url, body, timeout_s=self.timeout_s,
                               headers={"Idempotency-Key": notification.id})
            if 200 <= status < 300:
                return True
            if status and status < 500 and status not in _RETRY_STATUS:
                log.error("webhook refused notification %s with HTTP %d", notification.id, status)
                return False
            if attempt < self.retries:
                self._sleep(self.backoff_s * 2**attempt)
        log.error("webhook gave up on notification %s after %d attempts", notification.id, self.retries + 1)
        return False

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if self.deliver(item):
                    self.delivered += 1
                else:
                    self.failed += 1
            finally:
                self._queue.task_done()

    def flush(self) -> None:
        """Wait until everything queued has been delivered or given up."""
        self._queue.join()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)


class LogNotifier:
    def notify(self, notification: Notification) -> None:
        level = logging.ERROR if SEVERITY_ORDER[notification.severity] >= SEVERITY_ORDER[Severity.HIGH] \
            else logging.WARNING
        log.log(level, "%s", notification.text)


class WebhookHandoff:
    """Posts each escalated conversation to a contact-centre queue (through a ``WebhookNotifier``,
    so it gets the same retries and never blocks a check)."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        self._hook = WebhookNotifier(url, min_severity=Severity.INFO, **kwargs)

    def handle_escalation(self, message: Message, verdict: Verdict) -> None:
        types = sorted({f.type for f in verdict.findings})
        event = {"tenant": message.tenant, "conversation_id": message.conversation_id,
                 "customer_id": message.customer_id, "channel": str(message.channel),
                 "agent": message.agent.name, "version": message.agent.version,
                 "message_id": message.id, "findings": types,
                 "audit": verdict.audit.seq if verdict.audit else None}
        text = (f"Conversation {message.conversation_id or message.id} on {message.channel} needs a human "
                f"({', '.join(types) or 'escalated'})")
        self._hook.notify(Notification("ho_" + message.id, "handoff", Severity.HIGH, text, event))

    def flush(self) -> None:
        self._hook.flush()

    def close(self) -> None:
        self._hook.close()
