"""The detector protocol and the context a detector is given.

A detector returns findings and nothing else: it never decides the action, never rewrites text, and
does no I/O except through what ``Context`` hands it (the state store).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from ..errors import DetectorError
from ..normalize import Normalized
from ..types import Category, Direction, Finding, Message, Severity

if TYPE_CHECKING:
    from ..keys import KeyRing
    from ..state.base import StateStore

__all__ = ["Context", "Detector", "DetectorTimeout", "finding"]


class DetectorTimeout(DetectorError):
    """Raised by ``Context.check_deadline`` when a detector has used up its time budget."""


@dataclass(slots=True)
class Context:
    """What a detector may look at.

    - ``norm``: the normalised text and its offset map (``norm.span(s, e)`` maps back to the original);
    - ``settings``: this detector's own settings from the policy;
    - ``state``: the shared state store (fingerprints, opt-outs, counters), or None;
    - ``regions``: ISO 3166 region hints (policy first, then the message's ``metadata.region``);
    - ``deadline``: ``time.perf_counter()`` value after which the detector should stop;
    - ``keys``: the key ring (per-tenant keys for fingerprints), or None;
    - ``shared``: scratch space shared by the detectors of ONE check (e.g. PII matches computed once
      and reused by the leakage detector under key ``"pii.matches"``).
    """

    norm: Normalized
    settings: Mapping[str, Any] = field(default_factory=dict)
    state: StateStore | None = None
    regions: tuple[str, ...] = ()
    deadline: float | None = None
    keys: KeyRing | None = None
    shared: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.norm.text

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.norm.span(start, end)

    def check_deadline(self) -> None:
        """Cooperative budget check for detectors with long loops."""
        if self.deadline is not None and time.perf_counter() > self.deadline:
            raise DetectorTimeout("time budget exceeded")


@runtime_checkable
class Detector(Protocol):
    """What the pipeline runs. ``directions`` says which messages it looks at by default."""

    name: str
    version: str

    def detect(self, message: Message, ctx: Context) -> Iterable[Finding]: ...


class BaseDetector:
    """Convenience base: holds name/version/directions and builds findings with mapped spans."""

    name: ClassVar[str] = "base"
    version: ClassVar[str] = "0"
    category: ClassVar[Category] = Category.SYSTEM
    directions: ClassVar[frozenset[Direction]] = frozenset(Direction)

    def detect(self, message: Message, ctx: Context) -> Iterable[Finding]:  # pragma: no cover
        raise NotImplementedError

    def finding(self, ctx: Context, type_: str, severity: Severity, start: int | None = None,
                end: int | None = None, *, score: float = 1.0, evidence: str = "",
                category: Category | None = None) -> Finding:
        """A finding whose span (given in NORMALISED offsets) is mapped to the original text."""
        span = ctx.span(start, end) if start is not None and end is not None else None
        return Finding(self.name, category or self.category, type_, severity, span, score, evidence)


def finding(detector: str, category: Category, type_: str, severity: Severity,
            span: tuple[int, int] | None = None, *, score: float = 1.0, evidence: str = "") -> Finding:
    return Finding(detector, category, type_, severity, span, score, evidence)
