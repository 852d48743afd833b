"""Helpers shared by the audit tests: the backend handle, sample messages and verdicts."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from guardline.audit import AuditLog, open_audit
from guardline.keys import KeyRing
from guardline.types import Action, Category, Finding, Message, Severity, Verdict

SECRET = bytes(range(32))


@dataclass
class Backend:
    name: str
    url: str
    sql: Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]   # run raw SQL, return rows

    def open(self, **kw: Any) -> AuditLog:
        kw.setdefault("keys", KeyRing(SECRET))
        return open_audit(self.url, **kw)


def message(i: int, *, tenant: str = "acme", customer: str | None = None, conversation: str | None = None,
            text: str | None = None) -> Message:
    return Message(id=f"m{i}", tenant=tenant, conversation_id=conversation or f"conv{i % 3}",
                   customer_id=customer if customer is not None else f"cust{i % 2}", direction="outbound",
                   channel="sms", text=text or f"Hello, your order {1000 + i} ships on Monday. Mail me at a{i}@x.io",
                   grounding=[{"kind": "crm", "text": f"customer email a{i}@x.io", "id": "crm1"}],
                   metadata={"region": "US", "n": i})


def verdict(msg: Message) -> Verdict:
    m = re.search(r"[\w.]+@[\w.]*\w", msg.text)
    findings = (Finding("pii", Category.PII, "pii.email", Severity.MEDIUM, m.span(), 1.0, "e-mail address"),
                ) if m else ()
    return Verdict(action=Action.REDACT if findings else Action.ALLOW, text=msg.text, findings=findings,
                   policy="test@1", policy_hash="ab" * 32, message_id=msg.id, detectors={"pii": "1.0"},
                   latency_ms=0.5)


def fill(log: AuditLog, n: int, *, start: int = 0, **kw: Any) -> list[int]:
    seqs = []
    for i in range(start, start + n):
        m = message(i, **kw)
        seqs.append(log.append(m, verdict(m)).seq)
    return seqs
