"""The proxy's upstream client (``guardline.server.upstream``) against real servers on loopback.

``Recorder`` (server_helpers) is the http.server upstream the proxy tests use; ``RawUpstream`` below
answers with raw bytes, so that framing (chunked, end of stream), connections closed by the server,
slow answers and TLS can be set up exactly.
"""

from __future__ import annotations

import asyncio
import datetime
import gzip
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from server_helpers import Env, Recorded, Recorder, completion, json_reply

from guardline.server import ServerSettings
from guardline.server.upstream import (
    ConnectError,
    LocalProtocolError,
    PoolTimeout,
    ReadTimeout,
    RemoteProtocolError,
    Timeout,
    TotalTimeout,
    UpstreamClient,
    UpstreamResponse,
    env_proxy_applies,
)


@dataclass
class Seen:
    conn: int       # which accepted connection (0-based)
    n: int          # which request on that connection (0-based)
    head: bytes
    body: bytes


# the answer to a request: raw bytes to send, then whether to close the connection; None: close
# without answering
Answer = Callable[[Seen], "tuple[bytes, bool] | None"]


def reply(body: bytes = b'{"ok": true}', *, status: str = "200 OK", extra: str = "") -> bytes:
    return f"HTTP/1.1 {status}\r\ncontent-length: {len(body)}\r\n{extra}\r\n".encode() + body


_BUSY_LOCK = threading.Lock()


@dataclass
class RawUpstream:
    answer: Answer
    tls: ssl.SSLContext | None = None
    delay_s: float = 0.0
    seen: list[Seen] = field(default_factory=list)
    accepted: int = 0
    busy: int = 0       # requests being answered now
    peak_busy: int = 0  # the most at once

    def start(self) -> RawUpstream:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            index = self.accepted
            self.accepted += 1
            threading.Thread(target=self._serve, args=(conn, index), daemon=True).start()

    def _serve(self, conn: socket.socket, index: int) -> None:
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            self.open.append(conn)
            buf = b""
            for n in range(1000):
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(buf) < length:
                    data = conn.recv(1 << 20)
                    if not data:
                        return
                    buf += data
                seen = Seen(index, n, head, buf[:length])
                buf = buf[length:]
                self.seen.append(seen)
                answer = self.answer(seen)
                with _BUSY_LOCK:
                    self.busy += 1
                    self.peak_busy = max(self.peak_busy, self.busy)
                try:
                    if self.delay_s:
                        time.sleep(self.delay_s)
                    if answer is None:
                        return
                    conn.sendall(answer[0])
                finally:
                    with _BUSY_LOCK:
                        self.busy -= 1
                if answer[1]:
                    return
        except (OSError, ssl.SSLError):
            return
        finally:
            conn.close()

    def stop(self) -> None:
        self.sock.close()
        for conn in self.open:
            conn.close()


@pytest.fixture
def raw() -> Iterator[Callable[..., RawUpstream]]:
    started: list[RawUpstream] = []

    def start(answer: Answer = lambda s: (reply(), False), **kw: Any) -> RawUpstream:
        server = RawUpstream(answer, **kw).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def run(coro_fn: Callable[[UpstreamClient], Any], **client_kw: Any) -> Any:
    """Run ``coro_fn(client)`` on a fresh event loop with a client closed afterwards."""
    async def main() -> Any:
        client = UpstreamClient(**client_kw)
        try:
            return await coro_fn(client)
        finally:
            await client.aclose()
    return asyncio.run(main())


def test_keep_alive_reuses_one_connection_and_forwards_headers_and_body(
        recorder: Callable[..., Recorder]) -> None:
    up = recorder(lambda r: json_reply({"echo": r.json()}))

    async def go(c: UpstreamClient) -> tuple[list[UpstreamResponse], int]:
        replies = [await c.request("POST", up.url + "/v1/chat/completions?x=1",
                                   content=json.dumps({"n": i}).encode(),
                                   headers={"content-type": "application/json", "authorization": "Bearer k"})
                   for i in range(5)]
        return replies, c.opened

    replies, opened = run(go)
    assert [json.loads(r.content)["echo"]["n"] for r in replies] == [0, 1, 2, 3, 4]
    assert all(r.status == 200 and r.header("Content-Type") == "application/json" for r in replies)
    assert opened == 1
    sent = up.requests[0]
    assert sent.method == "POST" and sent.path == "/v1/chat/completions?x=1"
    assert sent.headers["authorization"] == "Bearer k" and sent.headers["content-type"] == "application/json"
    assert sent.headers["host"] == up.url.removeprefix("http://")
    assert sent.headers["content-length"] == str(len(b'{"n": 0}'))


