"""Several worker processes on one listening socket, with the connections spread evenly over them.

uvicorn's ``--workers`` lets every worker accept from the shared socket, and the first one to wake
takes whatever is waiting. A load test opens its keep-alive connections in one burst, and one worker
took all sixteen of them in two of four 60-second runs here (the other idled: 1,220 req/s against
1,810 when they were split), even with libuv's ``UV_TCP_SINGLE_ACCEPT``.

Here each worker accepts itself (:class:`BalancedListener`): the workers publish how many connections
each holds in a small shared array (:class:`AcceptShare`), and a worker accepts only while it holds no
more than every other live worker. A worker that holds more steps back, looks again a millisecond
later, and accepts anyway once a connection has waited ``patience_s`` (a busy or stuck peer never
strands a client). Sockets are handed to the event loop with ``connect_accepted_socket``, so uvicorn's
own protocol serves them as before; only the accept step and the supervisor (:func:`serve_workers`:
start, restart a worker that dies, stop all on SIGINT/SIGTERM) are ours.

Keep-alive connections outlive the moment they were accepted: a worker that started late or was
restarted would idle while its peers keep theirs. So a worker that holds two or more connections
above its least loaded peer sheds half the difference, a few times a second: it answers a request in
flight, whose response has not started yet, with ``Connection: close``, and the client's next
connection is accepted by a peer. Nothing in flight is cut off, and an idle connection is never closed
(a client could be sending on it at that moment).
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import logging
import multiprocessing
import os
import select
import shutil
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

__all__ = ["AcceptShare", "BalancedListener", "BalancedServer", "serve_workers"]

logger = logging.getLogger("uvicorn.error")  # where uvicorn reports its own workers

_RESOURCE_ERRORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


class AcceptShare:
    """Open connections per worker slot, and which slots are live, in memory shared by the workers.

    Each worker writes only its own slot; the others read it without a lock (a stale read only makes
    one accept decision a connection early or late).
    """

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        ctx = multiprocessing.get_context("spawn")
        self.counts = ctx.RawArray(ctypes.c_long, workers)
        self.live = ctx.RawArray(ctypes.c_byte, workers)      # accepting now
        self.started = ctx.RawArray(ctypes.c_byte, workers)   # this slot's process finished startup

    def _fewest_of_peers(self, slot: int) -> int | None:
        """The open connections of the least loaded live worker other than ``slot`` (None: no peer)."""
        peers = [self.counts[i] for i in range(len(self.counts)) if i != slot and self.live[i]]
        return min(peers) if peers else None

    def may_accept(self, slot: int) -> bool:
        """True when ``slot`` holds no more connections than any other live worker."""
        fewest = self._fewest_of_peers(slot)
        return fewest is None or self.counts[slot] <= fewest

    def surplus(self, slot: int) -> int:
        """How many connections ``slot`` should hand over: half its lead on the least loaded live peer."""
        fewest = self._fewest_of_peers(slot)
        return 0 if fewest is None else max(0, (self.counts[slot] - fewest) // 2)


class _Release:
    """Gives a connection's count back once, whichever of the two paths that end it comes first."""

    __slots__ = ("counts", "done", "slot")

    def __init__(self, counts: Any, slot: int) -> None:
        self.counts, self.slot, self.done = counts, slot, False

    def __call__(self) -> None:
        if not self.done:
            self.done = True
            self.counts[self.slot] -= 1


