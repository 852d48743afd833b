"""Turn findings into one action and the text that may be sent."""

from __future__ import annotations

from collections.abc import Sequence

from ..redact import redact
from ..types import ACTION_ORDER, Action, Category, Finding, Message
from .schema import Policy

__all__ = ["action_for", "decide"]

_CACHE_MAX = 10_000   # finding types come from detectors: a policy meets a few hundred keys at most


def action_for(policy: Policy, finding: Finding, message: Message) -> Action:
    """The action one finding calls for: the first matching rule, else the fail mode for system
    findings, else the severity's default action."""
    key = (finding.type, finding.category, finding.severity, message.direction, message.channel)
    try:
        ruled = policy.rule_cache[key]
    except KeyError:
        ruled = next((rule.action for rule in policy.rules if rule.matches(*key)), None)
        if len(policy.rule_cache) < _CACHE_MAX:
            policy.rule_cache[key] = ruled
    if ruled is not None:
        return ruled
    if finding.category is Category.SYSTEM:
        return policy.error_action if policy.fail_closed[message.direction] else Action.ALLOW
    return policy.severity_actions[finding.severity]


def decide(policy: Policy, message: Message, findings: Sequence[Finding]) -> tuple[Action, str]:
    """The strongest action over all findings (allow < redact < escalate < block) and the text:
    the original (allow), the redacted text (redact), or the policy's fallback (escalate, block).

    A finding that asks for redaction but has no span cannot be redacted: it escalates instead.
    """
    action = Action.ALLOW
    to_redact: list[Finding] = []
    for f in findings:
        a = action_for(policy, f, message)
        if a is Action.REDACT:
            if f.span is None:
                a = Action.ESCALATE
            else:
                to_redact.append(f)
        if ACTION_ORDER[a] > ACTION_ORDER[action]:
            action = a
    if action is Action.ALLOW:
        return action, message.text
    if action is Action.REDACT:
        spans = [f.span for f in to_redact if f.span is not None]
        # a PII finding on the same value names the placeholder ([EMAIL], not [REDACTED])
        namers = [f for f in findings if f.category is Category.PII and f.span is not None
                  and f not in to_redact and any(f.span[0] < e and s < f.span[1] for s, e in spans)]
        return action, redact(message.text, [*to_redact, *namers], policy.redaction)
    language = message.metadata.get("language") if isinstance(message.metadata.get("language"), str) else None
    return action, policy.fallback(message.channel, language, message.direction)
