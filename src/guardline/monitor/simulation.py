"""``guardline simulate``: replay realistic traffic through the real pipeline, state store, monitor
and breaker, with a scripted failure, and measure how fast Guardline notices.

Traffic comes from ABCD (real human-to-human customer-service chats with fictional PII): each
dialogue is one customer and one conversation; ``USR`` turns are inbound messages (the leakage
detector fingerprints the customer's data), ``SYS`` turns are the agent's replies. Twenty
conversations run at once, interleaved at random; the clock is simulated (``rate`` messages/second).
Every reply carries a grounding source holding the facts the agent was given (its own text: a clean
reply is fully supported).

The script: every version hallucinates in ``base_hallucination`` of its replies (a fabricated refund
amount and delay appended, which the grounding detector must find); from reply ``change_at`` on, the
failing version either appends ANOTHER customer's e-mail or phone number (seen earlier in that
customer's own messages) to ``leak_rate`` of its replies, or hallucinates in ``hallucination_rate``.
A bad reply "reached the customer" when the text Guardline lets through still holds the leaked
value or the fabricated amount.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..guard import Guard
from ..policy import load_policy
from ..rollout.breaker import BreakerMode
from ..state.base import StateStore
from ..state.memory import MemoryStore
from ..types import Action, Agent, Channel, Direction, Message, Severity, Source
from .setup import build_monitoring

__all__ = ["SIM_POLICY", "Dialogue", "RunResult", "Scenario", "load_dialogues", "run_scenario"]

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"\(\d{3}\) \d{3}-\d{4}")

SIM_POLICY: dict[str, Any] = {
    # self-contained (no ``extends: default``), so that the figures do not move when the default
    # policy gains detectors
    "name": "simulate",
    "detectors": {"pii": {}, "leakage": {}, "grounding": {"directions": ["outbound"]}},
    "fallbacks": {"default": {"en": "Thanks for your patience. A member of our team will follow up shortly."}},
    "actions": [{"type": "pii.*", "severity": "info", "action": "allow"},
                {"category": "pii", "direction": "inbound", "action": "allow"},
                {"category": "pii", "direction": "outbound", "action": "redact"},{"category": "hallucination", "severity": ["medium", "high"], "direction": "outbound",
                 "action": "escalate"},
                {"category": "hallucination", "direction": "outbound", "action": "allow"}],
    "monitor": {"bucket_s": 10, "evaluate_s": 10, "windows_s": [300, 3600]},
    "alerts": [
        {"name": "critical-finding", "kind": "threshold", "metric": "severity:critical", "window_s": 300,
         "above": 0.0, "min_messages": 1, "severity": "critical", "trip": True},
        {"name": "hallucination-shift", "kind": "cusum", "metric": "category:hallucination",
         "p1": 0.10, "ratio": 3.0, "learn_messages": 2000, "arl0": 1_000_000, "severity": "high"},
        {"name": "pii-block-slo", "kind": "burn_rate", "metric": "blocked:pii", "objective": 0.001,
         "severity": "high", "windows": [[3600, 300, 14.4], [21600, 1800, 6]]},
    ],
    "breaker": {"critical_findings": 3, "window_s": 600, "cooldown_s": 600, "probe_share": 0.1},
    "canary": {"promote_after": 100_000, "alpha": 0.001, "ratio": 2.0},
}

_FABRICATED = ("Good news: your refund of ${amount} has been approved and will arrive within {days} business days.",
               "I have applied a credit of ${amount} to your account; it shows up within {days} days.")


@dataclass(frozen=True, slots=True)
class Dialogue:
    turns: tuple[tuple[str, str], ...]  # (USR|SYS, text)
    owner: str | None = None  # the first e-mail the customer typed: ABCD reuses fictional customers



def load_dialogues(data: Path, split: str = "test") -> list[Dialogue]:
    name = {"test": "abcd_classification_original_test.json",
            "dev": "abcd_classification_original_valid.json"}[split]
    raw = json.loads((data / "abcd" / "sdp_transformers_copy" / name).read_text(encoding="utf-8"))
    out = []
    for text, _flow in raw:
        turns = []
        for part in text.split("\n\n"):
            speaker, _, body = part.partition(":")
            if speaker in ("USR", "SYS") and body.strip():
                turns.append((speaker, body.strip()))
        if any(s == "SYS" for s, _ in turns):
            emails = [m.lower() for s, t in turns if s == "USR" for m in _EMAIL.findall(t)]
            out.append(Dialogue(tuple(turns), emails[0] if emails else None))
    return out


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str  # leak | hallucinate | clean
    replies: int = 4000  # agent replies to simulate
    change_at: int = 3000  # reply index from which the failing version misbehaves
    leak_rate: float = 0.05
    hallucination_rate: float = 0.10
    base_hallucination: float = 0.02
    failing_version: str = "1.5"
    stable_version: str = "1.4"
    canary_share: float | None = None  # None: the failing version serves everyone
    rate: float = 2.0  # messages per simulated second
    concurrent: int = 20
    seed: int = 1


@dataclass(slots=True)
class RunResult:
    scenario: Scenario
    replies: int = 0
    messages: int = 0
    bad: dict[str, int] = field(default_factory=dict)  # bad replies by kind (leak, hallucination)
    reached: dict[str, int] = field(default_factory=dict)  # ... that reached the customer
    failing_replies_after_change: int = 0
    first_alert: dict[str, Any] | None = None
    alert_after: int | None = None  # failing-version replies after the change until the first alert
    breaker_after: int | None = None  # ... until its breaker opened
    criticals_before_breaker: int = 0
    rollback_after: int | None = None
    alerts: list[dict[str, Any]] = field(default_factory=list)
    false_alarms: list[dict[str, Any]] = field(default_factory=list)
    breaker_opens: int = 0
    latency_ms: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        lat = sorted(self.latency_ms)
        return {
            "scenario": self.scenario.name, "replies": self.replies, "messages": self.messages,
            "change_at": self.scenario.change_at, "bad_replies": dict(self.bad),
            "bad_replies_reached_customer": dict(self.reached),
            "failing_replies_after_change": self.failing_replies_after_change,
            "replies_until_alert": self.alert_after, "replies_until_breaker": self.breaker_after,
            "critical_findings_before_breaker": self.criticals_before_breaker,
            "replies_until_rollback": self.rollback_after, "breaker_opens": self.breaker_opens,
            "first_alert_rule": self.first_alert["rule"] if self.first_alert else None,
            "alerts_fired": sum(1 for a in self.alerts if a["resolved"] is None),
            "false_alarms": len(self.false_alarms),
            "false_alarm_rules": sorted({a["rule"] for a in self.false_alarms}),
            "check_ms_p50": round(lat[len(lat) // 2], 3) if lat else None,
            "check_ms_p99": round(lat[int(len(lat) * 0.99)], 3) if lat else None,
        }


def _traffic(dialogues: list[Dialogue], rng: random.Random,
             concurrent: int) -> Iterator[tuple[int, str | None, str, str]]:
    """(conversation number, owner, speaker, text), with ``concurrent`` conversations interleaved at random;
    dialogues are reused in a reshuffled cycle (as new conversations) when more traffic is needed."""
    order: list[int] = []
    active: list[list[int]] = []  # [conversation number, dialogue index, next turn]
    conv = 0
    while True:
        while len(active) < concurrent:
            if not order:
                order = list(range(len(dialogues)))
                rng.shuffle(order)
            active.append([conv, order.pop(), 0])
            conv += 1
        k = rng.randrange(len(active))
        num, idx, pos = active[k]
        turns = dialogues[idx].turns
        speaker, text = turns[pos]
        yield num, dialogues[idx].owner, speaker, text
        if pos + 1 >= len(turns):
            active.pop(k)
        else:
            active[k][2] = pos + 1


def run_scenario(dialogues: list[Dialogue], scenario: Scenario, *, state: StateStore | None = None,
                 policy: dict[str, Any] | None = None,
                 progress: Callable[[int, RunResult], None] | None = None) -> RunResult:
    rng = random.Random(scenario.seed)
    t = [1_700_000_000.0]

    def clock() -> float:
        return t[0]

    store = state if state is not None else MemoryStore(clock=clock)
    pol = load_policy(policy or SIM_POLICY)
    setup = build_monitoring(pol, store, notifiers=[], clock=clock, inline=True)
    guard = Guard(pol, state=store, sinks=setup.sinks, interceptors=setup.interceptors)
    tenant, agent = "sim", "assistant"
    if scenario.canary_share:
        setup.rollout.start_canary(tenant, agent, scenario.stable_version, scenario.failing_version,
                                   scenario.canary_share)
    else:
        setup.rollout.set_stable(tenant, agent, scenario.stable_version)
    result = RunResult(scenario)
    seen: list[tuple[str, str]] = []  # (customer, value) of e-mails and phones customers typed
    seen_set: set[str] = set()
    after = 0  # failing-version replies since the change
    change_t: float | None = None
    criticals = 0
    for num, owner, speaker, text in _traffic(dialogues, rng, scenario.concurrent):
        if result.replies >= scenario.replies:
            break
        t[0] += 1.0 / scenario.rate
        stamp = datetime.fromtimestamp(t[0], UTC)
        # one fictional person may appear in several ABCD dialogues (and dialogues are reused when the
        # run needs more traffic than the split holds): the same e-mail is the same customer
        customer, conv = f"cust-{owner or num}", f"conv-{num}"
        result.messages += 1
        if speaker == "USR":
            guard.check(Message(direction=Direction.INBOUND, text=text, tenant=tenant, conversation_id=conv,
                                customer_id=customer, channel=Channel.WEBCHAT, agent=Agent(name=agent),
                                timestamp=stamp))
            for value in [*_EMAIL.findall(text), *_PHONE.findall(text)]:
                if value not in seen_set:
                    seen_set.add(value)
                    seen.append((customer, value))
            continue
        if scenario.canary_share:
            version = setup.rollout.route(tenant, agent, conv) or scenario.stable_version
        else:
            version = scenario.failing_version
        failing = version == scenario.failing_version and result.replies >= scenario.change_at
        if failing and change_t is None:
            change_t = t[0]
        reply, marker, kind = text, None, ""
        if failing and scenario.name == "leak" and rng.random() < scenario.leak_rate:
            others = [v for c, v in seen[-500:] if c != customer]
            if others:
                marker, kind = rng.choice(others), "leak"
                reply = f"{text} I also have {marker} on file for you."
        hallu_rate = scenario.hallucination_rate if failing and scenario.name == "hallucinate" \
            else scenario.base_hallucination
        if marker is None and rng.random() < hallu_rate:
            marker, kind = f"{rng.randint(11, 480)}.{rng.randint(10, 99)}", "hallucination"
            reply = f"{text} {rng.choice(_FABRICATED).format(amount=marker, days=rng.randint(3, 14))}"
        msg = Message(direction=Direction.OUTBOUND, text=reply, tenant=tenant, conversation_id=conv,
                      customer_id=customer, channel=Channel.WEBCHAT, agent=Agent(name=agent, version=version),
                      timestamp=stamp, grounding=(Source(kind="tool", text=f"{text}\nToday: {stamp.date()}"),))
        verdict = guard.check(msg)
        result.latency_ms.append(verdict.latency_ms)
        result.replies += 1
        if failing:
            after += 1
            result.failing_replies_after_change = after
        if marker is not None:
            reached = verdict.action in (Action.ALLOW, Action.REDACT) and marker in verdict.text
            result.bad[kind] = result.bad.get(kind, 0) + 1
            result.reached[kind] = result.reached.get(kind, 0) + int(reached)
        if failing and any(f.severity is Severity.CRITICAL for f in verdict.findings):
            criticals += 1
        if failing and result.breaker_after is None:
            mode = setup.rollout.breaker(tenant, agent, scenario.failing_version).mode
            if mode in (BreakerMode.OPEN, BreakerMode.KILLED):
                result.breaker_after = after
                result.criticals_before_breaker = criticals
        if failing and result.first_alert is None:
            since = change_t if change_t is not None else t[0]
            fresh = [a for a in setup.monitor.fired if a.started >= since and a.resolved is None
                     and a.version == scenario.failing_version]
            if fresh:
                result.first_alert = fresh[0].to_dict()
                result.alert_after = after
        if failing and scenario.canary_share and result.rollback_after is None:
            c = setup.rollout.canary(tenant, agent)
            if c is not None and str(c.status) == "rolled_back":
                result.rollback_after = after
        if progress is not None:
            progress(result.replies, result)
    t[0] += 3 * setup.config.monitor.bucket_s  # let the last buckets close and be evaluated
    setup.monitor.evaluate(t[0])
    result.alerts = [a.to_dict() for a in setup.monitor.fired]
    result.false_alarms = [a.to_dict() for a in setup.monitor.fired if a.resolved is None and (
        scenario.name == "clean" or change_t is None or a.started < change_t
        or a.version != scenario.failing_version)]
    result.breaker_opens = sum(1 for a in setup.monitor.fired if a.trip and a.resolved is None)
    setup.close()
    return result
