"""Alerts: what one is, and where active and recent ones are kept (the shared state store).

An alert is one rule firing for one scope (tenant, agent, version, channel or all channels): it has
a stable id, a severity, a start time, and a resolve time once the rule stops firing. Firing and
resolving are audit events (``AuditLog.append_operator_event``, kinds ``alert.fired`` and
``alert.resolved``) and go to the notifiers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from typing import Any

from ..state.base import StateStore

__all__ = ["Alert", "AlertBook"]

_SEP = "\x1f"
_RECENT = 200


@dataclass(frozen=True, slots=True)
class Alert:
    id: str
    rule: str
    kind: str
    severity: str
    tenant: str
    agent: str
    version: str
    channel: str | None
    started: float
    value: float
    threshold: float
    summary: str
    trip: bool = False
    resolved: float | None = None

    @staticmethod
    def make_id(tenant: str, rule: str, agent: str, version: str, channel: str | None, started: float) -> str:
        raw = _SEP.join((tenant, rule, agent, version, channel or "*", f"{started:.3f}"))
        return "al_" + hashlib.sha256(raw.encode()).hexdigest()[:16]

    @property
    def scope(self) -> str:
        return _SEP.join((self.rule, self.agent, self.version, self.channel or "*"))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Alert:
        return cls(**d)

    def text(self) -> str:
        """One line for people (Slack's ``text``)."""
        state = "RESOLVED" if self.resolved is not None else "FIRING"
        where = f"{self.agent} {self.version}" + (f" on {self.channel}" if self.channel else "")
        return f"[{state}] {self.severity.upper()} {self.rule} for {where}: {self.summary} (alert {self.id})"


class AlertBook:
    """Active alerts (one per rule and scope) and the recent history, per tenant."""

    def __init__(self, state: StateStore) -> None:
        self.state = state

    def active(self, tenant: str, scope: str) -> Alert | None:
        raw = self.state.get(tenant, "alerts", "active" + _SEP + scope)
        return Alert.from_dict(json.loads(raw)) if raw else None

    def open(self, alert: Alert) -> None:
        self.state.set(alert.tenant, "alerts", "active" + _SEP + alert.scope, json.dumps(alert.to_dict()))
        self._push(alert)

    def resolve(self, alert: Alert, now: float) -> Alert:
        done = replace(alert, resolved=now)
        self.state.delete(alert.tenant, "alerts", "active" + _SEP + alert.scope)
        self._push(done)
        return done

    def _push(self, alert: Alert) -> None:
        raw = self.state.get(alert.tenant, "alerts", "recent")
        items: list[dict[str, Any]] = json.loads(raw) if raw else []
        items = [a for a in items if a["id"] != alert.id]
        items.append(alert.to_dict())
        self.state.set(alert.tenant, "alerts", "recent", json.dumps(items[-_RECENT:]))

    def recent(self, tenant: str) -> list[Alert]:
        raw = self.state.get(tenant, "alerts", "recent")
        return [Alert.from_dict(d) for d in json.loads(raw)] if raw else []

    def all_active(self, tenant: str) -> list[Alert]:
        return [a for a in self.recent(tenant) if a.resolved is None
                and (cur := self.active(tenant, a.scope)) is not None and cur.id == a.id]
