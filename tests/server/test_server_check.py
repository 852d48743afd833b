"""/v1/check, auth, scopes, limits, error rendering, health and metrics through the ASGI app."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from server_helpers import Env

from guardline.server import ServerSettings


def out(text: str, **extra: object) -> dict[str, object]:
    return {"direction": "outbound", "text": text, **extra}


def test_allow_redact_block(env: Env) -> None:
    c, h = env.client, env.auth()
    r = c.post("/v1/check", json=out("All good here"), headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["action"] == "allow" and r.json()["text"] == "All good here"
    r = c.post("/v1/check", json=out("keep it hush please"), headers=h)
    assert r.json()["action"] == "redact"
    assert "hush" not in r.json()["text"] and r.json()["text"].startswith("keep it ")
    r = c.post("/v1/check", json=out("this is forbidden"), headers=h)
    body = r.json()
    assert body["action"] == "block" and "forbidden" not in body["text"]
    assert body["findings"][0]["type"] == "brand.term_high"
    assert body["audit"]["seq"] >= 1 and len(body["audit"]["hash"]) == 64


def test_batch_keeps_order_and_names_the_bad_item(env: Env) -> None:
    c, h = env.client, env.auth()
    r = c.post("/v1/check", json={"messages": [out("fine"), out("forbidden"), out("hush")]}, headers=h)
    assert [v["action"] for v in r.json()["verdicts"]] == ["allow", "block", "redact"]
    r = c.post("/v1/check", json={"messages": [out("fine"), {"direction": "sideways", "text": "x"}]},
               headers=h)
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "messages[1].direction"


@pytest.mark.parametrize("body, field", [
    ({"direction": "outbound"}, "text"),
    ({"text": "hi"}, "direction"),
    ({"direction": "outbound", "text": "   "}, "text"),
    ({"direction": "outbound", "text": "hi", "channel": "pigeon"}, "channel"),
    ({"direction": "outbound", "text": "hi", "surprise": 1}, "surprise"),
    ({"direction": "outbound", "text": "hi", "agent": {"version": ""}}, "agent.version"),
    ({"direction": "outbound", "text": "hi", "grounding": [{"kind": "kb"}]}, "grounding[0].text"),
    ({"messages": []}, "messages"),
    ([1, 2], "message"),
])
def test_invalid_messages_are_422_with_the_field(env: Env, body: object, field: str) -> None:
    r = env.client.post("/v1/check", json=body, headers=env.auth())
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid_input"
    assert r.json()["error"]["field"] == field


@pytest.mark.parametrize("raw", [b"{", b"\xff\xfe", b"nul", b"[" * 100_000])
def test_malformed_json_is_400_never_500(env: Env, raw: bytes) -> None:
    r = env.client.post("/v1/check", content=raw, headers={**env.auth(), "content-type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "bad_request"


def test_auth_missing_unknown_revoked_and_scope(env: Env) -> None:
    c = env.client
    assert c.post("/v1/check", json=out("x")).status_code == 401
    r = c.post("/v1/check", json=out("x"), headers={"Authorization": "Bearer glk_000000000000_" + "A" * 43})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert c.post("/v1/check", json=out("x"), headers={"Authorization": "Basic abc"}).status_code == 401
    # check < read < admin
    assert c.get("/v1/audit/verify", headers=env.auth(scope="check")).status_code == 403
    assert c.get("/v1/audit/verify", headers=env.auth(scope="read")).status_code == 200
    assert c.post("/v1/check", json=out("x"), headers=env.auth(scope="admin")).status_code == 200
    key_id = env.tokens["acme:check"].split("_")[1]
    assert env.keys.revoke_key("acme", key_id)
    assert c.post("/v1/check", json=out("x"), headers=env.auth()).status_code == 401


def test_tenant_comes_from_the_key(env: Env) -> None:
    r = env.client.post("/v1/check", json=out("hello", tenant="globex"), headers=env.auth("acme"))
    assert r.status_code == 403 and r.json()["error"]["field"] == "tenant"
    r = env.client.post("/v1/check", json=out("hello", tenant="acme"), headers=env.auth("acme"))
    assert r.status_code == 200


@pytest.fixture
def small(make_env: Callable[..., Env]) -> Iterator[Env]:
    yield make_env(ServerSettings(max_body_bytes=2000, max_batch=3))


def test_body_limit_declared_and_streamed(small: Env) -> None:
    c, h = small.client, small.auth()
    r = c.post("/v1/check", json=out("x" * 3000), headers=h)
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"

    def chunks() -> Iterator[bytes]:
        yield b'{"direction": "outbound", "text": "'
        for _ in range(10):
            yield b"y" * 500
        yield b'"}'

    r = c.post("/v1/check", content=chunks(), headers={**h, "content-type": "application/json"})
    assert r.status_code == 413
    r = c.post("/v1/check", json={"messages": [out("a")] * 4}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "messages"


def test_unknown_route_and_method_render_json(env: Env) -> None:
    r = env.client.get("/v1/nothing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = env.client.get("/v1/check", headers=env.auth())
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"


def test_health_ready_metrics_docs(env: Env) -> None:
    c = env.client
    assert c.get("/healthz").json() == {"status": "ok"}
    r = c.get("/readyz")
    assert r.status_code == 200 and r.json()["checks"] == {"keys": "ok", "state": "ok", "audit": "ok"}
    c.post("/v1/check", json=out("forbidden", channel="sms", agent={"version": "v7"}), headers=env.auth())
    text = c.get("/metrics").text
    assert ('guardline_checks_total{action="block",agent_version="v7",channel="sms",direction="outbound",'
            'tenant="acme"} 1.0') in text
    assert 'guardline_findings_total{severity="high",tenant="acme",type="brand.term_high"} 1.0' in text
    assert "guardline_check_duration_seconds_bucket" in text
    assert c.get("/docs").status_code == 200
    spec = c.get("/openapi.json").json()
    assert {"/v1/check", "/v1/chat/completions", "/v1/webhooks/sinch", "/v1/webhooks/twilio", "/v1/send",
            "/v1/customers/{customer_id}/identifiers", "/v1/conversations/{conversation_id}",
            "/v1/audit/verify", "/v1/audit/export", "/healthz", "/readyz", "/metrics"} <= set(spec["paths"])


def test_metrics_token(make_env: Callable[..., Env]) -> None:
    e = make_env(ServerSettings(metrics_token="t0ken"))
    assert e.client.get("/metrics").status_code == 401
    assert e.client.get("/metrics", headers={"Authorization": "Bearer t0ken"}).status_code == 200


def test_readyz_reports_a_down_store(env: Env) -> None:
    env.keys.close()
    r = env.client.get("/readyz")
    assert r.status_code == 503 and r.json()["checks"]["keys"].startswith("unavailable")


def test_no_audit_means_503_on_audit_routes(make_env: Callable[..., Env]) -> None:
    e = make_env(audit=False)
    assert e.client.get("/v1/audit/verify", headers=e.auth(scope="read")).status_code == 503
    r = e.client.post("/v1/check", json=out("hi"), headers=e.auth())
    assert r.status_code == 200 and r.json()["audit"] is None
