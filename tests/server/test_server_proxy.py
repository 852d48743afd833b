"""The OpenAI-compatible proxy against a recording upstream on loopback."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from server_helpers import Env, Recorded, Recorder, completion, json_reply

from guardline.server import ServerSettings


def proxy_env(make_env: Callable[..., Env], recorder: Callable[..., Recorder],
              reply: Callable[[Recorded], tuple[int, dict[str, str], bytes]]) -> tuple[Env, Recorder]:
    upstream = recorder(reply)
    env = make_env(ServerSettings(upstream_url=upstream.url + "/v1", upstream_api_key="up-key"))
    return env, upstream


HEADERS = {"X-Guardline-Customer": "cust-1", "X-Guardline-Conversation": "conv-9",
           "X-Guardline-Channel": "sms", "X-Guardline-Agent-Version": "2.1"}


def chat(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"model": "fake-model", "messages": list(messages), **extra}


def test_allowed_reply_passes_and_request_is_forwarded(make_env: Callable[..., Env],
                                                       recorder: Callable[..., Recorder]) -> None:
    env, up = proxy_env(make_env, recorder, lambda r: json_reply(completion("Your order ships Monday.")))
    body = chat({"role": "system", "content": "Orders ship on Monday."},
                {"role": "user", "content": "When does it ship?"},
                guardline={"grounding": [{"kind": "crm", "text": "order 1 placed"}]}, temperature=0.2)
    r = env.client.post("/v1/chat/completions", json=body, headers={**env.auth(), **HEADERS})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["choices"][0]["message"]["content"] == "Your order ships Monday."
    assert data["guardline"]["outbound"][0]["action"] == "allow"
    assert data["guardline"]["inbound"]["action"] == "allow"
    assert r.headers["x-guardline-action"] == "allow"
    sent = up.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer up-key"  # the upstream's key, never the caller's
    forwarded = sent.json()
    assert "guardline" not in forwarded and forwarded["stream"] is False and forwarded["temperature"] == 0.2


def test_inbound_is_redacted_before_the_upstream_and_outbound_blocked(make_env: Callable[..., Env],
                                                                      recorder: Callable[..., Recorder]) -> None:
    env, up = proxy_env(make_env, recorder, lambda r: json_reply(completion("that is forbidden knowledge")))
    body = chat({"role": "user", "content": "earlier"}, {"role": "assistant", "content": "ok"},
                {"role": "user", "content": [{"type": "text", "text": "psst hush now"}]})
    r = env.client.post("/v1/chat/completions", json=body, headers={**env.auth(), **HEADERS})
    assert r.status_code == 200
    forwarded = up.requests[0].json()["messages"]
    assert "hush" not in json.dumps(forwarded) and forwarded[0]["content"] == "earlier"
    content = r.json()["choices"][0]["message"]["content"]
    assert content == "A colleague will follow up shortly."  # the policy's fallback
    assert r.headers["x-guardline-action"] == "block"
    assert r.headers["x-guardline-inbound-action"] == "redact"
    # both were audited in the conversation named by the header
    events = env.client.get("/v1/conversations/conv-9", headers=env.auth(scope="read")).json()["events"]
    assert [e["event"]["message"]["direction"] for e in events] == ["inbound", "outbound"]
    assert all(e["event"]["message"]["agent"]["version"] == "2.1" for e in events)


def test_stream_is_held_then_sent_as_sse(make_env: Callable[..., Env], recorder: Callable[..., Recorder]) -> None:
    text = "Keep this hush between us. " * 6
    env, _ = proxy_env(make_env, recorder, lambda r: json_reply(completion(text)))
    r = env.client.post("/v1/chat/completions", json=chat({"role": "user", "content": "hi"}, stream=True),
                        headers=env.auth())
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    lines = [ln[len("data: "):] for ln in r.text.split("\n\n") if ln.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    chunks = [json.loads(x) for x in lines[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    streamed = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert "hush" not in streamed and streamed.count("Keep this") == 6
    assert len([c for c in chunks if c["choices"]]) > 3
    assert chunks[-1]["guardline"]["outbound"][0]["action"] == "redact"


def test_tool_turns_do_not_recheck_the_old_user_message(make_env: Callable[..., Env],
                                                        recorder: Callable[..., Recorder]) -> None:
    env, _ = proxy_env(make_env, recorder, lambda r: json_reply(completion("Done.")))
    body = chat({"role": "user", "content": "hush"},
                {"role": "assistant", "content": None, "tool_calls": [{"id": "t1", "type": "function",
                                                                       "function": {"name": "f", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "t1", "content": "result"})
    r = env.client.post("/v1/chat/completions", json=body, headers=env.auth())
    assert r.status_code == 200 and r.json()["guardline"]["inbound"] is None


def test_errors(make_env: Callable[..., Env], recorder: Callable[..., Recorder]) -> None:
    env, up = proxy_env(make_env, recorder, lambda r: json_reply({"error": "boom"}, 500))
    ok = chat({"role": "user", "content": "hi"})
    r = env.client.post("/v1/chat/completions", json=ok, headers=env.auth())
    assert r.status_code == 502 and r.json()["error"]["code"] == "upstream_error"
    r = env.client.post("/v1/chat/completions", json={"model": "m"}, headers=env.auth())
    assert r.status_code == 422 and r.json()["error"]["field"] == "messages"
    r = env.client.post("/v1/chat/completions", json=ok, headers={**env.auth(), "X-Guardline-Channel": "fax"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "X-Guardline-Channel"
    up.stop()
    r = env.client.post("/v1/chat/completions", json=ok, headers=env.auth())
    assert r.status_code == 502
    unconfigured = make_env()
    r = unconfigured.client.post("/v1/chat/completions", json=ok, headers=unconfigured.auth())
    assert r.status_code == 503


def test_the_inbound_message_is_audited_even_when_the_upstream_fails(make_env: Callable[..., Env],
                                                                      recorder: Callable[..., Recorder]) -> None:
    """The inbound audit commit overlaps the model's call; a failing model must not lose it."""
    env, _ = proxy_env(make_env, recorder, lambda r: json_reply({"error": "boom"}, 500))
    assert env.guard.audit is not None
    r = env.client.post("/v1/chat/completions", json=chat({"role": "user", "content": "where is my parcel?"}),
                        headers={**env.auth(), **HEADERS})
    assert r.status_code == 502
    env.guard.audit.flush()
    [report] = env.guard.audit.verify("acme")
    assert report.ok and report.events == 1


def test_inbound_verdict_in_the_reply_carries_its_audit_reference(make_env: Callable[..., Env],
                                                                   recorder: Callable[..., Recorder]) -> None:
    env, _ = proxy_env(make_env, recorder, lambda r: json_reply(completion("It ships on Monday.")))
    r = env.client.post("/v1/chat/completions", json=chat({"role": "user", "content": "when does it ship?"}),
                        headers={**env.auth(), **HEADERS})
    assert r.status_code == 200
    inbound = r.json()["guardline"]["inbound"]
    assert inbound["audit"]["seq"] >= 1 and inbound["action"] == "allow"
