"""Tenant isolation: tenant A's keys can neither read nor change tenant B's data."""

from __future__ import annotations

from server_helpers import Env


def out(text: str, **extra: object) -> dict[str, object]:
    return {"direction": "outbound", "text": text, **extra}


def test_conversations_and_audit_are_per_tenant(env: Env) -> None:
    c = env.client
    for tenant in ("acme", "globex"):
        r = c.post("/v1/check", json=out(f"hello from {tenant}", conversation_id=f"conv-{tenant}"),
                   headers=env.auth(tenant))
        assert r.status_code == 200
    r = c.post("/v1/check", json=out("shared id", conversation_id="shared"), headers=env.auth("acme"))
    assert r.status_code == 200
    # B cannot read A's conversations, even knowing the id; its own are there
    assert c.get("/v1/conversations/conv-acme", headers=env.auth("globex", "admin")).status_code == 404
    assert c.get("/v1/conversations/shared", headers=env.auth("globex", "admin")).status_code == 404
    mine = c.get("/v1/conversations/conv-globex", headers=env.auth("globex", "read")).json()
    assert [e["event"]["text"] for e in mine["events"]] == ["hello from globex"]
    assert c.get("/v1/audit/export", params={"conversation": "conv-acme"},
                 headers=env.auth("globex", "read")).status_code == 404
    bundle = c.get("/v1/audit/export", params={"conversation": "conv-acme"}, headers=env.auth("acme", "read"))
    assert bundle.status_code == 200 and bundle.json()["tenant"] == "acme"
    # verify covers the caller's chain only
    v = c.get("/v1/audit/verify", headers=env.auth("globex", "read")).json()
    assert v["ok"] and v["tenant"] == "globex" and v["events"] == 1
    assert [r["tenant"] for r in v["reports"]] == ["globex"]
    # a message naming the other tenant is refused rather than written to its chain
    r = c.post("/v1/check", json=out("sneaky", tenant="acme", conversation_id="conv-acme"),
               headers=env.auth("globex"))
    assert r.status_code == 403
    assert len(c.get("/v1/conversations/conv-acme", headers=env.auth("acme", "read")).json()["events"]) == 1


def test_fingerprints_are_per_tenant(env: Env) -> None:
    c = env.client
    r = c.post("/v1/customers/alice/identifiers", json={"values": ["alice.w@example.com", "+1 415 555 0199"]},
               headers=env.auth("acme"))
    assert r.status_code == 200 and r.json()["registered"] > 0
    leak = out("Reach her at alice.w@example.com", customer_id="bob")

    def leaked(tenant: str) -> bool:
        found = c.post("/v1/check", json=leak, headers=env.auth(tenant)).json()["findings"]
        return any(f["type"] == "leakage.cross_customer" for f in found)

    assert leaked("acme")
    # the same reply in tenant B is not a leak: B never registered alice
    assert not leaked("globex")
    # B cannot forget A's customer: its delete acts on its own (empty) tenant
    r = c.delete("/v1/customers/alice/identifiers", headers=env.auth("globex", "admin"))
    assert r.status_code == 200 and r.json()["fingerprints_removed"] == 0
    assert leaked("acme")
    # forgetting needs admin, and then works for the owner
    assert c.delete("/v1/customers/alice/identifiers", headers=env.auth("acme", "read")).status_code == 403
    r = c.delete("/v1/customers/alice/identifiers", headers=env.auth("acme", "admin"))
    assert r.json()["fingerprints_removed"] > 0
    assert not leaked("acme")


def test_state_records_written_through_one_tenant_stay_there(env: Env) -> None:
    """Opt-outs and breaker state live in the state store under the message's tenant, which the gateway
    pins to the key's tenant; a record of A is invisible to B's state view."""
    env.guard.state.set("acme", "optout", "cust-1", "1")
    assert env.guard.state.get("globex", "optout", "cust-1") is None
    r = env.client.post("/v1/check", json={"direction": "inbound", "text": "STOP", "tenant": "acme"},
                        headers=env.auth("globex"))
    assert r.status_code == 403


def test_erase_audit_texts(env: Env) -> None:
    c = env.client
    c.post("/v1/check", json=out("bye", customer_id="carol", conversation_id="k1"), headers=env.auth("acme"))
    r = c.delete("/v1/customers/carol/identifiers", params={"erase_audit": "true"},
                 headers=env.auth("acme", "admin"))
    assert r.status_code == 200
    v = c.get("/v1/audit/verify", headers=env.auth("acme", "read")).json()
    assert v["ok"]  # the chain still verifies after crypto-shredding
