"""A small keep-alive HTTP/1.1 client on asyncio streams, for the proxy's calls to the upstream model.

The proxy's upstream call is one POST with a JSON body and a JSON reply, many times a second to one
origin. httpx's client (auth, redirects, cookies, and httpcore over anyio) cost about 2 ms of CPU per
call there; this client does only what that call needs:

- a pool of keep-alive connections per (scheme, host, port), at most ``max_connections`` in use per
  origin (a request waits for a free one, ``PoolTimeout`` after the connect timeout) and at most
  ``max_keepalive`` idle ones kept;
- bodies framed by ``Content-Length``, ``Transfer-Encoding: chunked`` or the end of the connection;
  ``gzip``/``deflate`` content codings are decoded (none is asked for);
- timeouts: ``connect`` (TCP and TLS), ``read`` (each wait for response bytes), ``write`` and
  ``total`` (the whole request), see ``Timeout``;
- TLS for ``https`` with the same context httpx builds (``httpx.create_ssl_context()``: certifi's CA
  bundle, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``), server name checked.

Stale keep-alive connections, the one retry rule: an idle connection that the server has closed
(end of stream seen, or its transport closing) is dropped before the request is written and another
one is taken, so that case never fails. Once the request has been written on a reused connection and
the server closes it without a single byte of response, the request is sent again on a new connection
only for idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE, TRACE), once; a POST, like the proxy's,
is not re-sent (the server may have acted on it) and fails with ``RemoteProtocolError``, as with httpx.

Errors: every failure is an ``UpstreamError``; the subclasses carry httpx's names, so that the proxy's
message ("upstream unreachable: ConnectError") reads the same as before::

    UpstreamError
    +-- ConnectError, ReadError, WriteError, RemoteProtocolError, LocalProtocolError
    +-- TimeoutException
        +-- ConnectTimeout, ReadTimeout, WriteTimeout, PoolTimeout, TotalTimeout

Not supported (the proxy needs none of it): redirects, cookies, proxies, HTTP/2, streaming a response
to the caller, request bodies other than bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import urllib.request
import zlib
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

__all__ = ["ConnectError", "ConnectTimeout", "LocalProtocolError", "PoolTimeout", "ReadError", "ReadTimeout",
           "RemoteProtocolError", "Timeout", "TimeoutException", "TotalTimeout", "UpstreamClient",
           "UpstreamError", "UpstreamResponse", "WriteError", "WriteTimeout", "env_proxy_applies"]


class UpstreamError(Exception):
    """The upstream could not be reached or answered something that is not HTTP/1.1."""


class ConnectError(UpstreamError):
    pass


class ReadError(UpstreamError):
    pass


class WriteError(UpstreamError):
    pass


class RemoteProtocolError(UpstreamError):
    pass


class LocalProtocolError(UpstreamError):
    pass


class TimeoutException(UpstreamError):
    pass


class ConnectTimeout(TimeoutException):
    pass


class ReadTimeout(TimeoutException):
    pass


class WriteTimeout(TimeoutException):
    pass


class PoolTimeout(TimeoutException):
    pass


class TotalTimeout(TimeoutException):
    pass


IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
MAX_HEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class Timeout:
    """Seconds; None waits forever. ``connect`` covers TCP and TLS, and the wait for a pool slot;
    ``read`` each wait for response bytes; ``write`` sending the request; ``total`` all of it."""

    connect: float | None = 60.0
    read: float | None = 60.0
    write: float | None = 60.0
    total: float | None = None

    @classmethod
    def of(cls, value: float | Timeout | None) -> Timeout:
        """A number sets connect, read and write (as httpx's ``timeout=``), leaving no total."""
        if isinstance(value, Timeout):
            return value
        return cls(connect=value, read=value, write=value, total=None)


@dataclass
class UpstreamResponse:
    status: int
    reason: str
    headers: list[tuple[str, str]]  # names in lower case, in the order received
    content: bytes

    def header(self, name: str, default: str | None = None) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k == name), default)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class _Origin:
    scheme: str
    host: str
    port: int
    host_header: str


