"""Redis specifics: a server that goes away yields StoreError (quickly), and the store recovers when it
returns. Uses a private ``redis-server`` started on a free port (skipped when the binary is missing)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from guardline.config import services_required
from guardline.errors import StoreError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateRedis:
    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    binary = shutil.which("redis-server")
    if binary is None:
        if services_required():
            pytest.fail("redis-server binary not found and GUARDLINE_REQUIRE_SERVICES=1")
        pytest.skip("redis-server binary not found (needed to simulate an outage)")
    server = PrivateRedis(binary)
    server.start()
    yield server
    server.stop()


def test_outage_is_store_error_then_recovers(private_redis: PrivateRedis) -> None:
    from guardline.state.redis import RedisStore

    store = RedisStore(private_redis.url, socket_timeout_s=1.0)
    store.add_fingerprints("t", "alice", [b"a" * 16])
    assert store.owners("t", [b"a" * 16]) == {b"a" * 16: frozenset({"alice"})}

    private_redis.stop()
    for op in (lambda: store.owners("t", [b"a" * 16]), lambda: store.add_fingerprints("t", "b", [b"b" * 16]),
               store.ping, lambda: store.incr("t", "n", "k"), lambda: store.forget_customer("t", "alice")):
        started = time.monotonic()
        with pytest.raises(StoreError):
            op()
        assert time.monotonic() - started < 5  # fails fast: no long retry loop on the check path

    private_redis.start()  # same port, empty (no persistence): the client must reconnect by itself
    store.ping()
    store.add_fingerprints("t", "alice", [b"a" * 16])
    assert store.owners("t", [b"a" * 16]) == {b"a" * 16: frozenset({"alice"})}
    store.close()


def test_unreachable_at_start_is_store_error() -> None:
    from guardline.state.redis import RedisStore

    store = RedisStore(f"redis://127.0.0.1:{_free_port()}/0", socket_timeout_s=0.5)
    with pytest.raises(StoreError):
        store.ping()
    with pytest.raises(StoreError):
        store.owners("t", [b"x" * 16])
    store.close()
