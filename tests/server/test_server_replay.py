"""``POST /v1/replay``: the tenant's recorded traffic through a candidate policy, over HTTP."""

from __future__ import annotations

import copy
from typing import Any

from server_helpers import POLICY, Env


def _send(env: Env, tenant: str, *texts: str) -> None:
    for i, text in enumerate(texts):
        r = env.client.post("/v1/check", json={"direction": "outbound", "text": text, "conversation_id": f"c{i}"},
                            headers=env.auth(tenant))
        assert r.status_code == 200, r.text


def _stricter() -> dict[str, Any]:
    policy = copy.deepcopy(POLICY)
    policy["name"] = "stricter"
    policy["detectors"]["srvterm"]["terms"]["hush"] = "high"  # was medium: redact -> block
    policy["detectors"]["pii"] = {}
    return policy


def _replay(env: Env, body: dict[str, Any], tenant: str = "acme", scope: str = "admin") -> Any:
    return env.client.post("/v1/replay", json=body, headers=env.auth(tenant, scope))


def test_replay_counts_what_a_stricter_policy_would_change_for_the_callers_tenant_only(env: Env) -> None:
    _send(env, "acme", "all quiet here", "please hush now, write to jane.doe@example.com", "forbidden words")
    _send(env, "globex", "hush from another tenant", "hush again")
    r = _replay(env, {"policy": _stricter(), "examples": 5})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["tenant"] == "acme" and out["matching"] == 3 and out["total"] == 3 and out["replayed"] == 3
    assert out["newly_blocked"] == 1 and out["unchanged"] == 2 and out["newly_allowed"] == 0
    assert out["transitions"] == {"allow->allow": 1, "block->block": 1, "redact->block": 1}
    [example] = out["examples"]["newly_blocked"]
    assert example["old"] == "redact" and example["new"] == "block"
    # shown with what either policy found redacted: the new one finds the address
    assert "jane.doe@example.com" not in example["text"] and "[EMAIL]" in example["text"]
    assert "brand.term_high" in example["findings"]
    # nothing was written: the recorded actions stay what they were
    again = _replay(env, {"policy": copy.deepcopy(POLICY)}).json()
    assert again["unchanged"] == 3 and again["newly_blocked"] == 0


def test_replay_takes_yaml_text_limit_and_since(env: Env) -> None:
    _send(env, "acme", "please hush now", "all quiet", "hush once more")
    yaml_text = ("name: yaml-stricter\ndetectors:\n  srvterm: {terms: {hush: high, forbidden: high}}\n"
                 "severity_actions: {info: allow, low: allow, medium: redact, high: block, critical: block}\n")
    r = _replay(env, {"policy": yaml_text, "limit": 2})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["policy"].startswith("yaml-stricter@")  # name@content hash, as the audit records it
    assert out["matching"] == 3 and out["total"] == 2 and out["newly_blocked"] == 1  # the oldest two only
    later = _replay(env, {"policy": yaml_text, "since": "2999-01-01T00:00:00"}).json()
    assert later["total"] == 0 and later["matching"] == 0
    recent = _replay(env, {"policy": yaml_text, "since": "1h"}).json()
    assert recent["total"] == 3 and recent["newly_blocked"] == 2


def test_replay_needs_an_admin_key(env: Env) -> None:
    for scope in ("check", "read"):
        r = _replay(env, {"policy": _stricter()}, scope=scope)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert env.client.post("/v1/replay", json={"policy": _stricter()}).status_code == 401


def test_a_bad_policy_or_request_gets_422_naming_what_is_wrong(env: Env) -> None:
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"policy": "name: x\ndetectors: [unclosed\n"}, "policy", "line"),
        ({"policy": "   "}, "policy", "empty"),
        ({"policy": {"name": "x", "detectors": {"no_such_detector": {}}}}, "policy", "no_such_detector"),
        ({"policy": {"name": "x", "extends": "/etc/passwd", "detectors": {}}}, "policy.extends", "default"),
        ({"policy": "extends: ../policies/other.yaml\nname: x\n"}, "policy.extends", "server's files"),
        ({"policy": _stricter(), "since": "yesterday-ish"}, "since", "duration"),
        ({"policy": _stricter(), "limit": 0}, "limit", ""),
        ({"policy": _stricter(), "limit": 10**9}, "limit", ""),
        ({"policy": _stricter(), "surprise": 1}, "surprise", ""),
        ({}, "policy", "required"),
    ]
    for body, field, words in cases:
        r = _replay(env, body)
        assert r.status_code == 422, (body, r.text)
        err = r.json()["error"]
        assert err["field"].startswith(field), (body, err)
        assert words in err["message"], (body, err)


def test_a_policy_extending_the_builtin_default_is_accepted(env: Env) -> None:
    _send(env, "acme", "all quiet here")
    r = _replay(env, {"policy": {"name": "on-default", "extends": "default"}})
    assert r.status_code == 200, r.text
    assert r.json()["total"] == 1


def test_a_second_replay_while_one_runs_gets_409(env: Env) -> None:
    from guardline.server import replay

    assert replay._running.acquire(blocking=False)  # as if another request's replay were running
    try:
        r = _replay(env, {"policy": _stricter()})
        assert r.status_code == 409 and r.json()["error"]["code"] == "busy"
    finally:
        replay._running.release()
    assert _replay(env, {"policy": _stricter()}).status_code == 200