def test_concurrent_requests_stay_within_the_pool_bound(raw: Callable[..., RawUpstream]) -> None:
    up = raw(lambda s: (reply(b"%d" % s.conn), False), delay_s=0.02)

    async def go(c: UpstreamClient) -> tuple[list[int], int, int]:
        replies = await asyncio.gather(*(c.request("GET", up.url + "/") for _ in range(12)))
        return [r.status for r in replies], c.opened, c.idle_connections()

    statuses, opened, idle = run(go, max_connections=3, max_keepalive=2)
    assert statuses == [200] * 12
    assert up.peak_busy == 3  # never more than the pool's bound at once, and the bound is used
    # only 2 idle connections are kept, so a connection that finds both places taken is closed, and a
    # request that gets its slot after that opens a new one: how often depends on timing
    assert 3 <= opened == up.accepted <= 12 and idle == 2
    assert len(up.seen) == 12


def test_chunked_body_with_extensions_and_trailers_then_the_connection_is_reused(
        raw: Callable[..., RawUpstream]) -> None:
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\ncontent-type: application/json\r\n\r\n"
               b"5;ext=1\r\n{\"a\":\r\n"
               b"A\r\n \"0123456\"\r\n"
               b"1\r\n}\r\n"
               b"0\r\nx-trailer: t\r\n\r\n")
    up = raw(lambda s: (chunked, False))

    async def go(c: UpstreamClient) -> tuple[list[Any], int]:
        out = [json.loads((await c.request("GET", up.url + "/")).content) for _ in range(3)]
        return out, c.opened

    bodies, opened = run(go)
    assert bodies == [{"a": "0123456"}] * 3 and opened == 1


def test_content_length_and_end_of_stream_bodies(raw: Callable[..., RawUpstream]) -> None:
    def answer(s: Seen) -> tuple[bytes, bool]:
        if s.head.startswith(b"GET /eof"):  # no length: the body ends with the connection
            return b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end", True
        return reply(b"exactly this"), False

    up = raw(answer)

    async def go(c: UpstreamClient) -> tuple[list[bytes], int]:
        out = [(await c.request("GET", up.url + p)).content for p in ("/len", "/eof", "/len", "/len")]
        return out, c.opened

    bodies, opened = run(go)
    assert bodies == [b"exactly this", b"until the end", b"exactly this", b"exactly this"]
    assert opened == 2  # the end-of-stream body used its connection up; the others share one


def test_a_connection_closed_by_the_server_while_idle_is_replaced_not_failed(
        raw: Callable[..., RawUpstream]) -> None:
    # keep-alive by the headers, yet the server closes after each answer (as an idle timeout would)
    up = raw(lambda s: (reply(b"%d" % s.conn), True))

    async def go(c: UpstreamClient) -> tuple[list[bytes], int]:
        out = []
        for _ in range(3):
            out.append((await c.request("POST", up.url + "/", content=b"{}")).content)
            await asyncio.sleep(0.05)  # the server's FIN arrives while the connection is idle
        return out, c.opened

    bodies, opened = run(go)
    assert bodies == [b"0", b"1", b"2"] and opened == 3
    assert len(up.seen) == 3  # each POST sent once


def test_post_is_not_resent_when_a_reused_connection_drops_it_but_get_is_once(
        raw: Callable[..., RawUpstream]) -> None:
    # the first connection answers its first request, then takes the second and closes unanswered
    up = raw(lambda s: None if (s.conn, s.n) == (0, 1) else (reply(), False))

    async def post(c: UpstreamClient) -> None:
        await c.request("POST", up.url + "/", content=b"{}")
        await c.request("POST", up.url + "/", content=b"{}")

    with pytest.raises(RemoteProtocolError):
        run(post)
    assert len(up.seen) == 2  # sent once, the server may have acted on it: not sent again

    up2 = raw(lambda s: None if (s.conn, s.n) == (0, 1) else (reply(b"%d" % s.conn), False))

    async def get(c: UpstreamClient) -> bytes:
        await c.request("GET", up2.url + "/")
        return (await c.request("GET", up2.url + "/")).content

    assert run(get) == b"1"  # answered on a second connection
    assert len(up2.seen) == 3


