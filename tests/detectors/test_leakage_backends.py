"""The leakage detector on the shared backends: nothing stored in clear, two processes sharing Redis,
eight threads at once, and a Redis outage seen through ``Guard`` (a ``system`` finding, fail-closed,
then recovery)."""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from guardline.config import services_required
from guardline.detectors.base import Context
from guardline.detectors.leakage import LeakageDetector, register_identifiers
from guardline.keys import KeyRing
from guardline.normalize import normalize
from guardline.state import MemoryStore
from guardline.state.base import StateStore
from guardline.state.sqlite import SqliteStore
from guardline.types import Finding, Message

MASTER = b"m" * 32
KEYS = KeyRing(MASTER)
REGIONS = ("US", "FR")

RAW_VALUES = ["Crystal Minh", "cminh730@email.com", "+33 6 12 34 56 78", "3348917502", "75227"]
RAW_FORMS = ["crystal minh", "crystalminh", "cminh730", "33612345678", "612345678", "3348917502", "75227",
             "would really like to return"]
INTRO = ("Hello, my name is Crystal Minh, email cminh730@email.com, phone +33 6 12 34 56 78. "
         "I would really like to return these jeans because they are too small for me.")


def _check(store: StateStore, direction: str, customer: str, text: str) -> list[Finding]:
    msg = Message(direction=direction, customer_id=customer, tenant="acme", text=text)  # type: ignore[arg-type]
    ctx = Context(norm=normalize(text), state=store, keys=KEYS, regions=REGIONS)
    return list(LeakageDetector().detect(msg, ctx))


def _fill(store: StateStore) -> None:
    assert _check(store, "inbound", "X", INTRO) == []
    register_identifiers(store, KEYS, "acme", "X", RAW_VALUES, regions=REGIONS)


def _assert_no_raw(blobs: list[bytes]) -> None:
    assert blobs, "nothing stored at all?"
    joined = b"\n".join(blobs).lower()
    for raw in [*RAW_VALUES, *RAW_FORMS]:
        assert raw.lower().encode() not in joined, f"{raw!r} stored in clear"


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    import redis

    prefix = f"gltest-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}:*".encode()))
    if keys:
        client.delete(*keys)
    client.close()


def test_sqlite_holds_no_raw_value(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "s.db"))
    _fill(store)
    store.close()
    conn = sqlite3.connect(tmp_path / "s.db")
    blobs: list[bytes] = []
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        for row in conn.execute(f"SELECT * FROM {table}"):
            blobs.extend(v if isinstance(v, bytes) else str(v).encode() for v in row)
    conn.close()
    _assert_no_raw(blobs)
    # and the file as a whole (free pages, WAL) holds none either
    raw_files = [p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("s.db")]
    _assert_no_raw(raw_files)


def test_redis_holds_no_raw_value(redis_url: str, redis_prefix: str) -> None:
    import redis

    from guardline.state.redis import RedisStore

    store = RedisStore(redis_url, prefix=redis_prefix)
    _fill(store)
    store.close()
    client = redis.Redis.from_url(redis_url)
    blobs: list[bytes] = []
    for key in client.scan_iter(match=f"{redis_prefix}:*".encode()):
        blobs.append(key)
        kind = client.type(key)
        if kind == b"hash":
            for k, v in client.hgetall(key).items():
                blobs.extend((k, v))
        elif kind == b"set":
            blobs.extend(client.smembers(key))
        else:
            blobs.append(client.get(key) or b"")
    client.close()
    _assert_no_raw(blobs)


_PROC = """
import json, sys
from guardline.detectors.base import Context
from guardline.detectors.leakage import LeakageDetector, register_identifiers
from guardline.keys import KeyRing
from guardline.normalize import normalize
from guardline.state import open_state
from guardline.types import Message
store = open_state(sys.argv[1])
keys = KeyRing(bytes.fromhex(sys.argv[2]))
if sys.argv[3] == "register":
    print(register_identifiers(store, keys, "acme", "X", ["cminh730@email.com", "3348-9175-02"], regions=("US",)))
else:
    msg = Message(direction="outbound", tenant="acme", customer_id="Y", text=sys.argv[4])
    ctx = Context(norm=normalize(msg.text), state=store, keys=keys, regions=("US",))
    print(json.dumps([f.to_dict() for f in LeakageDetector().detect(msg, ctx)]))
store.close()
"""


def _proc(*args: str) -> str:
    out = subprocess.run([sys.executable, "-c", _PROC, *args], capture_output=True, text=True, timeout=100)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_two_processes_share_redis(redis_url: str, redis_prefix: str) -> None:
    url = f"{redis_url}?prefix={redis_prefix}"
    assert int(_proc(url, MASTER.hex(), "register")) > 0
    reply = "I found CMINH730@email.com and order 3348917502 for you"
    findings = json.loads(_proc(url, MASTER.hex(), "check", reply))
    assert [(f["type"], reply[f["span"][0]:f["span"][1]]) for f in findings] == [
        ("leakage.cross_customer", "CMINH730@email.com"), ("leakage.cross_customer", "3348917502")]
    # a process with another master secret sees nothing of it: fingerprints are keyed
    other = json.loads(_proc(url, (b"o" * 32).hex(), "check", reply))
    assert [f["type"] for f in other] == ["leakage.unknown_pii"]