class BalancedListener:
    """Accepts from a shared listening socket for one worker, taking its share of connections only.

    Looks like the part of ``asyncio.Server`` that uvicorn's shutdown uses (``close``,
    ``wait_closed``, ``sockets``).
    """

    patience_s = 0.02  # a connection waits at most this long for a less loaded worker
    retry_s = 0.001    # how soon a worker that stepped back looks again
    burst = 64         # connections accepted per wake-up at most
    rebalance_s = 0.25  # how often a worker compares its connections with its peers'

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket,
                 protocol_factory: Callable[[], asyncio.BaseProtocol], share: AcceptShare, slot: int,
                 ssl_context: ssl.SSLContext | None = None, backlog: int = 2048) -> None:
        self._loop = loop
        self._sock = sock
        self._fd = sock.fileno()
        self._factory = protocol_factory
        self._share = share
        self._slot = slot
        self._ssl = ssl_context
        self._waiting_since: float | None = None
        self._armed = False
        self._closed = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._protocols: set[asyncio.BaseProtocol] = set()
        sock.setblocking(False)
        sock.listen(backlog)  # uvicorn binds without listening (its event loop's server listens)
        self._arm()
        self._rebalancer = loop.call_later(self.rebalance_s, self._rebalance)

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return (self._sock,)

    def _arm(self) -> None:
        if not self._closed and not self._armed:
            self._loop.add_reader(self._fd, self._on_readable)
            self._armed = True

    def _disarm(self) -> None:
        if self._armed:
            self._loop.remove_reader(self._fd)
            self._armed = False

    def _look_again(self) -> None:
        if self._closed:
            return
        try:
            pending = bool(select.select([self._fd], [], [], 0)[0])
        except (OSError, ValueError):
            pending = False
        if not pending:  # a peer took it: the next connection starts a fresh wait
            self._waiting_since = None
        self._arm()

    def _on_readable(self) -> None:
        now = time.monotonic()
        if not self._share.may_accept(self._slot):
            if self._waiting_since is None:
                self._waiting_since = now
            if now - self._waiting_since < self.patience_s:
                self._disarm()
                self._loop.call_later(self.retry_s, self._look_again)
                return
        self._waiting_since = None
        for _ in range(self.burst):
            try:
                conn, _ = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as exc:
                if exc.errno not in _RESOURCE_ERRORS:
                    raise
                # out of descriptors or memory: stop accepting for a moment, as asyncio does
                logger.error("accept failed (%s); pausing accepts for 0.1 s", exc)
                self._disarm()
                self._loop.call_later(0.1, self._arm)
                return
            self._adopt(conn)
            if not self._share.may_accept(self._slot):
                return

    def _adopt(self, conn: socket.socket) -> None:
        conn.setblocking(False)
        if conn.family in (socket.AF_INET, socket.AF_INET6):
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._share.counts[self._slot] += 1
        release = _Release(self._share.counts, self._slot)
        task = self._loop.create_task(self._connect(conn, release))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _connect(self, conn: socket.socket, release: _Release) -> None:
        made: list[asyncio.BaseProtocol] = []

        def protocol() -> asyncio.BaseProtocol:
            proto = self._factory()
            made.append(proto)
            lost = proto.connection_lost

            def connection_lost(exc: Exception | None) -> None:
                release()
                self._protocols.discard(proto)
                lost(exc)

            proto.connection_lost = connection_lost  # type: ignore[method-assign]
            self._protocols.add(proto)
            return proto

        try:
            await self._loop.connect_accepted_socket(protocol, sock=conn, ssl=self._ssl)
        except Exception as exc:  # e.g. a failed TLS handshake: the client's problem, not the server's
            release()
            self._protocols.difference_update(made)
            conn.close()
            logger.debug("connection dropped before it was served: %s", exc)

    def _rebalance(self) -> None:
        if self._closed:
            return
        try:
            surplus = self._share.surplus(self._slot)
            if surplus:
                self.shed(surplus)
        finally:
            self._rebalancer = self._loop.call_later(self.rebalance_s, self._rebalance)

    def shed(self, n: int) -> int:
        """Mark up to ``n`` connections to close after the response now being prepared on each.

        Only a request whose response has not started can still say ``Connection: close``
        (uvicorn's cycle: ``keep_alive`` is read when the response starts). Returns how many.
        """
        marked = 0
        for proto in self._protocols:
            if marked >= n:
                break
            cycle = getattr(proto, "cycle", None)
            if (cycle is None or getattr(cycle, "response_started", True)
                    or getattr(cycle, "response_complete", True) or not getattr(cycle, "keep_alive", False)):
                continue
            cycle.keep_alive = False
            marked += 1
        return marked

    def close(self) -> None:
        self._closed = True
        self._rebalancer.cancel()
        self._disarm()

    async def wait_closed(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


class BalancedServer(uvicorn.Server):
    """uvicorn's server, accepting through :class:`BalancedListener` on the sockets it is given.

    With ``supervisor`` (its process id) the server also shuts down once that process is gone, so a
    supervisor killed outright (SIGKILL, the OOM killer) leaves no workers serving on the port.
    """

    orphan_check_s = 1.0

    def __init__(self, config: uvicorn.Config, share: AcceptShare, slot: int, *,
                 supervisor: int | None = None) -> None:
        super().__init__(config)
        self.share = share
        self.slot = slot
        self.supervisor = supervisor

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        if not sockets:
            await super().startup(sockets)
            return
        await self.lifespan.startup()
        if self.lifespan.should_exit:
            sys.exit(STARTUP_FAILURE)
        config = self.config

        def create_protocol(_loop: asyncio.AbstractEventLoop | None = None) -> asyncio.Protocol:
            return config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state, _loop=_loop)

        loop = asyncio.get_running_loop()
        self.share.counts[self.slot] = 0
        self.share.live[self.slot] = 1
        self.share.started[self.slot] = 1
        self.servers = [BalancedListener(loop, sock, create_protocol, self.share, self.slot,  # type: ignore[misc]
                                         ssl_context=config.ssl, backlog=config.backlog)
                        for sock in sockets]
        if self.supervisor is not None:
            loop.call_later(self.orphan_check_s, self._check_supervisor, loop)
        self.started = True

    def _check_supervisor(self, loop: asyncio.AbstractEventLoop) -> None:
        if os.getppid() != self.supervisor:
            logger.warning("supervisor %s is gone; worker %d shuts down", self.supervisor, os.getpid())
            self.should_exit = True
            return
        loop.call_later(self.orphan_check_s, self._check_supervisor, loop)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.share.live[self.slot] = 0
        await super().shutdown(sockets)


