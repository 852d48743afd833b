"""Test helpers for the gateway: a term detector, a recording HTTP server on loopback, app builders."""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from guardline import Guard
from guardline.detectors.base import BaseDetector, Context
from guardline.detectors.registry import register
from guardline.server import KeyStore
from guardline.types import Category, Finding, Message, Severity

with warnings.catch_warnings():
    # Starlette >= 1.0 warns that its TestClient wants ``httpx2``; httpx is what the project ships.
    from starlette.exceptions import StarletteDeprecationWarning

    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

SECRET = b"s" * 32


class TermDetector(BaseDetector):
    """Flags every occurrence of each configured term (normalised text) with a fixed severity."""

    name = "srvterm"
    version = "1"
    category = Category.BRAND

    def __init__(self, *, terms: dict[str, str] | None = None) -> None:
        self.terms = {t: Severity(s) for t, s in (terms or {}).items()}

    def detect(self, message: Message, ctx: Context) -> Iterable[Finding]:
        for term, severity in self.terms.items():
            start = 0
            while (i := ctx.text.find(term, start)) >= 0:
                yield self.finding(ctx, f"brand.term_{severity}", severity, i, i + len(term), evidence="term")
                start = i + 1


register("srvterm", TermDetector)

POLICY: dict[str, Any] = {
    "name": "server-test",
    "detectors": {
        "srvterm": {"terms": {"hush": "medium", "forbidden": "high"}},
        "leakage": {},
    },
    "severity_actions": {"info": "allow", "low": "allow", "medium": "redact", "high": "block",
                         "critical": "block"},
    "fallbacks": {"default": {"en": "A colleague will follow up shortly."},
                  "inbound": {"en": "[message withheld]"}},
}

POLICY_YAML = """\
name: server-e2e
detectors:
  leakage: {}
severity_actions: {info: allow, low: allow, medium: redact, high: block, critical: block}
"""


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Responder = Callable[[Recorded], tuple[int, dict[str, str], bytes]]


@dataclass
class Recorder:
    """A real HTTP server on 127.0.0.1 that records requests and answers with ``responder``."""

    responder: Responder
    requests: list[Recorded] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Recorder:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                n = int(self.headers.get("content-length") or 0)
                req = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                               self.rfile.read(n))
                recorder.requests.append(req)
                status, headers, body = recorder.responder(req)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def json_reply(obj: Any, status: int = 200) -> tuple[int, dict[str, str], bytes]:
    return status, {"content-type": "application/json"}, json.dumps(obj).encode()


def completion(content: str, *, model: str = "fake-model") -> dict[str, Any]:
    return {"id": "chatcmpl-test", "object": "chat.completion", "created": 1700000000, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


@dataclass
class Env:
    client: TestClient
    guard: Guard
    keys: KeyStore
    tokens: dict[str, str]  # "tenant:scope" -> key

    def auth(self, tenant: str = "acme", scope: str = "check") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[f'{tenant}:{scope}']}"}
