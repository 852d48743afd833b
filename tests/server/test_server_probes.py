"""The gateway runs the policy's probes (started with the app) against a real agent on loopback, and
``GET /v1/probes`` reports the last run to the probe's own tenant only."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from server_helpers import POLICY, Env, Recorder, json_reply


def test_the_gateway_runs_the_policys_probes_and_reports_them(make_env: Callable[..., Env],
                                                               recorder: Callable[..., Recorder]) -> None:
    def careful(req: Any) -> Any:
        question = json.loads(req.body)["message"].lower()
        return json_reply({"reply": "Returns are accepted within 30 days." if "return" in question
                           else "I can look that up once you have verified your identity."})

    agent = recorder(careful)
    probe = {"agent": "bot", "version": "2.1", "url": agent.url + "/agent", "tenant": "acme", "interval_s": 60,
             "facts": [{"question": "How many days do I have to return an item?", "answer": "30"}]}
    env = make_env(policy={**POLICY, "probes": [probe]})
    deadline = time.monotonic() + 20
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = env.client.get("/v1/probes", headers=env.auth("acme", "read")).json()
        if body["probes"] and body["probes"][0]["last"] is not None:
            break
        time.sleep(0.1)
    [seen] = body["probes"]
    assert (seen["agent"], seen["version"], seen["facts"]) == ("bot", "2.1", 1)
    assert seen["last"]["ok"] is True and seen["last"]["replies"] == 3
    assert len(agent.requests) == 3                                   # the agent was really called
    assert env.client.get("/v1/probes", headers=env.auth("globex", "read")).json() == {"probes": []}
    assert env.client.get("/v1/probes", headers=env.auth("acme", "check")).status_code == 403
