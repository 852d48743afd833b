"""Canary rollout of an agent version: a PURE state machine, time passed in by the caller.

A canary sends a sticky share ``s`` of conversations to the candidate version (``assign``: the
conversation's point in [0, 1) below ``s``), the rest to the stable version, and compares them.

Rollback test (per category: leakage, hallucination, pii, ...). Count the replies with a finding of
the category: ``x_c`` from the candidate, ``x_s`` from the stable version. Under H0 (the candidate is
no worse) each such reply comes from the candidate with probability ``s`` (its share of traffic; the
events of rare categories are approximately two Poisson streams with exposures ``s`` and ``1 - s``).
Under H1 (the candidate's rate is ``R`` times the stable one) that probability is
``Rs / (Rs + 1 - s)``. The log likelihood ratio after the events seen so far is

    LLR = x_c * ln(R / (Rs + 1 - s)) - x_s * ln(Rs + 1 - s)

Its exponential is a nonnegative martingale with mean 1 under H0, so by Ville's inequality the
chance that it EVER reaches ``ln(1 / alpha)`` is at most ``alpha``, however long the canary runs and
however often it is evaluated (Wald's SPRT without an acceptance boundary). With K categories the
chance of a false rollback is at most ``K * alpha`` (Bonferroni). The LLR depends only on the counts,
so replicas can share them as plain counters.

Promotion: once the candidate has served ``promote_after`` replies without the test firing (and
without its breaker opening, which the caller reports as ``rollback``), the canary is promoted.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from .assign import share_point
from .breaker import Transition

__all__ = ["CanaryConfig", "CanaryCounts", "CanaryState", "CanaryStatus", "assign", "evaluate", "llr",
           "rollback", "start", "stop"]

DEFAULT_CATEGORIES = ("leakage", "hallucination", "pii", "secret", "brand", "compliance")


class CanaryStatus(StrEnum):
    RUNNING = "running"
    PROMOTED = "promoted"
    ROLLED_BACK = "rolled_back"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class CanaryConfig:
    promote_after: int = 2000
    alpha: float = 0.001
    ratio: float = 2.0
    categories: tuple[str, ...] = DEFAULT_CATEGORIES

    def __post_init__(self) -> None:
        if self.promote_after < 1:
            raise ValueError("promote_after must be at least 1")
        if not 0.0 < self.alpha < 1.0:
            raise ValueError("alpha must be within (0, 1)")
        if self.ratio <= 1.0:
            raise ValueError("ratio must be greater than 1")

    @property
    def boundary(self) -> float:
        return math.log(1.0 / self.alpha)


@dataclass(frozen=True, slots=True)
class CanaryState:
    agent: str
    stable: str
    candidate: str
    share: float
    status: CanaryStatus = CanaryStatus.RUNNING
    started: float = 0.0
    ended: float | None = None
    reason: str = ""

    @property
    def epoch(self) -> str:
        """Identifies this canary run (counters of earlier runs are not mixed in)."""
        return f"{self.candidate}@{self.started:.3f}"

    def to_dict(self) -> dict[str, Any]:
        return {"agent": self.agent, "stable": self.stable, "candidate": self.candidate,
                "share": self.share, "status": str(self.status), "started": self.started,
                "ended": self.ended, "reason": self.reason}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> CanaryState:
        d: dict[str, Any] = json.loads(raw)
        return cls(agent=d["agent"], stable=d["stable"], candidate=d["candidate"], share=float(d["share"]),
                   status=CanaryStatus(d["status"]), started=float(d["started"]),
                   ended=None if d.get("ended") is None else float(d["ended"]), reason=d.get("reason", ""))


@dataclass(frozen=True, slots=True)
class CanaryCounts:
    """Replies served by each version, and how many had a finding of each category."""

    stable_n: int = 0
    candidate_n: int = 0
    stable_events: Mapping[str, int] = field(default_factory=dict)
    candidate_events: Mapping[str, int] = field(default_factory=dict)


def start(agent: str, stable: str, candidate: str, share: float, now: float) -> CanaryState:
    if not 0.0 < share < 1.0:
        raise ValueError("share must be within (0, 1), e.g. 0.1 for 10%")
    if stable == candidate:
        raise ValueError("stable and candidate must be different versions")
    return CanaryState(agent, stable, candidate, share, CanaryStatus.RUNNING, now)


def assign(state: CanaryState, conversation: str) -> str:
    """The version that serves ``conversation``: sticky while running; everyone gets the candidate
    after promotion and the stable version after rollback or stop."""
    if state.status is CanaryStatus.PROMOTED:
        return state.candidate
    if state.status is not CanaryStatus.RUNNING:
        return state.stable
    return state.candidate if share_point("canary:" + state.agent, conversation) < state.share else state.stable


def llr(share: float, ratio: float, x_candidate: int, x_stable: int) -> float:
    """Log likelihood ratio of "candidate ``ratio`` times worse" against "no worse" (module doc)."""
    mix = ratio * share + 1.0 - share
    return x_candidate * math.log(ratio / mix) - x_stable * math.log(mix)


def _end(state: CanaryState, status: CanaryStatus, now: float, reason: str) -> tuple[CanaryState, list[Transition]]:
    new = replace(state, status=status, ended=now, reason=reason)
    return new, [Transition(state.status, status, now, reason)]


def evaluate(state: CanaryState, cfg: CanaryConfig, counts: CanaryCounts,
             now: float) -> tuple[CanaryState, list[Transition]]:
    """Roll back if the test fires on any category, else promote after ``promote_after`` replies."""
    if state.status is not CanaryStatus.RUNNING:
        return state, []
    for cat in cfg.categories:
        xc, xs = counts.candidate_events.get(cat, 0), counts.stable_events.get(cat, 0)
        if xc and llr(state.share, cfg.ratio, xc, xs) >= cfg.boundary:
            return _end(state, CanaryStatus.ROLLED_BACK, now,
                        f"candidate worse on {cat}: {xc}/{counts.candidate_n} vs {xs}/{counts.stable_n} "
                        f"(SPRT, R={cfg.ratio:g}, alpha={cfg.alpha:g})")
    if counts.candidate_n >= cfg.promote_after:
        return _end(state, CanaryStatus.PROMOTED, now,
                    f"{counts.candidate_n} candidate replies without a significant difference")
    return state, []


def rollback(state: CanaryState, now: float, reason: str) -> tuple[CanaryState, list[Transition]]:
    """Roll back now (the candidate's breaker opened, or an operator said so)."""
    if state.status is not CanaryStatus.RUNNING:
        return state, []
    return _end(state, CanaryStatus.ROLLED_BACK, now, reason)


def stop(state: CanaryState, now: float, reason: str = "stopped by operator") -> tuple[CanaryState, list[Transition]]:
    if state.status is not CanaryStatus.RUNNING:
        return state, []
    return _end(state, CanaryStatus.STOPPED, now, reason)
