"""Real ``guardline serve`` processes on loopback: first start, the CLI's tenants and keys, and two
replicas sharing PostgreSQL (audit, keys) and Redis (state) that behave as one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_helpers import POLICY_YAML

SECRET_HEX = "ab" * 32


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Serve:
    def __init__(self, cwd: Path, database: str, state: str, policy: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "GUARDLINE_SECRET": SECRET_HEX, "PYTHONUNBUFFERED": "1"}
        for k in ("GUARDLINE_DATABASE_URL", "GUARDLINE_STATE_URL", "GUARDLINE_POLICY"):
            env.pop(k, None)
        self.errlog = cwd / f"serve-{self.port}.err"
        with open(self.errlog, "w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "guardline", "serve", "--port", str(self.port), "--database", database,
                 "--state", state, "--policy", str(policy)],
                cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
        self.stdout: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise AssertionError(f"serve exited: {self.errlog.read_text()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError("serve did not become healthy")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.stdout.append(line.rstrip("\n"))

    def admin_key(self) -> str | None:
        return next((ln for ln in self.stdout if ln.startswith("glk_")), None)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None and not self.proc.stdout.closed:
            self.reader.join(timeout=5)
            self.proc.stdout.close()


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    p = tmp_path / "policy.yaml"
    p.write_text(POLICY_YAML)
    return p


@pytest.fixture
def servers() -> Iterator[list[Serve]]:
    started: list[Serve] = []
    yield started
    for s in started:
        s.stop()


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GUARDLINE_SECRET": SECRET_HEX}
    return subprocess.run([sys.executable, "-m", "guardline", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60)


def check(url: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
    r = httpx.post(url + "/v1/check", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def test_first_start_cli_keys_and_restart(tmp_path: Path, policy_file: Path, servers: list[Serve]) -> None:
    db, state = f"sqlite:///{tmp_path / 'gl.db'}", f"sqlite:///{tmp_path / 'state.db'}"
    a = Serve(tmp_path, db, state, policy_file)
    servers.append(a)
    time.sleep(0.2)
    admin = a.admin_key()
    assert admin is not None
    v = check(a.url, admin, {"direction": "outbound", "text": "hello", "conversation_id": "c1"})
    assert v["action"] == "allow" and v["audit"]["seq"] == 1
    # tenants and keys made by the CLI work against the running server
    assert cli(tmp_path, "tenants", "create", "beta", "--database", db).returncode == 0
    made = cli(tmp_path, "keys", "create", "--tenant", "beta", "--scope", "read", "--database", db)
    assert made.returncode == 0, made.stderr
    beta = made.stdout.strip()
    assert beta.startswith("glk_") and "shown once" in made.stderr
    r = httpx.get(a.url + "/v1/audit/verify", headers={"Authorization": f"Bearer {beta}"})
    assert r.status_code == 200 and r.json()["tenant"] == "beta"
    listed = cli(tmp_path, "keys", "list", "--tenant", "beta", "--database", db).stdout
    assert beta.split("_")[1] in listed and beta not in listed  # ids only, never the key
    a.stop()
    # a restart prints no new key, and the old one still works
    b = Serve(tmp_path, db, state, policy_file)
    servers.append(b)
    time.sleep(0.2)
    assert b.admin_key() is None
    assert check(b.url, admin, {"direction": "outbound", "text": "again"})["audit"]["seq"] == 2


def test_two_replicas_share_postgres_and_redis(tmp_path: Path, policy_file: Path, servers: list[Serve],
                                               postgres_url: str, redis_url: str) -> None:
    import psycopg
    import redis

    tag = "gl_" + uuid.uuid4().hex[:10]
    db = f"{postgres_url}?schema={tag}"
    state = f"{redis_url}?prefix={tag}"
    try:
        a = Serve(tmp_path, db, state, policy_file)
        servers.append(a)
        b = Serve(tmp_path, db, state, policy_file)
        servers.append(b)
        time.sleep(0.2)
        admin = a.admin_key()
        assert admin is not None and b.admin_key() is None
        h = {"Authorization": f"Bearer {admin}"}
        # a leak registered through A is caught by B
        r = httpx.post(a.url + "/v1/customers/alice/identifiers", json={"values": ["alice.w@example.com"]},
                       headers=h, timeout=30)
        assert r.status_code == 200
        v = check(b.url, admin, {"direction": "outbound", "customer_id": "bob",
                                 "text": "Her address is alice.w@example.com"})
        assert v["action"] == "block"
        assert any(f["type"] == "leakage.cross_customer" for f in v["findings"])
        # both write the same tenant's chain at once; it stays linear
        errors: list[str] = []
        seqs: list[int] = []

        def write(url: str, n: int) -> None:
            with httpx.Client(timeout=30) as client:
                for i in range(n):
                    r = client.post(url + "/v1/check", headers=h,
                                    json={"direction": "outbound", "text": f"msg {i}", "conversation_id": "busy"})
                    if r.status_code != 200:
                        errors.append(r.text)
                    else:
                        seqs.append(r.json()["audit"]["seq"])

        threads = [threading.Thread(target=write, args=(u, 40)) for u in (a.url, b.url, a.url, b.url)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert len(seqs) == 160 and len(set(seqs)) == 160  # every event got its own place in the chain
        report = httpx.get(b.url + "/v1/audit/verify", headers=h, timeout=60).json()
        assert report["ok"], report
        assert report["events"] == 161 and report["reports"][0]["head_seq"] == 161  # 1 leak check + 160
        events = httpx.get(a.url + "/v1/conversations/busy", headers=h, timeout=30).json()["events"]
        assert [e["seq"] for e in events] == sorted(seqs)
    finally:
        for s in servers:
            s.stop()
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{tag}" CASCADE')
        r = redis.Redis.from_url(redis_url)
        keys = list(r.scan_iter(f"{tag}*"))
        if keys:
            r.delete(*keys)
        r.close()
