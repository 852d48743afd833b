"""The core types: data only, one definition each.

``Message`` and ``Source`` come from clients, so they are pydantic models that validate and name the
offending field. ``Finding`` and ``Verdict`` are produced by Guardline itself: plain frozen dataclasses
(cheap to build on the hot path) with ``to_dict``/``from_dict`` for JSON.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "ACTION_ORDER",
    "SEVERITY_ORDER",
    "TENANT_RE",
    "Action",
    "Agent",
    "AuditRef",
    "Category",
    "Channel",
    "Direction",
    "Finding",
    "Message",
    "Severity",
    "Source",
    "Verdict",
]

MAX_TEXT_CHARS = 100_000
"""Longest message text accepted; longer input is refused with a clear error (see ``config``)."""


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Channel(StrEnum):
    SMS = "sms"
    WHATSAPP = "whatsapp"
    RCS = "rcs"
    MESSENGER = "messenger"
    WEBCHAT = "webchat"
    EMAIL = "email"
    VOICE = "voice"


class Category(StrEnum):
    PII = "pii"
    SECRET = "secret"
    LEAKAGE = "leakage"
    HALLUCINATION = "hallucination"
    BRAND = "brand"
    INJECTION = "injection"
    COMPLIANCE = "compliance"
    SYSTEM = "system"


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Action(StrEnum):
    ALLOW = "allow"
    REDACT = "redact"
    ESCALATE = "escalate"
    BLOCK = "block"


SEVERITY_ORDER: dict[Severity, int] = {s: i for i, s in enumerate(Severity)}
ACTION_ORDER: dict[Action, int] = {a: i for i, a in enumerate(Action)}

SourceKind = Literal["kb", "tool", "crm", "history"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)


class Source(_Model):
    """A grounding source the agent was given: a KB passage, a tool output, a CRM record, history."""

    id: str = Field(default="", max_length=256)
    kind: SourceKind
    text: str = Field(max_length=2_000_000)
    customer_id: str | None = Field(default=None, max_length=256)


# a tenant name, wherever one arrives (messages, keys, webhooks, operator events, policies)
TENANT_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")


class Agent(_Model):
    name: str = Field(default="agent", min_length=1, max_length=128)
    version: str = Field(default="0", min_length=1, max_length=64)


class Message(_Model):
    """One message between an agent and a customer, in either direction."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex, min_length=1, max_length=256)
    tenant: str = Field(default="default", min_length=1, max_length=128, pattern=TENANT_RE.pattern)
    conversation_id: str = Field(default="", max_length=256)
    customer_id: str = Field(default="", max_length=256)
    channel: Channel = Channel.WEBCHAT
    direction: Direction
    text: str = Field(max_length=MAX_TEXT_CHARS)
    agent: Agent = Field(default_factory=Agent)
    grounding: tuple[Source, ...] = ()
    metadata: dict[str, Any] = Field(default_factory=dict)
    timestamp: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be empty")
        return v

    @field_validator("timestamp")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        return v if v.tzinfo is not None else v.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Finding:
    """What a detector reports. ``span`` is (start, end) in the ORIGINAL text; ``evidence`` never holds
    the raw value it found."""

    detector: str
    category: Category
    type: str
    severity: Severity
    span: tuple[int, int] | None = None
    score: float = 1.0
    evidence: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "category": str(self.category),
            "type": self.type,
            "severity": str(self.severity),
            "span": list(self.span) if self.span is not None else None,
            "score": round(self.score, 4),
            "evidence": self.evidence,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        span = d.get("span")
        return cls(
            detector=d["detector"],
            category=Category(d["category"]),
            type=d["type"],
            severity=Severity(d["severity"]),
            span=(int(span[0]), int(span[1])) if span else None,
            score=float(d.get("score", 1.0)),
            evidence=d.get("evidence", ""),
        )


@dataclass(frozen=True, slots=True)
class AuditRef:
    """Where a verdict sits in the audit trail: its sequence number and chain hash (hex)."""

    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision on one message."""

    action: Action
    text: str
    findings: tuple[Finding, ...]
    policy: str
    policy_hash: str
    message_id: str = ""
    detectors: dict[str, str] = field(default_factory=dict)
    latency_ms: float = 0.0
    audit: AuditRef | None = None
    route: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": self.message_id,
            "action": str(self.action),
            "text": self.text,
            "findings": [f.to_dict() for f in self.findings],
            "policy": self.policy,
            "policy_hash": self.policy_hash,
            "detectors": dict(self.detectors),
            "latency_ms": round(self.latency_ms, 3),
            "audit": {"seq": self.audit.seq, "hash": self.audit.hash} if self.audit else None,
        }
        if self.route is not None:
            out["route"] = self.route
        return out