def test_timeouts(raw: Callable[..., RawUpstream]) -> None:
    slow = raw(delay_s=0.5)

    async def read(c: UpstreamClient) -> None:
        await c.request("POST", slow.url + "/", content=b"{}", timeout=0.1)

    with pytest.raises(ReadTimeout):
        run(read)

    async def total(c: UpstreamClient) -> None:
        await c.request("POST", slow.url + "/", content=b"{}", timeout=Timeout(read=5, total=0.1))

    with pytest.raises(TotalTimeout):
        run(total)

    async def pool(c: UpstreamClient) -> None:
        first = asyncio.create_task(c.request("GET", slow.url + "/"))
        await asyncio.sleep(0.05)
        try:
            await c.request("GET", slow.url + "/", timeout=Timeout(connect=0.05, read=5))
        finally:
            await first

    with pytest.raises(PoolTimeout):
        run(pool, max_connections=1)

    async def after(c: UpstreamClient) -> int:  # a timed-out connection is dropped, never reused
        with pytest.raises(ReadTimeout):
            await c.request("GET", slow.url + "/", timeout=0.1)
        return (await c.request("GET", slow.url + "/", timeout=5)).status

    assert run(after) == 200


def test_connection_refused_and_bad_answers(raw: Callable[..., RawUpstream]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there

    async def refused(c: UpstreamClient) -> None:
        await c.request("POST", f"http://127.0.0.1:{port}/v1", content=b"{}")

    with pytest.raises(ConnectError):
        run(refused)

    garbage = raw(lambda s: (b"SMTP ready\r\n\r\n", True))

    async def bad(c: UpstreamClient) -> None:
        await c.request("GET", garbage.url + "/")

    with pytest.raises(RemoteProtocolError):
        run(bad)

    short = raw(lambda s: (b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly this", True))

    async def truncated(c: UpstreamClient) -> None:
        await c.request("GET", short.url + "/")

    with pytest.raises(RemoteProtocolError):
        run(truncated)

    async def injected(c: UpstreamClient) -> None:
        await c.request("GET", garbage.url + "/", headers={"authorization": "Bearer k\r\nx-evil: 1"})

    with pytest.raises(LocalProtocolError):
        run(injected)


def test_large_bodies_both_ways(recorder: Callable[..., Recorder], raw: Callable[..., RawUpstream]) -> None:
    big = bytes(range(256)) * (6 * 4096)  # 6 MiB
    up = recorder(lambda r: (200, {"content-type": "application/octet-stream"}, r.body[::-1]))

    async def echo(c: UpstreamClient) -> bytes:
        return (await c.request("POST", up.url + "/", content=big)).content

    assert run(echo) == big[::-1]

    piece = b"z" * 100_000
    many = (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
            + (b"%x\r\n" % len(piece) + piece + b"\r\n") * 40 + b"0\r\n\r\n")
    chunky = raw(lambda s: (many, False))

    async def chunks(c: UpstreamClient) -> int:
        return len((await c.request("GET", chunky.url + "/")).content)

    assert run(chunks) == 4_000_000

    async def capped(c: UpstreamClient) -> None:
        await c.request("GET", chunky.url + "/")

    with pytest.raises(RemoteProtocolError):
        run(capped, max_response_bytes=1_000_000)


def test_gzip_content_encoding_is_decoded(raw: Callable[..., RawUpstream]) -> None:
    body = gzip.compress(b'{"zipped": true}')
    up = raw(lambda s: (reply(body, extra="content-encoding: gzip\r\n"), False))

    async def go(c: UpstreamClient) -> Any:
        return json.loads((await c.request("GET", up.url + "/")).content)

    assert run(go) == {"zipped": True}


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_upstream_is_verified(raw: Callable[..., RawUpstream], tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    up = raw(lambda s: (reply(b"secure"), False), tls=server_ctx)
    trusting = ssl.create_default_context(cafile=str(cert))

    async def go(c: UpstreamClient) -> tuple[bytes, bytes, int]:
        a = (await c.request("GET", up.url + "/")).content
        b = (await c.request("GET", up.url + "/")).content
        return a, b, c.opened

    assert run(go, ssl_context=trusting) == (b"secure", b"secure", 1)

    async def untrusted(c: UpstreamClient) -> None:  # the default context does not know this CA
        await c.request("GET", up.url + "/")

    with pytest.raises(ConnectError):
        run(untrusted)


def test_env_proxy_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy",
                "all_proxy", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
    assert not env_proxy_applies("https://api.example.com/v1")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "models.internal")
    assert env_proxy_applies("https://api.example.com/v1")
    assert not env_proxy_applies("http://api.example.com/v1")  # no proxy for plain http
    assert not env_proxy_applies("https://models.internal:8443/v1")


# -- through the proxy ------------------------------------------------------------------------------

def _chat() -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def test_proxy_reports_upstream_failures_as_before(make_env: Callable[..., Env],
                                                   raw: Callable[..., RawUpstream]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = make_env(ServerSettings(upstream_url=f"http://127.0.0.1:{port}/v1"))
    r = env.client.post("/v1/chat/completions", json=_chat(), headers=env.auth())
    assert r.status_code == 502
    assert r.json()["error"] == {"code": "upstream_error", "message": "upstream unreachable: ConnectError",
                                 "field": None}

    slow = raw(lambda s: (reply(json.dumps(completion("late")).encode()), False), delay_s=0.6)
    env = make_env(ServerSettings(upstream_url=slow.url + "/v1", upstream_timeout_s=0.2))
    r = env.client.post("/v1/chat/completions", json=_chat(), headers=env.auth())
    assert r.status_code == 502 and r.json()["error"]["message"] == "upstream unreachable: ReadTimeout"

    rejecting = raw(lambda s: (reply(b'{"error": "context too long"}', status="400 Bad Request"), False))
    env = make_env(ServerSettings(upstream_url=rejecting.url + "/v1"))
    r = env.client.post("/v1/chat/completions", json=_chat(), headers=env.auth())
    assert r.status_code == 400 and r.json()["error"]["code"] == "upstream_rejected"
    assert "context too long" in r.json()["error"]["message"]

    not_json = raw(lambda s: (reply(b"<html>oops</html>"), False))
    env = make_env(ServerSettings(upstream_url=not_json.url + "/v1"))
    r = env.client.post("/v1/chat/completions", json=_chat(), headers=env.auth())
    assert r.status_code == 502 and r.json()["error"]["message"] == "the upstream reply is not JSON"

    env = make_env(ServerSettings(upstream_url=not_json.url + "/v1", upstream_api_key="k\r\nx-evil: 1"))
    r = env.client.post("/v1/chat/completions", json=_chat(), headers=env.auth())
    assert r.status_code == 502 and "LocalProtocolError" in r.json()["error"]["message"]
    assert not any(b"x-evil" in s.head for s in not_json.seen)


def test_proxy_keeps_its_upstream_connection_across_requests(make_env: Callable[..., Env],
                                                             raw: Callable[..., RawUpstream]) -> None:
    up = raw(lambda s: (reply(json.dumps(completion("Fine.")).encode(),
                              extra="content-type: application/json\r\n"), False))
    env = make_env(ServerSettings(upstream_url=up.url + "/v1"))
    for _ in range(4):
        r = env.client.post("/v1/chat/completions", json=_chat(), headers=env.auth())
        assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "Fine."
    assert up.accepted == 1 and len(up.seen) == 4


def test_proxy_uses_httpx_through_an_environment_proxy(make_env: Callable[..., Env],
                                                       recorder: Callable[..., Recorder],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP_PROXY routes httpx through a proxy; the lean client has no proxy support, so it stays out."""
    def as_proxy(r: Recorded) -> tuple[int, dict[str, str], bytes]:
        return json_reply(completion("via the proxy"))

    proxy = recorder(as_proxy)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    env = make_env(ServerSettings(upstream_url="http://model.invalid/v1"))
    r = env.client.post("/v1/chat/completions", json=_chat(), headers=env.auth())
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "via the proxy"
    assert proxy.requests[0].path == "http://model.invalid/v1/chat/completions"  # absolute form: a proxy request
