"""The check pipeline: normalise, run the enabled detectors under time budgets, collect findings.

A detector that raises, or overruns its budget, yields a ``system.detector_error`` finding (its
evidence names the detector and what happened, never the message); the policy's fail mode then
decides. Budgets are cooperative (``Context.check_deadline``) plus a check after the detector
returns: Python cannot pre-empt a running function, so a detector stuck in C code is only reported
once it returns. The pipeline imports no sink (audit, metrics, breaker): ``Guard`` wires those.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from .detectors.base import Context, Detector, DetectorTimeout
from .detectors.registry import create
from .errors import ConfigError, GuardlineError, PolicyError
from .keys import KeyRing
from .normalize import Normalized, normalize
from .policy.schema import DetectorConfig, Policy
from .state.base import StateStore
from .types import Category, Finding, Message, Severity

__all__ = ["Pipeline", "system_finding"]


def system_finding(detector: str, type_: str, evidence: str, severity: Severity = Severity.HIGH) -> Finding:
    return Finding(detector, Category.SYSTEM, type_, severity, None, 1.0, evidence)


@dataclass(frozen=True, slots=True)
class _Stage:
    config: DetectorConfig
    detector: Detector
    budget_s: float


class Pipeline:
    """Runs the detectors a policy enables. Built once per policy; thread-safe when detectors are."""

    def __init__(self, policy: Policy, *, state: StateStore | None = None, keys: KeyRing | None = None,
                 extra: Sequence[tuple[str, Detector]] = ()) -> None:
        self.policy = policy
        self.state = state
        self.keys = keys
        stages: list[_Stage] = []
        for conf in policy.detectors:
            if not conf.enabled:
                continue
            try:
                det = create(conf.name, conf.settings)
            except ConfigError as exc:
                raise PolicyError(str(exc), source=policy.source, field=f"detectors.{conf.name}") from None
            stages.append(_Stage(conf, det, conf.budget_ms / 1000.0))
        # pii runs first whatever the listed order: leakage and grounding reuse its matches
        stages.sort(key=lambda s: s.config.name != "pii")
        self._stages = tuple(stages)
        self.versions = {s.config.name: getattr(s.detector, "version", "0") for s in self._stages}

    def run(self, message: Message, norm: Normalized | None = None) -> list[Finding]:
        norm = norm if norm is not None else normalize(message.text)
        regions = self._regions(message)
        shared: dict[str, object] = {}
        findings: list[Finding] = []
        perf = time.perf_counter
        for stage in self._stages:
            if message.direction not in stage.config.directions:
                continue
            name = stage.config.name
            start = perf()
            ctx = Context(norm=norm, settings=stage.config.settings, state=self.state, regions=regions,
                          deadline=start + stage.budget_s, keys=self.keys, shared=shared)
            try:
                found = list(stage.detector.detect(message, ctx))
            except DetectorTimeout:
                findings.append(system_finding(name, "system.detector_error",
                                               f"{name}: stopped after its {stage.config.budget_ms:g} ms budget"))
                continue
            except GuardlineError as exc:
                findings.append(system_finding(name, "system.detector_error",
                                               f"{name}: {type(exc).__name__}: {_safe(exc)}"))
                continue
            except Exception as exc:  # a detector's bug must not take the gateway down
                findings.append(system_finding(name, "system.detector_error",
                                               f"{name}: raised {type(exc).__name__}"))
                continue
            elapsed = perf() - start
            if elapsed > stage.budget_s:
                findings.append(system_finding(
                    name, "system.detector_error",
                    f"{name}: overran its budget ({elapsed * 1000:.1f} ms > {stage.config.budget_ms:g} ms)"))
            findings.extend(found)
        return findings

    def _regions(self, message: Message) -> tuple[str, ...]:
        hint = message.metadata.get("region")
        if isinstance(hint, str) and len(hint) == 2:
            if hint.upper() in self.policy.regions:
                return (hint.upper(), *(r for r in self.policy.regions if r != hint.upper()))
            return (hint.upper(), *self.policy.regions)
        return self.policy.regions


def _safe(exc: GuardlineError) -> str:
    """Our own errors never carry raw values; still, keep evidence short."""
    return str(exc)[:200]
