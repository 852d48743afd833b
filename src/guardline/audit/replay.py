"""Replay: recorded traffic through a new policy, and what changes.

Recorded verdict events are read in chain order, their original texts decrypted (events whose
customer was forgotten are counted as erased and skipped), each message rebuilt (ids, channel,
direction, agent, grounding, metadata, timestamp) and checked by the given guard. The report counts
transitions between the recorded and the new action; examples are shown REDACTED with the union of the
recorded and the new findings, so a policy that finds less never reveals more.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from ..errors import GuardlineError, IntegrityError, InvalidInput
from ..redact import redact_findings
from ..types import Action, Finding, Message, Verdict
from .crypto import AuditCrypto
from .store import AuditStore

__all__ = ["Change", "Recorded", "ReplayReport", "parse_since", "recorded_messages", "replay"]

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class _Checker(Protocol):
    def check(self, message: Message) -> Verdict: ...


@dataclass(frozen=True, slots=True)
class Recorded:
    tenant: str
    seq: int
    action: Action
    findings: tuple[Finding, ...]
    message: Message | None          # None: the customer's data key was destroyed


@dataclass(frozen=True, slots=True)
class Change:
    tenant: str
    seq: int
    old: Action
    new: Action
    text: str                        # redacted
    new_findings: tuple[str, ...]    # finding types of the new verdict


@dataclass(slots=True)
class ReplayReport:
    total: int = 0
    replayed: int = 0
    erased: int = 0
    failed: int = 0
    transitions: Counter[tuple[Action, Action]] = field(default_factory=Counter)
    examples: dict[str, list[Change]] = field(default_factory=dict)

    @property
    def unchanged(self) -> int:
        return sum(n for (a, b), n in self.transitions.items() if a == b)

    def count(self, kind: str) -> int:
        return sum(n for (a, b), n in self.transitions.items() if _kind(a, b) == kind)

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total, "replayed": self.replayed, "erased": self.erased, "failed": self.failed,
            "unchanged": self.unchanged, "newly_blocked": self.count("newly_blocked"),
            "newly_allowed": self.count("newly_allowed"), "changed": self.count("changed"),
            "transitions": {f"{a}->{b}": n for (a, b), n in sorted(self.transitions.items())},
            "examples": {k: [{"tenant": c.tenant, "seq": c.seq, "old": str(c.old), "new": str(c.new),
                              "text": c.text, "findings": list(c.new_findings)} for c in v]
                         for k, v in self.examples.items()},
        }


def _kind(old: Action, new: Action) -> str:
    if old == new:
        return "unchanged"
    if new == Action.BLOCK:
        return "newly_blocked"
    if new == Action.ALLOW:
        return "newly_allowed"
    return "changed"


def recorded_messages(store: AuditStore, crypto: AuditCrypto, *, tenant: str | None = None,
                      since: float | None = None) -> tuple[int, Generator[Recorded, None, None]]:
    """(how many verdict events match, an iterator over them in chain order)."""
    with store.read() as rx:
        total = rx.replay_count(tenant, since)

    def rows() -> Generator[Recorded, None, None]:
        deks: dict[tuple[str, str], bytes | None] = {}
        with store.read() as rx:
            for t, seq, entry_raw, key_id, ct in rx.replay_rows(tenant, since):
                entry = json.loads(entry_raw)
                body = entry["body"]
                findings = tuple(Finding.from_dict(f) for f in body.get("findings", ()))
                action = Action(body["action"])
                message = None
                if key_id is not None and ct is not None:
                    if (t, key_id) not in deks:
                        found = rx.wrapped_key(t, key_id)
                        deks[(t, key_id)] = None if found is None else crypto.unwrap(t, found[0], key_id, found[1])
                    dek = deks[(t, key_id)]
                    if dek is not None:
                        secret = json.loads(crypto.open(dek, ct, tenant=t, key_id=key_id, seq=seq))
                        m = body["message"]
                        message = Message(
                            id=m["id"], tenant=t, conversation_id=m["conversation"], customer_id=m["customer"],
                            channel=m["channel"], direction=m["direction"], text=secret["text"],
                            agent=m["agent"], grounding=secret.get("grounding", ()),
                            metadata=secret.get("metadata", {}), timestamp=m["timestamp"])
                yield Recorded(t, seq, action, findings, message)

    return total, rows()


def replay(checker: _Checker, recorded: Iterator[Recorded], *, examples: int = 3,
           progress: Callable[[], None] | None = None) -> ReplayReport:
    """Check each recorded message with ``checker`` (a ``Guard`` built from the new policy)."""
    report = ReplayReport()
    for rec in recorded:
        report.total += 1
        if rec.message is None:
            report.erased += 1
        else:
            try:
                verdict = checker.check(rec.message)
            except IntegrityError:
                raise
            except GuardlineError:
                report.failed += 1
            else:
                report.replayed += 1
                report.transitions[(rec.action, verdict.action)] += 1
                kind = _kind(rec.action, verdict.action)
                shown = report.examples.setdefault(kind, [])
                if kind != "unchanged" and len(shown) < examples:
                    text = redact_findings(rec.message.text, (*rec.findings, *verdict.findings))
                    shown.append(Change(rec.tenant, rec.seq, rec.action, verdict.action, text,
                                        tuple(sorted({f.type for f in verdict.findings}))))
        if progress is not None:
            progress()
    report.examples = {k: v for k, v in report.examples.items() if v}
    return report


def parse_since(value: str, *, now: float | None = None) -> float:
    """An ISO 8601 date/time (UTC when it has no zone) or a duration ago, as a Unix time."""
    now = time.time() if now is None else now
    m = _DURATION.match(value.strip())
    if m:
        return now - float(m.group(1)) * _UNITS[m.group(2)]
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{value!r}: expected an ISO date/time or a duration like 24h or 7d",
                           field="since") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()
