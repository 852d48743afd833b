from __future__ import annotations

from typing import Any

import pytest

from guardline.errors import PolicyError
from guardline.monitor.config import parse_monitoring
from guardline.types import Action, Direction, Severity

GOOD: dict[str, Any] = {
    "monitor": {"bucket_s": 5, "windows_s": [60, 600],
                "webhooks": [{"url": "http://127.0.0.1:9/hook", "min_severity": "medium"}]},
    "alerts": [
        {"name": "leak", "kind": "threshold", "metric": "category:leakage", "window_s": 60, "above": 0.01,
         "severity": "critical", "trip": True},
        {"name": "pii-slo", "kind": "burn_rate", "metric": "blocked:pii", "objective": 0.001},
        {"name": "hallu", "kind": "cusum", "metric": "category:hallucination", "p0": 0.02, "p1": 0.1,
         "arl0": 1e6},
        {"name": "inj", "kind": "threshold", "metric": "category:injection", "direction": "inbound",
         "above": 0.2},
    ],
    "breaker": {"critical_findings": 2, "probe_share": "25%", "action": "block"},
    "canary": {"promote_after": 500, "categories": ["leakage", "hallucination"]},
}


def test_parses_every_section() -> None:
    m = parse_monitoring(GOOD)
    assert m.monitor.bucket_s == 5 and m.monitor.windows_s == (60.0, 600.0)
    assert m.monitor.webhooks[0].min_severity is Severity.MEDIUM
    assert [a.kind for a in m.alerts] == ["threshold", "burn_rate", "cusum", "threshold"]
    assert m.alerts[0].trip and m.alerts[0].severity is Severity.CRITICAL
    assert len(m.alerts[1].burn_windows) == 2  # the SRE-workbook default pair
    assert m.alerts[3].direction is Direction.INBOUND and m.alerts[3].counter == "in.category:injection"
    assert m.breaker.critical_findings == 2 and m.breaker.probe_share == 0.25
    assert m.breaker_action is Action.BLOCK
    assert m.canary.promote_after == 500 and m.canary.categories == ("leakage", "hallucination")


def test_defaults_when_absent() -> None:
    m = parse_monitoring({})
    assert m.alerts == () and m.breaker.critical_findings == 3 and m.breaker_action is Action.ESCALATE


def _with(section: str, value: Any) -> dict[str, Any]:
    return {**GOOD, section: value}


BAD = [
    (_with("monitor", {"bucket_s": 0}), "monitor.bucket_s"),
    (_with("monitor", {"colour": 1}), "monitor.colour"),
    (_with("monitor", {"webhooks": [{"url": "ftp://x"}]}), "monitor.webhooks[0].url"),
    (_with("alerts", {"x": 1}), "alerts"),
    (_with("alerts", [{"name": "a", "kind": "magic", "metric": "messages"}]), "alerts[0].kind"),
    (_with("alerts", [{"name": "a", "kind": "threshold", "metric": "category:nope", "above": 0.1}]),
     "alerts[0].metric"),
    (_with("alerts", [{"name": "a", "kind": "threshold", "metric": "rate", "above": 0.1}]), "alerts[0].metric"),
    (_with("alerts", [{"name": "a", "kind": "threshold", "metric": "messages", "above": 2}]), "alerts[0].above"),
    (_with("alerts", [{"name": "a", "kind": "threshold", "metric": "messages", "above": 0.1, "p0": 1}]),
     "alerts[0].p0"),
    (_with("alerts", [{"name": "a", "kind": "cusum", "metric": "messages", "p0": 0.1, "p1": 0.05, "h": 3}]),
     "alerts[0].p1"),
    (_with("alerts", [{"name": "a", "kind": "cusum", "metric": "messages", "p0": 0.1, "h": 3}]), "alerts[0]"),
    (_with("alerts", [{"name": "a", "kind": "burn_rate", "metric": "messages", "objective": 0.01,
                       "windows": [[60, 600, 2]]}]), "alerts[0].windows[0][1]"),
    (_with("alerts", [GOOD["alerts"][0], GOOD["alerts"][0]]), "alerts[1].name"),
    (_with("breaker", {"action": "allow"}), "breaker.action"),
    (_with("breaker", {"probe_share": "lots%"}), "breaker.probe_share"),
    (_with("breaker", {"critical_findings": 0}), "breaker.critical_findings"),
    (_with("canary", {"alpha": 1.5}), "canary.alpha"),
    (_with("canary", {"categories": ["weather"]}), "canary.categories[0]"),
]


@pytest.mark.parametrize(("doc", "field"), BAD, ids=[b[1] + f"-{i}" for i, b in enumerate(BAD)])
def test_errors_name_the_field(doc: dict[str, Any], field: str) -> None:
    with pytest.raises(PolicyError) as err:
        parse_monitoring(doc, source="tenant.yaml")
    assert err.value.field == field
    assert "tenant.yaml" in str(err.value)


def test_loader_keeps_the_sections_for_us() -> None:
    from guardline.monitor.config import load_monitoring
    from guardline.policy import load_policy

    policy = load_policy({**GOOD, "extends": "default"})
    assert load_monitoring(policy).alerts[0].name == "leak"
