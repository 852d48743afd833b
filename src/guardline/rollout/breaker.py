"""The circuit breaker of one agent version: a PURE state machine, time passed in by the caller.

States and transitions (every transition is returned as a ``Transition`` for the caller to audit)::

    closed --(N critical findings within window_s)------------------> open
    closed / half_open --(alert marked trip: true)------------------> open
    open --(cooldown_s elapsed; checked by tick)--------------------> half_open
    half_open --(a critical finding in a probe reply)---------------> open
    half_open --(probe_messages clean probe replies)----------------> closed
    any --(kill, manual)--------------------------------------------> killed
    killed --(unkill, manual)----------------------------------------> closed

While open or killed the version serves nothing: every reply gets the policy's fallback and the caller
is told to route to the stable version. While half-open it serves the conversations whose sticky
point (``assign.share_point``) is below ``probe_share``; the rest still get the fallback.
Nothing here does I/O or reads a clock; ``rollout.store`` persists states in the state store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from .assign import share_point

__all__ = ["BreakerConfig", "BreakerMode", "BreakerState", "Transition", "admits", "kill", "record",
           "tick", "trip", "unkill"]


class BreakerMode(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"
    KILLED = "killed"


@dataclass(frozen=True, slots=True)
class BreakerConfig:
    critical_findings: int = 3
    window_s: float = 300.0
    cooldown_s: float = 600.0
    probe_share: float = 0.1
    probe_messages: int = 50

    def __post_init__(self) -> None:
        if self.critical_findings < 1:
            raise ValueError("critical_findings must be at least 1")
        if self.window_s <= 0 or self.cooldown_s < 0:
            raise ValueError("window_s must be positive and cooldown_s not negative")
        if not 0.0 <= self.probe_share <= 1.0:
            raise ValueError("probe_share must be within 0..1")
        if self.probe_messages < 1:
            raise ValueError("probe_messages must be at least 1")


@dataclass(frozen=True, slots=True)
class BreakerState:
    mode: BreakerMode = BreakerMode.CLOSED
    since: float = 0.0
    reason: str = ""
    criticals: tuple[float, ...] = ()
    probes_clean: int = 0
    trips: int = 0

    @property
    def serving(self) -> bool:
        return self.mode is BreakerMode.CLOSED

    def to_json(self) -> str:
        return json.dumps({"mode": str(self.mode), "since": self.since, "reason": self.reason,
                           "criticals": list(self.criticals), "probes_clean": self.probes_clean,
                           "trips": self.trips}, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | None) -> BreakerState:
        if not raw:
            return cls()
        d: dict[str, Any] = json.loads(raw)
        return cls(mode=BreakerMode(d["mode"]), since=float(d["since"]), reason=str(d.get("reason", "")),
                   criticals=tuple(float(t) for t in d.get("criticals", ())),
                   probes_clean=int(d.get("probes_clean", 0)), trips=int(d.get("trips", 0)))


@dataclass(frozen=True, slots=True)
class Transition:
    """One state change (of a breaker or a canary): what it was, what it is, when, and why."""

    before: str
    after: str
    at: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"from": str(self.before), "to": str(self.after), "at": self.at, "reason": self.reason}


Step = tuple[BreakerState, list[Transition]]


def _go(state: BreakerState, mode: BreakerMode, now: float, reason: str, **changes: Any) -> Step:
    new = replace(state, mode=mode, since=now, reason=reason, **changes)
    return new, [Transition(state.mode, mode, now, reason)]


def tick(state: BreakerState, cfg: BreakerConfig, now: float) -> Step:
    """Let time pass: an open breaker becomes half-open once its cool-down is over."""
    if state.mode is BreakerMode.OPEN and now - state.since >= cfg.cooldown_s:
        return _go(state, BreakerMode.HALF_OPEN, now, f"cool-down of {cfg.cooldown_s:g} s over",
                   probes_clean=0)
    return state, []


def record(state: BreakerState, cfg: BreakerConfig, now: float, *, critical: int = 0,
           probe: bool = False) -> Step:
    """A reply of this version was checked: ``critical`` is its number of critical findings;
    ``probe`` says it was served while half-open (a probe reply)."""
    state, out = tick(state, cfg, now)
    if state.mode is BreakerMode.CLOSED:
        if critical <= 0:
            return state, out
        recent = tuple(t for t in state.criticals if t > now - cfg.window_s) + (now,) * critical
        if len(recent) >= cfg.critical_findings:
            new, moved = _go(state, BreakerMode.OPEN, now,
                             f"{len(recent)} critical findings within {cfg.window_s:g} s",
                             criticals=(), trips=state.trips + 1)
            return new, out + moved
        return replace(state, criticals=recent), out
    if state.mode is BreakerMode.HALF_OPEN and probe:
        if critical > 0:
            new, moved = _go(state, BreakerMode.OPEN, now, "critical finding in a half-open probe reply",
                             probes_clean=0, trips=state.trips + 1)
            return new, out + moved
        clean = state.probes_clean + 1
        if clean >= cfg.probe_messages:
            new, moved = _go(state, BreakerMode.CLOSED, now, f"{clean} clean probe replies",
                             probes_clean=0, criticals=())
            return new, out + moved
        return replace(state, probes_clean=clean), out
    return state, out


def trip(state: BreakerState, cfg: BreakerConfig, now: float, reason: str) -> Step:
    """Open on an alert marked ``trip: true``. A killed breaker stays killed; an open one stays open
    (its cool-down is not restarted)."""
    state, out = tick(state, cfg, now)
    if state.mode in (BreakerMode.CLOSED, BreakerMode.HALF_OPEN):
        new, moved = _go(state, BreakerMode.OPEN, now, reason, criticals=(), probes_clean=0,
                         trips=state.trips + 1)
        return new, out + moved
    return state, out


def kill(state: BreakerState, now: float, reason: str = "manual kill") -> Step:
    if state.mode is BreakerMode.KILLED:
        return state, []
    return _go(state, BreakerMode.KILLED, now, reason, criticals=(), probes_clean=0)


def unkill(state: BreakerState, now: float, reason: str = "manual unkill") -> Step:
    """Back to closed from any state (the operator's word overrides the cool-down)."""
    if state.mode is BreakerMode.CLOSED:
        return state, []
    return _go(state, BreakerMode.CLOSED, now, reason, criticals=(), probes_clean=0)


def admits(state: BreakerState, cfg: BreakerConfig, conversation: str, *, salt: str = "") -> bool:
    """Whether this version may serve ``conversation`` now (call ``tick`` first)."""
    if state.mode is BreakerMode.CLOSED:
        return True
    if state.mode is BreakerMode.HALF_OPEN:
        return share_point("probe:" + salt, conversation) < cfg.probe_share
    return False
