"""``Guard``: the library entry point. Built from a policy; ``check`` a message, get a ``Verdict``.

Guard wires the pipeline to its sinks: the audit log (whose reference goes on the verdict) and any
other sinks (metrics, monitors, breakers). The pipeline itself imports none of them. A sink that fails
becomes a ``system`` finding that the policy decides on (fail-closed outbound escalates by default),
never a silent loss.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from .config import Settings, load_settings
from .errors import GuardlineError
from .keys import KeyRing
from .normalize import normalize
from .pipeline import Pipeline, system_finding
from .policy import Policy, decide, load_policy
from .state.base import StateStore
from .state.memory import MemoryStore
from .types import AuditRef, Finding, Message, Verdict
from .validation import parse_message

__all__ = ["AuditSink", "Guard", "Interceptor", "PendingCheck", "Sink"]

log = logging.getLogger("guardline")


class AuditSink(Protocol):
    def append(self, message: Message, verdict: Verdict) -> AuditRef: ...

    def close(self) -> None: ...


class Sink(Protocol):
    """Receives every verdict after the decision and the audit (metrics, monitors, counters)."""

    def handle(self, message: Message, verdict: Verdict) -> None: ...


class Interceptor(Protocol):
    """May replace the policy's verdict before it is audited (an agent version's open breaker turns
    replies into the fallback and sets ``route``). Must return a verdict; must not raise."""

    def intercept(self, message: Message, verdict: Verdict, policy: Policy) -> Verdict: ...


class Guard:
    """Checks messages against a policy. Thread-safe; share one per process."""

    def __init__(self, policy: Policy | str | Path | Mapping[str, Any] | None = None, *,
                 state: StateStore | None = None, keys: KeyRing | None = None,
                 audit: AuditSink | None = None, sinks: Sequence[Sink] = (),
                 interceptors: Sequence[Interceptor] = (), settings: Settings | None = None) -> None:
        self.settings = settings if settings is not None else load_settings()
        self.policy = policy if isinstance(policy, Policy) else load_policy(policy)
        self.state: StateStore = state if state is not None else MemoryStore()
        self.keys = keys if keys is not None else KeyRing(self.settings.secret)
        self.audit = audit
        self.sinks = tuple(sinks)
        self.interceptors = tuple(interceptors)
        self.pipeline = Pipeline(self.policy, state=self.state, keys=self.keys)

    @property
    def detector_versions(self) -> dict[str, str]:
        return dict(self.pipeline.versions)

    def check(self, message: Message | Mapping[str, Any]) -> Verdict:
        """Check one message; raises ``InvalidInput`` for a malformed one."""
        msg, verdict, findings, start = self._decide(message)
        ref: AuditRef | None = None
        failure: GuardlineError | None = None
        if self.audit is not None:
            try:
                ref = self.audit.append(msg, verdict)
            except GuardlineError as exc:
                failure = exc
        return self._finish(msg, verdict, findings, start, ref, failure)

    async def acheck(self, message: Message | Mapping[str, Any]) -> Verdict:
        """``check`` without blocking the event loop (in a worker thread)."""
        return await asyncio.to_thread(self.check, message)

    async def acheck_inline(self, message: Message | Mapping[str, Any]) -> Verdict:
        """``check`` with the detectors run on the calling event loop and only the audit commit awaited.

        For a server whose loop has no better use for the CPU than checking: no thread hand-off, and
        the checks in flight on the loop share one audit commit (an audit sink without ``aappend``
        is called as in ``check``, blocking the loop while it writes)."""
        return await self.begin_inline(message, start_audit=False).finish()

    def begin_inline(self, message: Message | Mapping[str, Any], *, start_audit: bool = True) -> PendingCheck:
        """The first half of ``acheck_inline``: run the detectors and decide now (``.decided``), start
        the audit append, and return; ``await .finish()`` gives the final verdict once the event is
        committed (a failed append turns into a ``system`` finding there, as in ``check``). Lets a
        caller overlap the commit with other waiting (the proxy's call to the model). With
        ``start_audit=False`` the append starts only in ``finish`` (no task for a caller that awaits
        at once); ``finish`` must then be awaited."""
        msg, verdict, findings, start = self._decide(message)
        recording: Awaitable[AuditRef] | None = None
        if self.audit is not None:
            aappend = getattr(self.audit, "aappend", None)
            if aappend is not None:
                recording = aappend(msg, verdict)
                if start_audit:
                    recording = asyncio.ensure_future(recording)
        return PendingCheck(self, msg, verdict, findings, start, recording)

    def _decide(self, message: Message | Mapping[str, Any]) -> tuple[Message, Verdict, list[Finding], float]:
        """Validate, run the pipeline, decide, let the interceptors have their say (nothing recorded yet)."""
        msg = parse_message(message, max_text_chars=self.settings.max_text_chars)
        start = time.perf_counter()
        findings = self.pipeline.run(msg, normalize(msg.text))
        verdict = self._verdict(msg, findings, start)
        for interceptor in self.interceptors:       # they count what they see: called once per check
            verdict = interceptor.intercept(msg, verdict, self.policy)
        return msg, verdict, findings, start

    def _finish(self, msg: Message, verdict: Verdict, findings: list[Finding], start: float,
                ref: AuditRef | None, failure: GuardlineError | None) -> Verdict:
        """Put the audit outcome on the verdict (a failed append is a ``system`` finding the policy
        decides on), then hand the verdict to every sink."""
        if failure is not None:
            log.error("audit append failed: %s", type(failure).__name__)
            findings.append(system_finding("audit", "system.audit_unavailable",
                                           f"audit store failed: {type(failure).__name__}"))
            verdict = self._verdict(msg, findings, start)
        elif ref is not None:
            verdict = _with(verdict, audit=ref, latency_ms=(time.perf_counter() - start) * 1000)
        for sink in self.sinks:
            try:
                sink.handle(msg, verdict)
            except Exception as exc:
                log.error("sink %s failed: %s", type(sink).__name__, type(exc).__name__)
                findings.append(system_finding(type(sink).__name__, "system.sink_unavailable",
                                               f"{type(sink).__name__} failed: {type(exc).__name__}"))
                verdict = _with(self._verdict(msg, findings, start), audit=verdict.audit)
        return verdict

    def register_identifiers(self, tenant: str, customer: str, values: Iterable[str]) -> int:
        """Record values (phones, emails, ids, names) as owned by a customer, for leakage detection."""
        from .detectors.leakage import register_identifiers

        return register_identifiers(self.state, self.keys, tenant, customer, values,
                                    regions=self.policy.regions)

    def close(self) -> None:
        if self.audit is not None:
            self.audit.close()

    def __enter__(self) -> Guard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _verdict(self, msg: Message, findings: list[Finding], start: float) -> Verdict:
        action, text = decide(self.policy, msg, findings)
        return Verdict(action=action, text=text, findings=tuple(findings), policy=self.policy.id,
                       policy_hash=self.policy.hash, message_id=msg.id, detectors=self.pipeline.versions,
                       latency_ms=(time.perf_counter() - start) * 1000)


class PendingCheck:
    """A check decided on the loop whose audit event may still be committing (``Guard.begin_inline``)."""

    def __init__(self, guard: Guard, msg: Message, decided: Verdict, findings: list[Finding], start: float,
                 recording: Awaitable[AuditRef] | None) -> None:
        self.guard = guard
        self.message = msg
        self.decided = decided            # the verdict before the audit (no ``audit`` reference yet)
        self._findings = findings
        self._start = start
        self._recording = recording

    async def finish(self) -> Verdict:
        g = self.guard
        ref: AuditRef | None = None
        failure: GuardlineError | None = None
        if g.audit is not None:
            try:
                if self._recording is not None:
                    ref = await self._recording
                else:                      # an audit sink without aappend: written here, blocking
                    ref = g.audit.append(self.message, self.decided)
            except GuardlineError as exc:
                failure = exc
        return g._finish(self.message, self.decided, self._findings, self._start, ref, failure)


def _with(v: Verdict, **changes: Any) -> Verdict:
    from dataclasses import replace

    return replace(v, **changes)
