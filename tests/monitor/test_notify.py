"""Webhook delivery against a real HTTP server on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from guardline.monitor.notify import Notification, WebhookHandoff, WebhookNotifier
from guardline.types import Action, Agent, Category, Channel, Direction, Finding, Message, Severity, Verdict


class Receiver:
    """Answers the first ``fail`` POSTs with ``status``, then 200; records what it accepted."""

    def __init__(self, fail: int, status: int = 503) -> None:
        self.fail = fail
        self.status = status
        self.attempts = 0
        self.accepted: list[dict[str, Any]] = []
        self.keys: list[str | None] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.attempts += 1
                if receiver.attempts <= receiver.fail:
                    self.send_response(receiver.status)
                    self.end_headers()
                    return
                receiver.accepted.append(json.loads(body))
                receiver.keys.append(self.headers.get("Idempotency-Key"))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(fail=2)
    yield r
    r.close()


NOTE = Notification("al_1:alert.fired", "alert.fired", Severity.CRITICAL,
                    "[FIRING] CRITICAL leak for bot 1.5", {"rule": "leak"})


def test_fails_twice_then_one_notification(receiver: Receiver) -> None:
    sleeps: list[float] = []
    hook = WebhookNotifier(receiver.url, retries=4, backoff_s=0.01, sleep=sleeps.append)
    try:
        hook.notify(NOTE)
        hook.flush()
    finally:
        hook.close()
    assert receiver.attempts == 3
    assert len(receiver.accepted) == 1
    body = receiver.accepted[0]
    assert body["text"] == NOTE.text and body["kind"] == "alert.fired" and body["severity"] == "critical"
    assert receiver.keys == ["al_1:alert.fired"]
    assert sleeps == [0.01, 0.02]  # exponential backoff between the attempts
    assert hook.delivered == 1 and hook.failed == 0


def test_gives_up_after_retries() -> None:
    r = Receiver(fail=100)
    try:
        hook = WebhookNotifier(r.url, retries=2, backoff_s=0.0)
        assert hook.deliver(NOTE) is False
        hook.close()
    finally:
        r.close()
    assert r.attempts == 3 and r.accepted == []


def test_client_error_is_not_retried() -> None:
    r = Receiver(fail=100, status=400)
    try:
        hook = WebhookNotifier(r.url, retries=5, backoff_s=0.0)
        assert hook.deliver(NOTE) is False
        hook.close()
    finally:
        r.close()
    assert r.attempts == 1


def test_below_min_severity_is_not_sent(receiver: Receiver) -> None:
    hook = WebhookNotifier(receiver.url, min_severity=Severity.CRITICAL, backoff_s=0.0)
    hook.notify(Notification("x", "canary.running", Severity.LOW, "started"))
    hook.flush()
    hook.close()
    assert receiver.attempts == 0


def test_handoff_posts_the_conversation_without_its_text() -> None:
    r = Receiver(fail=0)
    try:
        handoff = WebhookHandoff(r.url, backoff_s=0.0)
        m = Message(direction=Direction.OUTBOUND, text="secret reply 4111 1111 1111 1111", tenant="t1",
                    conversation_id="conv-9", customer_id="cust-3", channel=Channel.SMS,
                    agent=Agent(name="bot", version="1.5"))
        v = Verdict(Action.ESCALATE, "fallback", (Finding("b", Category.SYSTEM, "system.breaker_open",
                                                          Severity.HIGH),), "p", "h")
        handoff.handle_escalation(m, v)
        handoff.flush()
        handoff.close()
    finally:
        r.close()
    assert len(r.accepted) == 1
    event = r.accepted[0]["event"]
    assert event["conversation_id"] == "conv-9" and event["findings"] == ["system.breaker_open"]
    assert "4111" not in json.dumps(r.accepted[0])
