"""Optional OpenTelemetry spans, one per check (install ``guardline[otel]`` and configure an SDK).

Without the ``opentelemetry`` package every call here is a no-op. The span carries the verdict's
action, the policy id, the latency and, per detector that reported, the number of its findings; the
message text and finding evidence are never attached.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..types import Message, Verdict

__all__ = ["check_span", "enabled"]

try:  # pragma: no cover - depends on the optional extra
    from opentelemetry import trace as _trace

    _tracer: Any = _trace.get_tracer("guardline")
    _NO_SDK: tuple[type, ...] = (_trace.ProxyTracerProvider, _trace.NoOpTracerProvider)
except ImportError:  # pragma: no cover
    _tracer = None
    _NO_SDK = ()


def enabled() -> bool:
    return _tracer is not None


def _recording() -> bool:
    """An SDK is configured: without one every span is a no-op, and skipping it saves the per-check
    cost of opening it (the global provider is read each time, so an SDK set up later is seen)."""
    return _tracer is not None and not isinstance(_trace.get_tracer_provider(), _NO_SDK)


@contextmanager
def check_span(message: Message) -> Iterator[Any]:
    """``with check_span(msg) as record: verdict = ...; record(verdict)``."""
    if not _recording():
        yield _noop
        return
    with _tracer.start_as_current_span("guardline.check") as span:
        span.set_attribute("guardline.tenant", message.tenant)
        span.set_attribute("guardline.channel", str(message.channel))
        span.set_attribute("guardline.direction", str(message.direction))
        span.set_attribute("guardline.agent_version", message.agent.version)

        def record(verdict: Verdict) -> None:
            span.set_attribute("guardline.action", str(verdict.action))
            span.set_attribute("guardline.policy", verdict.policy)
            span.set_attribute("guardline.latency_ms", verdict.latency_ms)
            counts: dict[str, int] = {}
            for f in verdict.findings:
                counts[f.detector] = counts.get(f.detector, 0) + 1
            for detector, n in counts.items():
                span.set_attribute(f"guardline.findings.{detector}", n)

        yield record


def _noop(verdict: Verdict) -> None:
    return None
