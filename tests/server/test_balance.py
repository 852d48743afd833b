"""Worker processes that share a listening socket split its connections evenly (server/balance.py).

Real processes and real loopback sockets: two workers accept from one socket with a protocol that
answers with its process id, and the test counts whose id each of a burst of connections got.
"""

from __future__ import annotations

import asyncio
import http.client
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from uvicorn.config import STARTUP_FAILURE

from guardline.server.balance import AcceptShare, BalancedListener, serve_workers

SECRET_HEX = "cd" * 32


class _SayPid(asyncio.Protocol):
    def connection_made(self, transport: Any) -> None:
        transport.write(f"{os.getpid()}\n".encode())

    def connection_lost(self, exc: Exception | None) -> None:
        pass


def _worker(sock: socket.socket, share: AcceptShare, slot: int, loop_kind: str) -> None:
    # a long patience: on a loaded test machine a peer may take more than the default 20 ms to wake,
    # and these tests are about the split, not about the fallback
    if loop_kind == "uvloop":
        import uvloop

        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    share.live[slot] = 1
    listener = BalancedListener(loop, sock, _SayPid, share, slot)
    listener.patience_s = 2.0
    loop.run_forever()


def _listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@contextmanager
def _two_workers(loop_kind: str = "asyncio") -> Iterator[tuple[socket.socket, AcceptShare, list[Any]]]:
    ctx = multiprocessing.get_context("spawn")
    sock = _listening_socket()
    share = AcceptShare(2)
    workers = [ctx.Process(target=_worker, args=(sock, share, slot, loop_kind), daemon=True) for slot in (0, 1)]
    for w in workers:
        w.start()
    try:
        _wait_for(lambda: share.live[0] and share.live[1])
        yield sock, share, workers
    finally:
        for w in workers:
            w.kill()
            w.join()
        sock.close()


def _pid_of(conn: socket.socket) -> int:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(64)
        assert chunk, "connection closed before the worker answered"
        data += chunk
    return int(data)


def _wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


@pytest.mark.parametrize("loop_kind", ["asyncio", "uvloop"])
def test_a_burst_of_connections_is_split_evenly_and_counts_return_to_zero(loop_kind: str) -> None:
    if loop_kind == "uvloop":
        pytest.importorskip("uvloop")
    with _two_workers(loop_kind) as (sock, share, workers):
        address = sock.getsockname()
        for _ in range(3):  # three bursts, each opened all at once as a load generator does
            conns = [socket.create_connection(address) for _ in range(16)]
            per_worker = Counter(_pid_of(c) for c in conns)
            assert set(per_worker) == {w.pid for w in workers}
            assert max(per_worker.values()) - min(per_worker.values()) <= 2, per_worker
            assert sum(share.counts) == 16
            for c in conns:
                c.close()
            _wait_for(lambda: list(share.counts) == [0, 0])  # connection_lost gives each count back


def test_new_connections_go_to_the_worker_that_holds_fewer() -> None:
    with _two_workers() as (sock, share, _):
        address = sock.getsockname()
        conns = [socket.create_connection(address) for _ in range(8)]
        pids = [_pid_of(c) for c in conns]
        first = pids[0]
        kept = len(pids) - pids.count(first)
        assert kept >= 3
        for c, pid in zip(conns, pids, strict=True):
            if pid == first:
                c.close()  # one worker's connections end; the other keeps its own
        _wait_for(lambda: sum(share.counts) == kept)
        more = [socket.create_connection(address) for _ in range(kept)]
        assert [_pid_of(c) for c in more] == [first] * kept
        for c in conns + more:
            c.close()


def test_a_peer_that_never_accepts_delays_a_connection_by_the_patience_only() -> None:
    share = AcceptShare(2)
    share.live[1] = 1  # a live peer holding nothing that never accepts (stuck, or busy)
    sock = _listening_socket()
    loop = asyncio.new_event_loop()
    try:
        listener = BalancedListener(loop, sock, _SayPid, share, 0)
        address = sock.getsockname()

        async def connect() -> tuple[int, float]:
            started = time.monotonic()
            reader, writer = await asyncio.open_connection(*address)
            line = await reader.readline()
            elapsed = time.monotonic() - started
            writer.close()
            return int(line), elapsed

        async def scenario() -> list[tuple[int, float]]:
            first = await connect()
            held = await asyncio.open_connection(*address)  # the worker now holds more than its peer
            await held[0].readline()
            second = await connect()
            held[1].close()
            return [first, second]

        (pid1, _), (pid2, waited) = loop.run_until_complete(asyncio.wait_for(scenario(), 10))
        assert pid1 == pid2 == os.getpid()
        assert waited >= BalancedListener.patience_s * 0.9  # it stepped back first, then served anyway
        listener.close()
        loop.run_until_complete(listener.wait_closed())
    finally:
        loop.close()
        sock.close()


def test_accept_share_compares_live_workers_only() -> None:
    share = AcceptShare(3)
    share.counts[0], share.counts[1], share.counts[2] = 5, 5, 0
    share.live[0] = share.live[1] = 1
    assert share.may_accept(0) and share.may_accept(1)  # slot 2 holds nothing but is not live
    share.live[2] = 1
    assert not share.may_accept(0)
    assert share.may_accept(2)
    with pytest.raises(ValueError, match="at least 1"):
        AcceptShare(0)


def _uvicorn_worker(sock: socket.socket, share: AcceptShare, slot: int) -> None:
    import uvicorn

    from guardline.server.balance import BalancedServer

    config = uvicorn.Config("balance_app:app", log_level="critical", workers=2, http="httptools")
    BalancedServer(config, share, slot).run(sockets=[sock])


