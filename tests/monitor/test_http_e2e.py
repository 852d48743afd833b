"""End to end through the HTTP API: two gateway replicas sharing one Redis state store (and one
key/audit database). A breaker opened by criticals seen on both replicas, a kill over the API on one
replica and a canary started on the other all take effect on both."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mon_helpers import POLICY

from guardline import Guard
from guardline.config import Settings
from guardline.keys import KeyRing
from guardline.monitor.setup import build_monitoring
from guardline.policy import load_policy
from guardline.server import KeyStore, ServerSettings, create_app

with warnings.catch_warnings():
    from starlette.exceptions import StarletteDeprecationWarning

    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

SECRET = b"k" * 32


class Replica:
    def __init__(self, redis_url: str, prefix: str, db: str) -> None:
        from guardline.state.redis import RedisStore

        self.state = RedisStore(redis_url, prefix=prefix)
        policy = load_policy(POLICY)
        self.setup = build_monitoring(policy, self.state, notifiers=[])
        self.guard = Guard(policy, state=self.state, keys=KeyRing(SECRET), sinks=self.setup.sinks,
                           interceptors=self.setup.interceptors, settings=Settings(secret=SECRET))
        self.keys = KeyStore(db)
        app = create_app(ServerSettings(), guard=self.guard, keys=self.keys, monitoring=self.setup)
        self.client = TestClient(app, raise_server_exceptions=False)
        self.client.__enter__()

    def close(self) -> None:
        self.client.__exit__(None, None, None)
        self.setup.close()
        self.guard.close()
        self.keys.close()
        self.state.close()


@pytest.fixture
def replicas(redis_url: str, tmp_path: Path) -> Iterator[tuple[Replica, Replica, dict[str, str]]]:
    prefix = "gle2e" + uuid.uuid4().hex[:8]
    db = f"sqlite:///{tmp_path / 'keys.db'}"
    ks = KeyStore(db)
    tokens = {}
    for tenant in ("acme", "globex"):
        ks.create_tenant(tenant)
        for scope in ("check", "read", "admin"):
            tokens[f"{tenant}:{scope}"] = ks.create_key(tenant, scope)[0]
    ks.close()
    a, b = Replica(redis_url, prefix, db), Replica(redis_url, prefix, db)
    yield a, b, tokens
    import redis

    r = redis.Redis.from_url(redis_url)
    for key in r.scan_iter(match=f"{prefix}:*"):
        r.delete(key)
    r.close()
    a.close()
    b.close()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def reply(text: str, version: str = "1.5", conv: str = "c1") -> dict[str, Any]:
    return {"direction": "outbound", "text": text, "conversation_id": conv, "customer_id": "u-" + conv,
            "channel": "sms", "agent": {"name": "bot", "version": version}}


def test_two_replicas_share_breakers_kills_and_canaries(replicas: tuple[Replica, Replica, dict[str, str]]) -> None:
    a, b, tok = replicas
    check, read, admin = auth(tok["acme:check"]), auth(tok["acme:read"]), auth(tok["acme:admin"])
    # a canary started on replica A routes conversations the same way on replica B
    r = a.client.post("/v1/agents/bot/canary", json={"stable": "1.4", "candidate": "1.5", "share": 0.5},
                      headers=admin)
    assert r.status_code == 200, r.text
    routes_a = [a.client.get("/v1/route", params={"agent": "bot", "conversation_id": f"c{i}"}, headers=check)
                .json()["version"] for i in range(20)]
    routes_b = [b.client.get("/v1/route", params={"agent": "bot", "conversation_id": f"c{i}"}, headers=check)
                .json()["version"] for i in range(20)]
    assert routes_a == routes_b and set(routes_a) == {"1.4", "1.5"}
    # three critical findings of 1.5, split across the replicas, open its breaker for both
    for client, conv in ((a, "x1"), (b, "x2"), (a, "x3")):
        v = client.client.post("/v1/check", json=reply("oops LEAK", conv=conv), headers=check).json()
        assert v["action"] == "block"
    v = b.client.post("/v1/check", json=reply("all good", conv="x4"), headers=check).json()
    assert v["action"] == "escalate" and v["route"] == "1.4"
    assert "system.breaker_open" in {f["type"] for f in v["findings"]}
    # ... which rolled the canary back: every conversation now goes to 1.4
    assert {a.client.get("/v1/route", params={"agent": "bot", "conversation_id": f"c{i}"}, headers=check)
            .json()["version"] for i in range(20)} == {"1.4"}
    status = b.client.get("/v1/agents", headers=read).json()
    assert status["canaries"]["bot"]["status"] == "rolled_back"
    # kill over the API on B, seen by A at once; unkill on A, seen by B
    r = b.client.post("/v1/agents/bot/versions/1.4/kill", json={"reason": "incident 42"}, headers=admin)
    assert r.status_code == 200 and r.json()["mode"] == "killed"
    assert a.client.post("/v1/check", json=reply("hello", version="1.4"), headers=check).json()["action"] == "escalate"
    assert a.client.post("/v1/agents/bot/versions/1.4/unkill", headers=admin).json()["mode"] == "closed"
    assert b.client.post("/v1/check", json=reply("hello", version="1.4"), headers=check).json()["action"] == "allow"
    # the monitor view sums both replicas' traffic: B's counters reach the shared store within its
    # flush_s (background thread); flushed here so the test does not wait for it
    b.setup.monitor.flush()
    snap = a.client.get("/v1/monitor", headers=read).json()
    by_version = {s["version"]: s["windows"]["300s"]["outbound"]["messages"] for s in snap["series"]}
    assert by_version == {"1.5": 4, "1.4": 2}


def test_scopes_and_tenants(replicas: tuple[Replica, Replica, dict[str, str]]) -> None:
    a, _, tok = replicas
    r = a.client.post("/v1/agents/bot/versions/1.5/kill", headers=auth(tok["acme:read"]))
    assert r.status_code == 403
    assert a.client.get("/v1/monitor", headers=auth(tok["acme:check"])).status_code == 403
    assert a.client.get("/v1/monitor").status_code == 401
    a.client.post("/v1/agents/bot/versions/1.5/kill", headers=auth(tok["acme:admin"]))
    # another tenant's replies from "bot 1.5" are unaffected by acme's kill
    v = a.client.post("/v1/check", json=reply("hello"), headers=auth(tok["globex:check"])).json()
    assert v["action"] == "allow"
    other = a.client.get("/v1/agents", headers=auth(tok["globex:read"])).json()
    assert other["breakers"] == []
    bad = a.client.post("/v1/agents/bot/canary", json={"stable": "1", "candidate": "1", "share": 0.1},
                        headers=auth(tok["acme:admin"]))
    assert bad.status_code == 422
    assert a.client.delete("/v1/agents/nobody/canary", headers=auth(tok["acme:admin"])).status_code == 404
