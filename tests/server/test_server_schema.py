"""Schemathesis against the OpenAPI document of a real server (uvicorn in a thread, loopback): no 5xx
and no response outside the documented status codes, content types and schemas. Bounded: at most 30
generated cases per operation."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
import uvicorn
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from server_helpers import POLICY, SECRET, Recorder, completion, json_reply

from guardline import Guard
from guardline.audit import open_audit
from guardline.config import Settings
from guardline.keys import KeyRing
from guardline.server import KeyStore, ServerSettings, create_app
from guardline.state.memory import MemoryStore


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp: Path = tmp_path_factory.mktemp("schema")
    upstream = Recorder(lambda r: json_reply(completion("A fine answer."))).start()
    sink = Recorder(lambda r: json_reply({"sid": "SM1"}, 201)).start()
    db = f"sqlite:///{tmp / 'gl.db'}"
    ring = KeyRing(SECRET)
    guard = Guard(POLICY, state=MemoryStore(), keys=ring, audit=open_audit(db, keys=ring),
                  settings=Settings(secret=SECRET))
    keys = KeyStore(db)
    keys.create_tenant("default")
    token = keys.create_key("default", "admin")[0]
    settings = ServerSettings(upstream_url=upstream.url, agent_url=sink.url, sinch_webhook_secret="s",
                              twilio_auth_token="t", twilio_account_sid="AC", twilio_from="+1555",
                              twilio_send_url=sink.url, sinch_send_url=sink.url, sinch_token="x",
                              max_body_bytes=64 * 1024)
    app = create_app(settings, guard=guard, keys=keys)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield {"url": f"http://127.0.0.1:{port}", "token": token}
    srv.should_exit = True
    thread.join(timeout=10)
    guard.close()
    keys.close()
    upstream.stop()
    sink.stop()


def test_openapi_conformance(server: dict[str, Any]) -> None:
    # schemathesis' own pytest plugin does not work with this pytest version, so each operation's
    # strategy is driven by hypothesis directly
    api = schemathesis.openapi.from_url(server["url"] + "/openapi.json")
    headers = {"Authorization": f"Bearer {server['token']}"}
    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_schema_conformance]
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 12
    failures: list[str] = []
    for op in operations:

        @hypothesis.given(case=op.as_strategy())
        @hypothesis.settings(max_examples=30, deadline=None, derandomize=True, database=None,
                             suppress_health_check=list(hypothesis.HealthCheck),
                             phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate])
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=checks)

        try:
            run()
        except Exception as exc:
            failures.append(f"{op.label}: {exc}"[:2000])
    assert not failures, "\n\n".join(failures)