def test_a_worker_that_starts_late_gets_its_share_of_open_keep_alive_connections() -> None:
    pytest.importorskip("httptools")
    ctx = multiprocessing.get_context("spawn")
    sock = _listening_socket()
    share = AcceptShare(2)
    first = ctx.Process(target=_uvicorn_worker, args=(sock, share, 0), daemon=True)
    late = ctx.Process(target=_uvicorn_worker, args=(sock, share, 1), daemon=True)
    first.start()
    host, port = sock.getsockname()
    conns = [http.client.HTTPConnection(host, port, timeout=10) for _ in range(8)]
    stop = threading.Event()
    last: dict[int, int] = {}
    errors: list[str] = []

    def client(i: int) -> None:
        while not stop.is_set():
            try:
                conns[i].request("GET", "/")
                response = conns[i].getresponse()
                last[i] = int(response.read())
                if response.getheader("connection", "").lower() == "close":
                    conns[i].close()  # the next request opens a new connection
            except Exception as exc:  # any failure of a request is what this test counts
                errors.append(repr(exc))
                conns[i].close()

    try:
        _wait_for(lambda: share.live[0])
        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(8)]
        for t in threads:
            t.start()
        _wait_for(lambda: len(last) == 8)
        assert set(last.values()) == {first.pid}  # the only worker took every connection
        late.start()
        _wait_for(lambda: share.live[1])
        _wait_for(lambda: abs(share.counts[0] - share.counts[1]) <= 1, timeout=15)
        last.clear()
        _wait_for(lambda: len(last) == 8)
        split = Counter(last.values())
        assert set(split) == {first.pid, late.pid} and max(split.values()) <= 5, split
        stop.set()
        for t in threads:
            t.join(10)
        assert errors == []  # connections were handed over between requests, none cut off
    finally:
        stop.set()
        for w in (first, late):
            if w.pid is not None:
                w.kill()
                w.join()
        for c in conns:
            c.close()
        sock.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serve(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, str]]:
    """``guardline serve --workers 2`` on a free port, healthy: (process, base URL, admin key)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "GUARDLINE_SECRET": SECRET_HEX}
    for k in ("GUARDLINE_DATABASE_URL", "GUARDLINE_STATE_URL", "GUARDLINE_POLICY"):
        env.pop(k, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "guardline", "serve", "--port", str(port), "--workers", "2",
         "--database", f"sqlite:///{tmp_path / 'gl.db'}", "--state", f"sqlite:///{tmp_path / 'state.db'}"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        key = ""
        deadline = time.monotonic() + 60
        while not key.startswith("glk_"):
            assert time.monotonic() < deadline and proc.poll() is None, "no admin key printed"
            key = proc.stdout.readline().strip()
        while True:
            assert time.monotonic() < deadline and proc.poll() is None, "serve did not become healthy"
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield proc, url, key
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_serve_with_two_workers_answers_checks_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    with _serve(tmp_path) as (proc, url, key):
        body = {"direction": "outbound", "conversation_id": "c1", "text": "Your order ships on Monday."}
        auth = {"Authorization": f"Bearer {key}"}
        # two keep-alive connections at once: one per worker, as the supervisor spreads them
        with httpx.Client(headers=auth, timeout=10) as one, httpx.Client(headers=auth, timeout=10) as two:
            answers = [client.post(url + "/v1/check", json=body) for _ in range(10) for client in (one, two)]
        assert {r.status_code for r in answers} == {200}, answers[0].text
        # whichever worker a scrape reaches, /metrics counts the checks of both
        for _ in range(6):
            with httpx.Client(timeout=10) as scraper:
                assert _checks_counted(scraper.get(url + "/metrics").text) == 20

        # a worker that dies is replaced, and the gateway goes on answering
        children = _children(proc.pid)
        assert len(children) >= 2
        os.kill(children[-1], signal.SIGKILL)
        _wait_for(lambda: children[-1] not in _children(proc.pid) and len(_children(proc.pid)) >= 2, 30)
        with httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=10) as client:
            answers = [client.post(url + "/v1/check", json=body) for _ in range(10)]
        assert {r.status_code for r in answers} == {200}, answers[0].text

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


def _checks_counted(metrics: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
               if line.startswith("guardline_checks_total{"))


def _children(pid: int) -> list[int]:
    """Worker processes (the supervisor's children that are not multiprocessing's resource tracker)."""
    try:
        pids = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pytest.skip("needs Linux /proc to find the worker processes")
    workers = []
    for p in pids:
        try:
            if "resource_tracker" not in Path(f"/proc/{p}/cmdline").read_text(errors="replace"):
                workers.append(p)
        except OSError:
            continue  # it just exited
    return workers


def test_a_worker_that_cannot_start_stops_the_supervisor_with_the_startup_failure_code() -> None:
    import uvicorn

    config = uvicorn.Config("guardline.no_such_module:app", port=0, workers=2, log_level="critical")
    started = time.monotonic()
    assert serve_workers(config, 2, grace_s=5) == STARTUP_FAILURE
    assert time.monotonic() - started < 30


def test_workers_shut_down_when_their_supervisor_is_killed_outright(tmp_path: Path) -> None:
    with _serve(tmp_path) as (proc, url, _):
        workers = _children(proc.pid)
        assert len(workers) >= 2
        _wait_for(lambda: len(_children(proc.pid)) >= 2 and all(Path(f"/proc/{w}").exists() for w in workers))
        proc.kill()  # SIGKILL: the supervisor cannot stop them itself
        proc.wait()

        def gone(pid: int) -> bool:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                return True
            return state == "Z"  # exited, waiting for init to reap it

        _wait_for(lambda: all(gone(w) for w in workers), timeout=30)
        with pytest.raises(httpx.HTTPError):
            httpx.get(url + "/healthz", timeout=2)
