"""Rollout control: breakers per agent version, canaries, probes. ``breaker`` and ``canary`` are pure
state machines; ``store`` keeps their states in the shared state store; ``interceptor`` is the Guard
hook; ``probes`` sends synthetic conversations to an agent."""

from .breaker import BreakerConfig, BreakerMode, BreakerState, Transition
from .canary import CanaryConfig, CanaryCounts, CanaryState, CanaryStatus
from .interceptor import RolloutInterceptor
from .store import RolloutStore

__all__ = ["BreakerConfig", "BreakerMode", "BreakerState", "CanaryConfig", "CanaryCounts", "CanaryState",
           "CanaryStatus", "RolloutInterceptor", "RolloutStore", "Transition"]
