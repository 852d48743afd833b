"""The policy's data types: what a loaded, validated policy holds. No I/O here."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..redact import RedactionRules
from ..types import Action, Category, Channel, Direction, Severity

__all__ = ["ActionRule", "DetectorConfig", "Policy"]


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    name: str
    enabled: bool
    directions: frozenset[Direction]
    budget_ms: float
    settings: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ActionRule:
    """Maps findings to an action; every condition given must hold (``type`` is a glob)."""

    action: Action
    type: str | None = None
    category: Category | None = None
    severities: frozenset[Severity] | None = None
    direction: Direction | None = None
    channel: Channel | None = None

    def matches(self, type_: str, category: Category, severity: Severity, direction: Direction,
                channel: Channel) -> bool:
        if self.type is not None and not (self.type == type_ or fnmatch.fnmatchcase(type_, self.type)):
            return False
        if self.category is not None and self.category != category:
            return False
        if self.severities is not None and severity not in self.severities:
            return False
        if self.direction is not None and self.direction != direction:
            return False
        return self.channel is None or self.channel == channel


@dataclass(frozen=True, slots=True)
class Policy:
    """A validated policy. ``hash`` is the SHA-256 of the canonical JSON of ``document`` (the merged
    document after ``extends:``), recorded on every verdict."""

    name: str
    hash: str
    detectors: tuple[DetectorConfig, ...]
    rules: tuple[ActionRule, ...]
    severity_actions: Mapping[Severity, Action]
    redaction: RedactionRules
    fallbacks: Mapping[str, Mapping[str, str]]
    fail_closed: Mapping[Direction, bool]
    error_action: Action
    regions: tuple[str, ...]
    audit: Mapping[str, Any]
    document: Mapping[str, Any] = field(repr=False, default_factory=dict)
    source: str = "<dict>"
    # (type, category, severity, direction, channel) -> the first matching rule's action, or None:
    # filled by ``engine.action_for``, since a policy never changes once loaded
    rule_cache: dict[tuple[str, Category, Severity, Direction, Channel], Action | None] = field(
        repr=False, compare=False, default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.name}@{self.hash[:12]}"

    def fallback(self, channel: Channel | str, language: str | None, direction: Direction) -> str:
        """The fallback text for a blocked or escalated message: channel first, then ``default``; the
        message's language first, then ``en``, then any."""
        keys = ["inbound"] if direction is Direction.INBOUND else [str(channel), "default"]
        for key in keys:
            texts = self.fallbacks.get(key)
            if not texts:
                continue
            for lang in (language, "en"):
                if lang and lang in texts:
                    return texts[lang]
            return next(iter(texts.values()))
        return ""