def test_two_processes_share_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/state.db"
    assert int(_proc(url, MASTER.hex(), "register")) > 0
    findings = json.loads(_proc(url, MASTER.hex(), "check", "mail cminh730@email.com"))
    assert [f["type"] for f in findings] == ["leakage.cross_customer"]


@pytest.fixture(params=["memory", "sqlite", "redis"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    store: StateStore
    if request.param == "memory":
        store = MemoryStore()
    elif request.param == "sqlite":
        store = SqliteStore(str(tmp_path / "s.db"))
    else:
        from guardline.state.redis import RedisStore

        store = RedisStore(request.getfixturevalue("redis_url"), prefix=request.getfixturevalue("redis_prefix"))
    yield store
    store.close()


def test_eight_threads_checking_at_once_lose_no_fingerprint(any_store: StateStore) -> None:
    errors: list[BaseException] = []
    per_thread = 15

    def work(n: int) -> None:
        try:
            for j in range(per_thread):
                _check(any_store, "inbound", f"c{n}-{j}", f"my email is user{n}x{j}@example.com")
                _check(any_store, "outbound", f"c{n}-{j}", f"noted, user{n}x{j}@example.com")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for n in range(8):
        for j in range(per_thread):
            got = _check(any_store, "outbound", "someone-else", f"mail user{n}x{j}@example.com")
            assert [f.type for f in got] == ["leakage.cross_customer"], (n, j)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_redis(binary: str, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("private redis-server did not start")


def test_redis_outage_is_a_system_finding_and_recovers() -> None:
    binary = shutil.which("redis-server")
    if binary is None:
        if services_required():
            pytest.fail("redis-server binary not found and GUARDLINE_REQUIRE_SERVICES=1")
        pytest.skip("redis-server binary not found (needed to simulate an outage)")
    from guardline import Guard
    from guardline.state.redis import RedisStore

    port = _free_port()
    proc = _start_redis(binary, port)
    store = RedisStore(f"redis://127.0.0.1:{port}/0", socket_timeout_s=1.0)
    from guardline.bench.leakage import policy as pii_and_leakage_only

    policy: dict[str, Any] = pii_and_leakage_only()
    guard = Guard(policy, state=store, keys=KEYS)
    try:
        guard.check({"direction": "inbound", "customer_id": "X", "text": "my email is ana@example.com"})
        ok = guard.check({"direction": "outbound", "customer_id": "Y", "text": "write to ana@example.com"})
        assert "leakage.cross_customer" in {f.type for f in ok.findings}

        proc.kill()
        proc.wait(timeout=10)
        down = guard.check({"direction": "outbound", "customer_id": "Y", "text": "Your parcel ships today."})
        errors = [f for f in down.findings if f.detector == "leakage"]
        assert [f.type for f in errors] == ["system.detector_error"]
        assert "StoreError" in errors[0].evidence
        assert str(down.action) == "escalate"  # the default policy fails closed on outbound

        proc = _start_redis(binary, port)  # back, empty: the client reconnects by itself
        guard.check({"direction": "inbound", "customer_id": "X", "text": "my email is ana@example.com"})
        again = guard.check({"direction": "outbound", "customer_id": "Y", "text": "write to ana@example.com"})
        assert "leakage.cross_customer" in {f.type for f in again.findings}
        assert "system.detector_error" not in {f.type for f in again.findings}
    finally:
        guard.close()
        store.close()
        proc.kill()
        proc.wait(timeout=10)


def test_one_redis_round_trip_per_check(redis_url: str, redis_prefix: str) -> None:
    """Inbound and outbound checks each make ONE round trip, CRM records and shingles included."""
    import redis

    from guardline.state.redis import RedisStore
    from guardline.types import Source

    sent: list[int] = []

    class Counting(redis.Connection):
        def send_packed_command(self, command: Any, check_health: bool = True) -> None:
            sent.append(1)
            super().send_packed_command(command, check_health)

    pool = redis.ConnectionPool.from_url(redis_url, connection_class=Counting)
    store = RedisStore(prefix=redis_prefix, client=redis.Redis(connection_pool=pool))
    store.ping()  # connect (and let redis-py send its handshake) before counting
    crm = (Source(kind="crm", customer_id="X", text="Order 7781229011, zip 94110, Ana Lopez"),)
    try:
        _check(store, "inbound", "X", INTRO)  # the server may not hold the script yet: loaded once
        cases = [("inbound", "Y", INTRO, ()), ("inbound", "X", "Order 7781229011 please", crm),
                 ("outbound", "Y", "Sure Crystal Minh, mail cminh730@email.com; I would really like to "
                                   "return these jeans because they are too small", ()),
                 ("outbound", "Y", "Your order 7781229011 ships to zip 94110.", crm),
                 ("outbound", "Y", "Hello!", ())]  # nothing to look up: no round trip at all
        for (direction, customer, text, grounding), want in zip(cases, [1, 1, 1, 1, 0], strict=True):
            sent.clear()
            msg = Message(direction=direction, customer_id=customer, tenant="acme", text=text,  # type: ignore[arg-type]
                          grounding=grounding)
            list(LeakageDetector().detect(msg, Context(norm=normalize(text), state=store, keys=KEYS,
                                                       regions=REGIONS)))
            assert len(sent) == want, (direction, text, len(sent))
    finally:
        store.close()