@lru_cache(maxsize=64)
def _split(url: str) -> tuple[_Origin, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LocalProtocolError(f"not an http(s) URL: {parts.scheme or '?'}://{parts.hostname or '?'}")
    default = 443 if parts.scheme == "https" else 80
    try:
        port = parts.port or default
    except ValueError:
        raise LocalProtocolError("the URL's port is not a number") from None
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Origin(parts.scheme, host, port, shown if port == default else f"{shown}:{port}"), target


def _check_header(name: str, value: str) -> None:
    if not name or any(c in name for c in ":\r\n \t") or "\r" in value or "\n" in value or "\0" in value:
        raise LocalProtocolError(f"invalid request header {name[:40]!r}")


class _Connection:
    __slots__ = ("reader", "used", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.used = 0  # requests completed on it

    def stale(self) -> bool:
        # closed by the server, or bytes nobody asked for (they would be read as the next response)
        return (self.reader.at_eof() or self.writer.transport.is_closing()
                or bool(getattr(self.reader, "_buffer", b"")))

    def close(self) -> None:
        transport = self.writer.transport
        if not transport.is_closing():
            transport.close()


class _Pool:
    __slots__ = ("idle", "slots")

    def __init__(self, max_connections: int) -> None:
        self.idle: deque[_Connection] = deque()
        self.slots = asyncio.Semaphore(max_connections)


class _Deadline:
    """One ``asyncio.timeout`` for the request, moved to each phase's limit (or the total's, if
    sooner); ``phase`` says which limit was running when it fired."""

    __slots__ = ("bound_by_total", "cm", "loop", "phase", "total_at")

    def __init__(self, cm: asyncio.Timeout, loop: asyncio.AbstractEventLoop, total: float | None) -> None:
        self.cm = cm
        self.loop = loop
        self.total_at = None if total is None else loop.time() + total
        self.phase = "connect"
        self.bound_by_total = False

    def enter(self, phase: str, seconds: float | None) -> None:
        self.phase = phase
        when = None if seconds is None else self.loop.time() + seconds
        self.bound_by_total = self.total_at is not None and (when is None or self.total_at <= when)
        self.cm.reschedule(self.total_at if self.bound_by_total else when)

    def error(self) -> TimeoutException:
        if self.bound_by_total:
            return TotalTimeout(f"the request took longer than its total timeout (during {self.phase})")
        return {"connect": ConnectTimeout, "pool": PoolTimeout, "write": WriteTimeout}.get(
            self.phase, ReadTimeout)(f"timed out ({self.phase})")


class _NotSent(Exception):
    """A reused connection failed in a way that allows sending the request again (see the module doc)."""


class UpstreamClient:
    """``await client.request("POST", url, headers=..., content=b"...", timeout=60)``; ``aclose()`` at the end."""

    def __init__(self, *, max_connections: int = 256, max_keepalive: int = 64,
                 ssl_context: ssl.SSLContext | None = None, user_agent: str = "guardline",
                 max_response_bytes: int = 64 * 1024 * 1024) -> None:
        if max_connections < 1 or max_keepalive < 0:
            raise ValueError("max_connections must be >= 1 and max_keepalive >= 0")
        self.max_connections = max_connections
        self.max_keepalive = max_keepalive
        self.user_agent = user_agent
        self.max_response_bytes = max_response_bytes
        self._ssl = ssl_context
        self._pools: dict[tuple[str, str, int], _Pool] = {}
        self._closed = False
        self.opened = 0  # connections opened so far (for tests and metrics)

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            import httpx  # the same CA bundle and settings as the httpx client this replaces

            self._ssl = httpx.create_ssl_context()
        return self._ssl

    async def aclose(self) -> None:
        """Close the idle connections and wait (at most a second) until they are closed, so that none is
        left to the garbage collector when the event loop stops right after."""
        self._closed = True
        closing = []
        for pool in self._pools.values():
            while pool.idle:
                conn = pool.idle.pop()
                conn.close()
                closing.append(conn.writer.wait_closed())
        self._pools.clear()
        if closing:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await asyncio.gather(*closing, return_exceptions=True)

    def idle_connections(self) -> int:
        return sum(len(p.idle) for p in self._pools.values())

    async def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                      content: bytes = b"", timeout: float | Timeout | None = 60.0) -> UpstreamResponse:
        if self._closed:
            raise LocalProtocolError("the client is closed")
        origin, target = _split(url)
        head = self._head(method, origin, target, headers or {}, content)
        limits = Timeout.of(timeout)
        key = (origin.scheme, origin.host, origin.port)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = _Pool(self.max_connections)
        loop = asyncio.get_running_loop()
        deadline: _Deadline | None = None
        try:
            async with asyncio.timeout(None) as cm:
                deadline = _Deadline(cm, loop, limits.total)
                if pool.slots.locked():
                    deadline.enter("pool", limits.connect)
                await pool.slots.acquire()  # a free slot: returns without yielding
                try:
                    return await self._send(pool, origin, method, head, content, limits, deadline)
                finally:
                    pool.slots.release()
        except TimeoutError:
            if deadline is not None and deadline.cm.expired():
                raise deadline.error() from None
            raise

    async def _send(self, pool: _Pool, origin: _Origin, method: str, head: bytes, content: bytes,
                    limits: Timeout, deadline: _Deadline) -> UpstreamResponse:
        retried = False
        while True:
            conn = None
            while pool.idle:
                candidate = pool.idle.pop()  # the most recently used: the least likely to be stale
                if candidate.stale():
                    candidate.close()
                    continue
                conn = candidate
                break
            if conn is None:
                deadline.enter("connect", limits.connect)
                conn = await self._connect(origin)
            try:
                response, reusable = await self._exchange(conn, method, head, content, limits, deadline,
                                                          may_retry=conn.used > 0 and not retried)
            except _NotSent:
                conn.close()
                retried = True
                continue
            except BaseException:
                conn.close()
                raise
            conn.used += 1
            if reusable and not self._closed and len(pool.idle) < self.max_keepalive:
                pool.idle.append(conn)
            else:
                conn.close()
            return response

    def _head(self, method: str, origin: _Origin, target: str, headers: Mapping[str, str],
              content: bytes) -> bytes:
        lines = [f"{method} {target} HTTP/1.1", f"host: {origin.host_header}"]
        names = set()
        for name, value in headers.items():
            lower = name.lower()
            if lower in ("host", "content-length", "transfer-encoding", "connection"):
                continue  # framing and connection management are this client's
            _check_header(name, value)
            names.add(lower)
            lines.append(f"{name}: {value}")
        if "accept" not in names:
            lines.append("accept: */*")
        if "user-agent" not in names:
            lines.append(f"user-agent: {self.user_agent}")
        if content or method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            lines.append(f"content-length: {len(content)}")
        lines.append("\r\n")
        try:
            return "\r\n".join(lines).encode("ascii")
        except UnicodeEncodeError:
            raise LocalProtocolError("request headers must be ASCII") from None

    async def _connect(self, origin: _Origin) -> _Connection:
        tls = origin.scheme == "https"
        try:
            reader, writer = await asyncio.open_connection(
                origin.host, origin.port, limit=MAX_HEAD_BYTES,
                ssl=self._ssl_context() if tls else None, server_hostname=origin.host if tls else None)
        except (OSError, ssl.SSLError) as exc:
            raise ConnectError(str(exc) or type(exc).__name__) from exc
        self.opened += 1
        return _Connection(reader, writer)

    async def _exchange(self, conn: _Connection, method: str, head: bytes, content: bytes, limits: Timeout,
                        deadline: _Deadline, *, may_retry: bool) -> tuple[UpstreamResponse, bool]:
        reader, writer = conn.reader, conn.writer
        deadline.enter("write", limits.write)
        try:
            if len(content) <= 64 * 1024:
                writer.write(head + content)
            else:
                writer.write(head)
                writer.write(content)
            await writer.drain()
        except (OSError, RuntimeError) as exc:
            if may_retry and method in IDEMPOTENT:
                raise _NotSent from exc
            raise WriteError(str(exc) or type(exc).__name__) from exc
        try:
            status, reason, version, headers = await self._head_of(reader, method, limits, deadline,
                                                                    may_retry=may_retry)
            body, framed = await self._body(reader, method, status, headers, limits, deadline)
        except OSError as exc:
            raise ReadError(str(exc) or type(exc).__name__) from exc
        connection = ",".join(v for k, v in headers if k == "connection").lower()
        reusable = framed and version == "HTTP/1.1" and "close" not in connection and not reader.at_eof()
        encoding = ",".join(v for k, v in headers if k == "content-encoding").strip().lower()
        if encoding and encoding != "identity" and body:
            body = _decode(body, encoding)
        return UpstreamResponse(status, reason, headers, body), reusable

    async def _head_of(self, reader: asyncio.StreamReader, method: str, limits: Timeout, deadline: _Deadline,
                       *, may_retry: bool) -> tuple[int, str, str, list[tuple[str, str]]]:
        while True:
            deadline.enter("read", limits.read)
            try:
                raw = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as exc:
                if not exc.partial and may_retry and method in IDEMPOTENT:
                    raise _NotSent from exc
                raise RemoteProtocolError("the server disconnected without sending a response") from None
            except asyncio.LimitOverrunError:
                raise RemoteProtocolError("the response head is too large") from None
            head = _parse_head(raw)
            if not (100 <= head[0] < 200) or head[0] == 101:
                return head
            # an interim response (100 Continue, 103 Early Hints): the real one follows

    async def _body(self, reader: asyncio.StreamReader, method: str, status: int,
                    headers: list[tuple[str, str]], limits: Timeout, deadline: _Deadline) -> tuple[bytes, bool]:
        """The body, and whether it was framed (the connection can carry another request)."""
        if method == "HEAD" or status in (204, 304):
            return b"", True
        transfer = ",".join(v for k, v in headers if k == "transfer-encoding").lower()
        if transfer:
            if transfer.replace(" ", "").split(",")[-1] != "chunked":
                return await self._until_eof(reader, limits, deadline), False
            return await self._chunked(reader, limits, deadline), True
        lengths = {v.strip() for k, v in headers if k == "content-length"}
        if lengths:
            if len(lengths) != 1 or not next(iter(lengths)).isdigit():
                raise RemoteProtocolError("invalid Content-Length")
            n = int(next(iter(lengths)))
            if n > self.max_response_bytes:
                raise RemoteProtocolError("the response body is too large")
            try:
                return await reader.readexactly(n), True
            except asyncio.IncompleteReadError:
                raise RemoteProtocolError("the server closed the connection before the body's end") from None
        return await self._until_eof(reader, limits, deadline), False

    async def _chunked(self, reader: asyncio.StreamReader, limits: Timeout, deadline: _Deadline) -> bytes:
        parts: list[bytes] = []
        size = 0
        try:
            while True:
                deadline.enter("read", limits.read)
                line = await reader.readuntil(b"\r\n")
                field = line[:-2].split(b";", 1)[0].strip()
                try:
                    n = int(field, 16)
                except ValueError:
                    raise RemoteProtocolError("invalid chunk size") from None
                if n < 0:
                    raise RemoteProtocolError("invalid chunk size")
                if n == 0:
                    while (await reader.readuntil(b"\r\n")) != b"\r\n":
                        pass  # trailers: ignored
                    return b"".join(parts)
                size += n
                if size > self.max_response_bytes:
                    raise RemoteProtocolError("the response body is too large")
                chunk = await reader.readexactly(n + 2)
                if chunk[-2:] != b"\r\n":
                    raise RemoteProtocolError("a chunk does not end with CRLF")
                parts.append(chunk[:-2])
        except asyncio.IncompleteReadError:
            raise RemoteProtocolError("the server closed the connection inside a chunked body") from None
        except asyncio.LimitOverrunError:
            raise RemoteProtocolError("a chunk header is too long") from None

    async def _until_eof(self, reader: asyncio.StreamReader, limits: Timeout, deadline: _Deadline) -> bytes:
        parts: list[bytes] = []
        size = 0
        while True:
            deadline.enter("read", limits.read)
            data = await reader.read(256 * 1024)
            if not data:
                return b"".join(parts)
            size += len(data)
            if size > self.max_response_bytes:
                raise RemoteProtocolError("the response body is too large")
            parts.append(data)


def env_proxy_applies(url: str | None) -> bool:
    """Whether an ``HTTP_PROXY``/``HTTPS_PROXY``/``ALL_PROXY`` from the environment (not excluded by
    ``NO_PROXY``) would route ``url`` through a proxy, as httpx's client does; this client has no proxy
    support, so the caller keeps httpx for such a URL."""
    if not url:
        return False
    proxies = urllib.request.getproxies_environment()
    parts = urlsplit(url)
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(parts.netloc)


def _parse_head(raw: bytes) -> tuple[int, str, str, list[tuple[str, str]]]:
    try:
        text = raw[:-4].decode("latin-1")
        status_line, *lines = text.split("\r\n")
        version, code, *rest = status_line.split(" ", 2)
        if version not in ("HTTP/1.1", "HTTP/1.0") or len(code) != 3 or not code.isdigit():
            raise ValueError(status_line[:40])
        headers: list[tuple[str, str]] = []
        for line in lines:
            name, sep, value = line.partition(":")
            if not sep or not name or name[-1] in " \t" or line[0] in " \t":
                raise ValueError(line[:40])
            headers.append((name.lower(), value.strip(" \t")))
    except ValueError as exc:
        raise RemoteProtocolError(f"invalid response head: {exc}") from None
    return int(code), rest[0] if rest else "", version, headers


def _decode(body: bytes, encoding: str) -> bytes:
    data = body
    codings: Iterable[str] = reversed([c.strip() for c in encoding.split(",") if c.strip()])
    try:
        for coding in codings:
            if coding in ("gzip", "x-gzip"):
                data = zlib.decompress(data, zlib.MAX_WBITS | 16)
            elif coding == "deflate":
                try:
                    data = zlib.decompress(data)
                except zlib.error:
                    data = zlib.decompress(data, -zlib.MAX_WBITS)
            elif coding != "identity":
                raise RemoteProtocolError(f"unsupported content encoding {coding[:40]!r}")
    except zlib.error:
        raise RemoteProtocolError("the response body does not decode") from None
    return data
