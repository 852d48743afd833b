"""Sinch and Twilio webhooks and the /v1/send relay, against recording servers on loopback.

The signature vectors are the providers' own published examples (Twilio's request-validation docs;
the Sinch .NET SDK's webhook test)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

import pytest
from server_helpers import Env, Recorder, json_reply

from guardline.server import ServerSettings
from guardline.server.webhooks.sinch import sinch_signature
from guardline.server.webhooks.twilio import twilio_signature

SINCH_SECRET = "sinch-secret"
TWILIO_TOKEN = "twilio-token"


def test_published_signature_vectors() -> None:
    params = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+12349013030"), ("Digits", "1234"),
              ("From", "+12349013030"), ("To", "+18005551212")]
    assert twilio_signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params) == \
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    body = ('{"app_id":"","accepted_time":"2021-10-18T17:49:13.813615Z","project_id":'
            '"e2df3a34-a71b-4448-9db5-a8d2baad28e4","contact_create_notification":{"contact":{"id":'
            '"01FJA8B466Y0R2GNXD78MD9SM1","channel_identities":[{"channel":"SMS","identity":"48123456789",'
            '"app_id":""}],"display_name":"New Test Contact","email":"new.contact@email.com","external_id":"",'
            '"metadata":"","language":"EN_US"}},"message_metadata":""}')
    assert sinch_signature("foo_secret1234", body.encode(), "01FJA8B4A7BM43YGWSG9GBV067", "1634579353") == \
        "6bpJoRmFoXVjfJIVglMoJzYXxnoxRujzR4k2GOXewOE="


def provider_env(make_env: Callable[..., Env], recorder: Callable[..., Recorder]) -> tuple[Env, Recorder, Recorder]:
    agent = recorder()
    provider = recorder(lambda r: json_reply({"sid": "SM123", "message_id": "01MSG"}, 201))
    env = make_env(ServerSettings(
        agent_url=agent.url + "/agent", webhook_tenant="acme",
        sinch_webhook_secret=SINCH_SECRET, sinch_send_url=provider.url + "/v1/projects/p/messages:send",
        sinch_token="sinch-bearer", sinch_app_id="APP1",
        twilio_auth_token=TWILIO_TOKEN, twilio_account_sid="AC1", twilio_from="+15550001111",
        twilio_send_url=provider.url + "/2010-04-01/Accounts/AC1/Messages.json"))
    return env, agent, provider


def sinch_event(text: str, **message: object) -> dict[str, object]:
    return {"app_id": "APP1", "accepted_time": "2024-06-15T14:23:45.123Z", "project_id": "p",
            "message": {"id": "01MSGIN", "direction": "TO_APP", "conversation_id": "01CONV",
                        "contact_id": "01CONTACT",
                        "channel_identity": {"channel": "WHATSAPP", "identity": "46732001122", "app_id": "APP1"},
                        "contact_message": {"text_message": {"text": text}}, **message},
            "message_metadata": ""}


def signed_sinch(body: bytes, secret: str = SINCH_SECRET, ts: str | None = None) -> dict[str, str]:
    ts = ts or str(int(time.time()))
    return {"x-sinch-webhook-signature": sinch_signature(secret, body, "nonce1", ts),
            "x-sinch-webhook-signature-nonce": "nonce1", "x-sinch-webhook-signature-timestamp": ts,
            "x-sinch-webhook-signature-algorithm": "HmacSHA256", "content-type": "application/json"}


def test_sinch_inbound_is_checked_and_forwarded(make_env: Callable[..., Env],
                                                recorder: Callable[..., Recorder]) -> None:
    env, agent, _ = provider_env(make_env, recorder)
    body = json.dumps(sinch_event("my word is hush")).encode()
    r = env.client.post("/v1/webhooks/sinch", content=body, headers=signed_sinch(body))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "forwarded" and r.json()["action"] == "redact"
    fwd = agent.requests[0].json()
    assert fwd["provider"] == "sinch" and fwd["tenant"] == "acme" and fwd["channel"] == "whatsapp"
    assert fwd["customer_id"] == "01CONTACT" and fwd["conversation_id"] == "01CONV"
    assert "hush" not in fwd["text"] and fwd["message_id"] == "01MSGIN"
    assert fwd["reply_to"] == {"provider": "sinch", "channel": "WHATSAPP", "identity": "46732001122",
                               "contact_id": "01CONTACT"}


@pytest.mark.parametrize("case", ["no-headers", "bad-signature", "stale", "other-secret"])
def test_sinch_rejects_unsigned_or_forged(make_env: Callable[..., Env], recorder: Callable[..., Recorder],
                                          case: str) -> None:
    env, agent, _ = provider_env(make_env, recorder)
    body = json.dumps(sinch_event("hello")).encode()
    headers = {"no-headers": {}, "bad-signature": {**signed_sinch(body), "x-sinch-webhook-signature": "AAAA"},
               "stale": signed_sinch(body, ts=str(int(time.time()) - 3600)),
               "other-secret": signed_sinch(body, secret="nope")}[case]
    r = env.client.post("/v1/webhooks/sinch", content=body, headers=headers)
    assert r.status_code in (401, 403) and not agent.requests


def test_sinch_ignores_other_events_and_needs_a_secret(make_env: Callable[..., Env],
                                                       recorder: Callable[..., Recorder]) -> None:
    env, agent, _ = provider_env(make_env, recorder)
    for event in ({"app_id": "APP1", "message_delivery_report": {"status": "DELIVERED"}},
                  sinch_event("", contact_message={"media_message": {"url": "https://x/y.jpg"}})):
        body = json.dumps(event).encode()
        r = env.client.post("/v1/webhooks/sinch", content=body, headers=signed_sinch(body))
        assert r.json() == {"status": "ignored"}
    assert not agent.requests
    bare = make_env()
    assert bare.client.post("/v1/webhooks/sinch", content=b"{}").status_code == 503


def twilio_post(env: Env, form: dict[str, str], *, token: str = TWILIO_TOKEN, query: str = "") -> object:
    url = "http://testserver/v1/webhooks/twilio" + (f"?{query}" if query else "")
    sig = twilio_signature(token, url, list(form.items()))
    return env.client.post(url, content=urlencode(form),
                           headers={"X-Twilio-Signature": sig,
                                    "content-type": "application/x-www-form-urlencoded"})


def test_twilio_inbound_is_checked_and_forwarded(make_env: Callable[..., Env],
                                                 recorder: Callable[..., Recorder]) -> None:
    env, agent, _ = provider_env(make_env, recorder)
    form = {"MessageSid": "SM0001", "AccountSid": "AC1", "From": "whatsapp:+14155550100",
            "To": "whatsapp:+15550001111", "Body": "this is forbidden", "NumMedia": "0"}
    r = twilio_post(env, form, query="tenant=globex")
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    assert r.headers["content-type"].startswith("text/xml")  # type: ignore[attr-defined]
    fwd = agent.requests[0].json()
    assert fwd["tenant"] == "globex" and fwd["channel"] == "whatsapp" and fwd["action"] == "block"
    assert "forbidden" not in fwd["text"]
    # the phone number is not the customer id the audit trail indexes; the agent still gets it to reply
    assert "+14155550100" not in fwd["customer_id"] and fwd["customer_id"].startswith("twilio:")
    assert fwd["reply_to"]["to"] == "whatsapp:+14155550100"


def test_twilio_rejects_forged_and_tampered(make_env: Callable[..., Env], recorder: Callable[..., Recorder]) -> None:
    env, agent, _ = provider_env(make_env, recorder)
    form = {"MessageSid": "SM2", "From": "+14155550100", "To": "+15550001111", "Body": "hi"}
    assert twilio_post(env, form, token="wrong").status_code == 403  # type: ignore[attr-defined]
    r = env.client.post("/v1/webhooks/twilio", content=urlencode(form),
                        headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 401
    # signed for one tenant, replayed to another: the URL is signed too
    sig = twilio_signature(TWILIO_TOKEN, "http://testserver/v1/webhooks/twilio?tenant=acme", list(form.items()))
    r = env.client.post("/v1/webhooks/twilio?tenant=globex", content=urlencode(form),
                        headers={"X-Twilio-Signature": sig, "content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 403 and not agent.requests


def test_send_relays_only_allowed_or_redacted(make_env: Callable[..., Env], recorder: Callable[..., Recorder]) -> None:
    env, _, provider = provider_env(make_env, recorder)
    h = env.auth()
    r = env.client.post("/v1/send", headers=h, json={
        "provider": "twilio", "to": "+14155550100",
        "message": {"text": "your code is hush", "channel": "sms", "conversation_id": "c1"}})
    assert r.status_code == 200, r.text
    assert r.json()["sent"] is True and r.json()["verdict"]["action"] == "redact"
    req = provider.requests[-1]
    assert req.path == "/2010-04-01/Accounts/AC1/Messages.json"
    form = dict(parse_qsl(req.body.decode()))
    assert form["To"] == "+14155550100" and form["From"] == "+15550001111" and "hush" not in form["Body"]
    assert req.headers["authorization"].startswith("Basic ")
    r = env.client.post("/v1/send", headers=h, json={
        "provider": "sinch", "to": "46732001122", "message": {"text": "hello there", "channel": "whatsapp"}})
    assert r.json()["sent"] is True and r.json()["provider_response"]["id"] == "SM123"
    sent = provider.requests[-1].json()
    assert sent == {"app_id": "APP1", "message": {"text_message": {"text": "hello there"}},
                    "recipient": {"identified_by": {"channel_identities": [
                        {"channel": "WHATSAPP", "identity": "46732001122"}]}}}
    assert provider.requests[-1].headers["authorization"] == "Bearer sinch-bearer"
    n = len(provider.requests)
    r = env.client.post("/v1/send", headers=h, json={
        "provider": "sinch", "contact_id": "01C", "message": {"text": "forbidden stuff"}})
    assert r.status_code == 200 and r.json()["sent"] is False and r.json()["verdict"]["action"] == "block"
    assert len(provider.requests) == n  # nothing left for the provider
    r = env.client.post("/v1/send", headers=h, json={"provider": "sinch", "to": "1",
                                                     "message": {"text": "x", "direction": "inbound"}})
    assert r.status_code == 422 and r.json()["error"]["field"] == "message.direction"
    r = env.client.post("/v1/send", headers=h, json={"provider": "carrier-pigeon", "to": "1", "message": {}})
    assert r.status_code == 422 and r.json()["error"]["field"] == "provider"
