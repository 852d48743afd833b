"""The Guard interceptor for breakers and canaries.

For every OUTBOUND reply it (1) counts the reply for the agent's running canary, (2) feeds the
reply's critical findings to its version's breaker, and (3) when that breaker is open or killed (or
half-open and this conversation is not a probe), replaces the verdict: the text becomes the policy's
fallback, the action at least ``action`` (escalate by default: a human takes over), a
``system.breaker_open`` finding is added and ``route`` names the version to send the conversation
to. A state store that fails yields a ``system.breaker_unavailable`` finding and the policy decides
(fail-closed outbound escalates by default); the interceptor never raises.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from ..errors import GuardlineError
from ..pipeline import system_finding
from ..policy import Policy, decide
from ..types import ACTION_ORDER, Action, Category, Direction, Finding, Message, Severity, Verdict
from .store import UNREAD, RolloutStore

__all__ = ["RolloutInterceptor"]

log = logging.getLogger("guardline.rollout")


class RolloutInterceptor:
    """``Guard(interceptors=[RolloutInterceptor(rollout)])``."""

    def __init__(self, rollout: RolloutStore, *, action: Action = Action.ESCALATE) -> None:
        self.rollout = rollout
        self.action = action

    def intercept(self, message: Message, verdict: Verdict, policy: Policy) -> Verdict:
        if message.direction is not Direction.OUTBOUND:
            return verdict
        tenant, agent, version = message.tenant, message.agent.name, message.agent.version
        conversation = message.conversation_id or message.customer_id or message.id
        critical = sum(1 for f in verdict.findings
                       if f.severity is Severity.CRITICAL and f.category is not Category.SYSTEM)
        try:
            categories = {str(f.category) for f in verdict.findings
                          if f.severity is not Severity.INFO and f.category is not Category.SYSTEM}
            # one round trip reads both records; a canary evaluation (rare) may kill this version's
            # breaker, so then the breaker is read again
            canary, breaker = self.rollout.read_reply(tenant, agent, version)
            after = self.rollout.observe_canary(tenant, agent, version, categories, current=canary)
            state, admitted = self.rollout.observe(tenant, agent, version, conversation, critical=critical,
                                                   current=breaker if after is canary else UNREAD)
            route = None if admitted else self.rollout.route(tenant, agent, conversation)
        except GuardlineError as exc:
            log.error("breaker state unavailable: %s", type(exc).__name__)
            finding = system_finding("breaker", "system.breaker_unavailable",
                                     f"breaker state unavailable: {type(exc).__name__}")
            findings = [*verdict.findings, finding]
            action, text = decide(policy, message, findings)
            return replace(verdict, action=action, text=text, findings=tuple(findings))
        if admitted:
            return verdict
        finding = Finding("breaker", Category.SYSTEM, "system.breaker_open", Severity.HIGH, None, 1.0,
                          f"agent {agent} version {version}: breaker {state.mode} ({state.reason})"[:300])
        action = verdict.action if ACTION_ORDER[verdict.action] >= ACTION_ORDER[self.action] else self.action
        language = message.metadata.get("language")
        text = policy.fallback(message.channel, language if isinstance(language, str) else None,
                               message.direction)
        return replace(verdict, action=action, text=text, findings=(*verdict.findings, finding),
                       route=route if route != version else None)
