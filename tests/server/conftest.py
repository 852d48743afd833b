from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from server_helpers import POLICY, SECRET, Env, Recorder, TestClient, json_reply

from guardline import Guard
from guardline.audit import open_audit
from guardline.config import Settings
from guardline.keys import KeyRing
from guardline.server import KeyStore, ServerSettings, create_app
from guardline.state.memory import MemoryStore


@pytest.fixture
def make_env(tmp_path: Path) -> Iterator[Callable[..., Env]]:
    opened: list[Any] = []

    def build(settings: ServerSettings | None = None, *, audit: bool = True,
              policy: dict[str, Any] | None = None) -> Env:
        db = f"sqlite:///{tmp_path / 'gl.db'}"
        ring = KeyRing(SECRET)
        log = open_audit(db, keys=ring) if audit else None
        guard = Guard(policy or POLICY, state=MemoryStore(), keys=ring, audit=log,
                      settings=Settings(secret=SECRET))
        keys = KeyStore(db)
        tokens: dict[str, str] = {}
        for tenant in ("acme", "globex"):
            keys.create_tenant(tenant)
            for scope in ("check", "read", "admin"):
                tokens[f"{tenant}:{scope}"] = keys.create_key(tenant, scope)[0]
        app = create_app(settings or ServerSettings(), guard=guard, keys=keys)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        opened.append((client, guard, keys))
        return Env(client, guard, keys, tokens)

    yield build
    for client, guard, keys in opened:
        client.__exit__(None, None, None)
        guard.close()
        keys.close()


@pytest.fixture
def env(make_env: Callable[..., Env]) -> Env:
    return make_env()


@pytest.fixture
def recorder() -> Iterator[Callable[..., Recorder]]:
    started: list[Recorder] = []

    def start(responder: Any = None) -> Recorder:
        r = Recorder(responder or (lambda req: json_reply({"ok": True}))).start()
        started.append(r)
        return r

    yield start
    for r in started:
        r.stop()