def _worker(config: uvicorn.Config, sock: socket.socket, share: AcceptShare, slot: int,
            supervisor: int | None = None) -> None:
    config.configure_logging()
    server = BalancedServer(config, share, slot, supervisor=supervisor)
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def serve_workers(config: uvicorn.Config, workers: int, *, grace_s: float = 30.0) -> int:
    """Run ``workers`` processes of ``config``'s app on one socket until SIGINT or SIGTERM.

    A worker that dies after it started, or is killed by a signal, is restarted (at most once a
    second); one that exits by itself before it finished starting (the app does not load, its startup
    fails) stops them all, since its replacement would fail the same way, and the exit status is then
    uvicorn's startup-failure code.
    Returns the exit status.
    """
    sock = config.bind_socket()
    share = AcceptShare(workers)
    metrics_dir, own_metrics_dir = _metrics_dir()
    ctx = multiprocessing.get_context("spawn")
    procs: list[Any] = [None] * workers
    started_at = [0.0] * workers
    stop = threading.Event()

    def start(slot: int) -> None:
        share.started[slot] = 0
        proc = ctx.Process(target=_worker, args=(config, sock, share, slot, os.getpid()),
                           name=f"guardline-worker-{slot}")
        proc.start()
        procs[slot] = proc
        started_at[slot] = time.monotonic()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    status = 0
    try:
        for slot in range(workers):
            start(slot)
        logger.info("started %d workers (pids %s)", workers, ", ".join(str(p.pid) for p in procs))
        while not stop.wait(0.25):
            for slot, proc in enumerate(procs):
                if proc.is_alive():
                    continue
                share.live[slot] = 0
                _forget_live_gauges(proc.pid, metrics_dir)
                if not share.started[slot] and (proc.exitcode or 0) >= 0:  # not killed by a signal
                    logger.error("worker %d exited with code %s before it started; stopping",
                                 proc.pid, proc.exitcode)
                    status = STARTUP_FAILURE
                    stop.set()
                    break
                if time.monotonic() - started_at[slot] < 1.0:
                    continue  # restart at most once a second
                logger.warning("worker %d exited with code %s; restarting it", proc.pid, proc.exitcode)
                start(slot)
    finally:
        for proc in procs:
            if proc is not None and proc.is_alive():
                proc.terminate()  # SIGTERM: uvicorn finishes in-flight requests first
        deadline = time.monotonic() + grace_s
        for proc in procs:
            if proc is not None:
                proc.join(max(0.0, deadline - time.monotonic()))
                if proc.is_alive():
                    proc.kill()
                    proc.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
        if config.uds and os.path.exists(config.uds):
            os.remove(config.uds)
        if own_metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return status


def _metrics_dir() -> tuple[str, bool]:
    """The folder where the workers' Prometheus values meet (set before any worker starts).

    An operator's own ``PROMETHEUS_MULTIPROC_DIR`` is used and emptied of earlier runs' value files,
    as prometheus-client asks; otherwise a private temporary folder, removed at exit.
    """
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        for old in Path(given).glob("*.db"):
            old.unlink(missing_ok=True)
        return given, False
    path = tempfile.mkdtemp(prefix="guardline-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path, True


def _forget_live_gauges(pid: int | None, path: str) -> None:
    if pid is None:
        return
    try:
        from prometheus_client import multiprocess
    except ImportError:  # pragma: no cover - prometheus-client is a server dependency
        return
    multiprocess.mark_process_dead(pid, path)
