"""The simulation harness on a few hand-written dialogues (the real ABCD data is for benchmarks)."""

from __future__ import annotations

from guardline.monitor.simulation import Dialogue, Scenario, run_scenario


def dialogues() -> list[Dialogue]:
    out = []
    for i in range(40):
        email = f"customer{i}@example.com"
        out.append(Dialogue((
            ("SYS", "Hello, how may I help you?"),
            ("USR", f"Hi, my email is {email} and my phone is (415) 555-{1000 + i:04d}."),
            ("SYS", "Thanks, I found your account."),
            ("USR", "I want to know where my order is."),
            ("SYS", "Your order is on its way."),
            ("SYS", "Is there anything else I can help you with?"),
        ), email))
    return out


def test_leaking_version_is_stopped_and_nothing_reaches_a_customer() -> None:
    result = run_scenario(dialogues(), Scenario("leak", replies=600, change_at=200, leak_rate=0.2, seed=3))
    d = result.to_dict()
    assert d["bad_replies"].get("leak", 0) > 0
    assert d["bad_replies_reached_customer"].get("leak", 0) == 0
    assert d["replies_until_breaker"] is not None and d["critical_findings_before_breaker"] <= 3
    assert d["false_alarms"] == 0


def test_clean_run_has_no_leak_alarms() -> None:
    result = run_scenario(dialogues(), Scenario("clean", replies=400, seed=4))
    assert not [a for a in result.false_alarms if a["rule"] == "critical-finding"]
