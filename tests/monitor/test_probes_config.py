"""The policy's ``probes:`` section, validated with errors naming the field (the gateway running them:
tests/server/test_server_probes.py)."""

from __future__ import annotations

from typing import Any

import pytest

from guardline.errors import PolicyError
from guardline.monitor.config import ProbeConfig, parse_monitoring

GOOD = {"agent": "bot", "version": "2.1", "url": "http://127.0.0.1:9/agent", "tenant": "acme",
        "interval_s": 60, "facts": [{"question": "How long do returns take?", "answer": "30"}]}


def test_a_probe_is_parsed_with_defaults() -> None:
    [p] = parse_monitoring({"probes": [GOOD]}).probes
    assert p == ProbeConfig(agent="bot", version="2.1", url="http://127.0.0.1:9/agent", tenant="acme",
                            interval_s=60.0, facts=(("How long do returns take?", "30"),))
    assert parse_monitoring({}).probes == ()
    assert parse_monitoring({"probes": [{**GOOD, "version": 3}]}).probes[0].version == "3"


@pytest.mark.parametrize(("change", "field"), [
    ({"url": "ftp://x"}, "probes[0].url"),
    ({"interval_s": 1}, "probes[0].interval_s"),
    ({"agent": "a b"}, "probes[0].agent"),
    ({"facts": [{"question": "q"}]}, "probes[0].facts[0].answer"),
    ({"facts": [{"question": "q", "answer": "a", "hint": 1}]}, "probes[0].facts[0].hint"),
    ({"facts": "30 days"}, "probes[0].facts"),
    ({"colour": "red"}, "probes[0].colour"),
    ({"url": None}, "probes[0].url"),
])
def test_bad_probes_name_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(PolicyError) as err:
        parse_monitoring({"probes": [{**GOOD, **change}]})
    assert err.value.field == field


def test_missing_and_duplicate_probes() -> None:
    with pytest.raises(PolicyError) as err:
        parse_monitoring({"probes": [{"agent": "bot", "version": "1"}]})
    assert err.value.field == "probes[0].url"
    with pytest.raises(PolicyError) as err:
        parse_monitoring({"probes": [GOOD, GOOD]})
    assert err.value.field == "probes[1]"
    with pytest.raises(PolicyError) as err:
        parse_monitoring({"probes": {"agent": "bot"}})
    assert err.value.field == "probes"


def test_the_policy_loader_accepts_and_checks_probes() -> None:
    from guardline.policy import load_policy

    assert load_policy({"name": "p", "probes": [GOOD]}).document["probes"][0]["agent"] == "bot"
    with pytest.raises(PolicyError):
        load_policy({"name": "p", "probes": [{**GOOD, "url": "nope"}]})
