"""Load benchmark of the gateway: /v1/check throughput and latency, memory growth, proxy overhead.

Everything runs on loopback: ``guardline serve`` (a real process, SQLite audit + state, like
``make run``), the load generator ``wrk`` in its own process, and for the proxy a fake
OpenAI-compatible upstream (uvicorn, its own process).

    apt-get install -y wrk            # Debian/Ubuntu; wrk 4.x (the generator: C, one thread)
    .venv/bin/python benchmarks/load_check.py throughput --workers 1 2 --duration 60
    .venv/bin/python benchmarks/load_check.py memory --requests 50000 250000
    .venv/bin/python benchmarks/load_check.py proxy --requests 3000
    git archive HEAD~3 src | tar -x -C /tmp/old     # then compare builds in alternating rounds:
    .venv/bin/python benchmarks/load_check.py ab --build old=/tmp/old/src --build new=src --workers 2
    # (--inline 0 1: one value per build, e.g. an old build in its own default mode)

Targets (issue 7): >= 1,500 req/s with p99 <= 25 ms and zero errors over 60 s; RSS growth <= 5 %
between 50k and 250k requests; proxy p99 overhead over the upstream's own p99 <= 5 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
SECRET_HEX = "cd" * 32

MESSAGE = {"direction": "outbound", "channel": "sms", "conversation_id": "bench-conv", "customer_id": "c-1",
           "agent": {"name": "bench", "version": "1.0"},
           "text": "Hi Dana, your order 55123 ships on Monday. We will email dana.k@example.com with the "
                   "tracking link. Is there anything else I can help you with today?"}

UPSTREAM_APP = '''
import asyncio, json, os
DELAY = float(os.environ.get("UPSTREAM_DELAY_MS", "0")) / 1000
BODY = json.dumps({"id": "chatcmpl-b", "object": "chat.completion", "created": 1700000000, "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content":
    "Your order ships on Monday and the tracking link will follow by email."}, "finish_reason": "stop"}]}).encode()
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    if DELAY:
        await asyncio.sleep(DELAY)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]})
    await send({"type": "http.response.body", "body": BODY})
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[Any], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


class Server:
    """``guardline serve`` in a fresh directory; ``key`` is the admin key it prints on first start."""

    def __init__(self, workers: int, *, policy: str | None, inline: bool, extra_env: dict[str, str] | None = None):
        self.dir = Path(tempfile.mkdtemp(prefix="gl-bench-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "GUARDLINE_SECRET": SECRET_HEX, "PYTHONUNBUFFERED": "1",
               "GUARDLINE_INLINE_CHECKS": "1" if inline else "0", **(extra_env or {})}
        cmd = [sys.executable, "-m", "guardline", "serve", "--port", str(self.port), "--workers", str(workers),
               "--database", f"sqlite:///{self.dir / 'gl.db'}", "--state", f"sqlite:///{self.dir / 'state.db'}"]
        if policy:
            cmd += ["--policy", policy if policy == "default" else str(Path(policy).resolve())]
        self.proc = subprocess.Popen(cmd, cwd=self.dir, env=env, stdout=subprocess.PIPE,
                                     stderr=open(self.dir / "serve.err", "w"), text=True)
        assert self.proc.stdout is not None
        self.key = ""
        for line in self.proc.stdout:
            if line.startswith("glk_"):
                self.key = line.strip()
                break
        try:
            wait_healthy(self.url + "/healthz", self.proc)
        except BaseException:
            self.stop()  # a server that never answered must not outlive the benchmark
            raise
        time.sleep(1.0 if workers > 1 else 0.2)

    def rss_kib(self) -> int:
        """RSS of the server and all its descendants (uvicorn workers), in KiB."""
        total = 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            except (OSError, AttributeError):
                continue
        return total

    def pids(self) -> list[int]:
        """The server process and all its descendants (uvicorn workers)."""
        out: list[int] = []
        todo = [self.proc.pid]
        while todo:
            pid = todo.pop()
            if pid in out:
                continue
            out.append(pid)
            try:
                todo.extend(int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
            except OSError:
                continue
        return out

    def cpu_s(self) -> float:
        """User + system CPU seconds used so far by the server's processes."""
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


# Varied bodies (the default): every request another reply text (order number, name, weekday,
# e-mail address), conversation and customer, as a gateway sees them, so that no cache keyed by the text
# (the grounding detector keeps its analysis of recent reply texts) answers from memory. Same length
# and shape as MESSAGE.
VARIED_LUA = r"""
local names = {"Dana", "Omar", "Lena", "Priya", "Jonas", "Maria", "Kenji", "Sofia", "Ines", "Tomas", "Aiko", "Noor"}
local days = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
local n = 0
request = function()
  n = n + 1
  local name = names[(n % #names) + 1]
  local body = string.format('{"direction": "outbound", "channel": "sms", "conversation_id": "bench-conv-%d", ' ..
    '"customer_id": "c-%d", "agent": {"name": "bench", "version": "1.0"}, "text": "Hi %s, your order %d ships ' ..
    'on %s. We will email %s.k%d@example.com with the tracking link. Is there anything else I can help you ' ..
    'with today?"}', n % 500, n % 500, name, 50000 + n, days[(math.floor(n / 7) % #days) + 1],
    string.lower(name), n % 1000)
  return wrk.format(nil, nil, nil, body)
end
"""


def wrk(url: str, key: str, body: dict[str, Any] | None, *, duration: float, connections: int,
        stop_when: Callable[[], bool] | None = None) -> dict[str, float]:
    """One wrk run (1 thread); returns requests, rps, latency percentiles (ms) and errors. ``body``: one
    fixed message, or None for varied ones (``VARIED_LUA``). With ``stop_when``, wrk is interrupted
    (SIGINT: it still reports) once that returns True."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(
        'wrk.method = "POST"\n'
        + (f'wrk.body = {json.dumps(json.dumps(body))}\n' if body is not None else VARIED_LUA)
        + f'wrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer {key}"\n'
        +
        "done = function(summary, latency, requests)\n"
        '  io.write(string.format("RESULT %d %d %d %d %d %d %d %f %f %f %f %f\\n", summary.requests,\n'
        "    summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,\n"
        "    summary.errors.status, summary.errors.timeout, latency:percentile(50), latency:percentile(90),\n"
        "    latency:percentile(99), latency:percentile(99.9), latency.max))\nend\n")
    try:
        proc = subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{int(duration)}s", "--timeout", "5s",
                                 "-s", str(script), url], stdout=subprocess.PIPE, text=True)
        if stop_when is not None:
            while proc.poll() is None and not stop_when():
                time.sleep(0.25)
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate()
    finally:
        script.unlink()
    fields = next(line for line in out.splitlines() if line.startswith("RESULT")).split()[1:]
    n, dur_us, c_err, r_err, w_err, status, timeout = (int(x) for x in fields[:7])
    p50, p90, p99, p999, pmax = (float(x) / 1000 for x in fields[7:])
    return {"requests": n, "rps": n / (dur_us / 1e6), "p50_ms": p50, "p90_ms": p90, "p99_ms": p99,
            "p999_ms": p999, "max_ms": pmax, "errors": c_err + r_err + w_err + status + timeout,
            "non2xx": status}


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return sum(f) - f[3] - f[4], sum(f)


def measured(srv: Server, run: Callable[[], dict[str, float]]) -> dict[str, float]:
    """``run()``'s result plus the server's CPU per request, how busy the machine was (all processes:
    server, wrk, everyone else), and the 1-minute load average before and after."""
    load0 = os.getloadavg()[0]
    cpu0, (busy0, tot0), t0 = srv.cpu_s(), _machine_ticks(), time.monotonic()
    res = run()
    cpu1, (busy1, tot1), t1 = srv.cpu_s(), _machine_ticks(), time.monotonic()
    return {**res, "server_cores": (cpu1 - cpu0) / (t1 - t0),
            "server_cpu_ms_per_req": (cpu1 - cpu0) * 1000 / max(1, res["requests"]),
            "machine_busy_pct": 100 * (busy1 - busy0) / max(1, tot1 - tot0),
            "load1_before": load0, "load1_after": os.getloadavg()[0]}


def body(args: argparse.Namespace) -> dict[str, Any] | None:
    """``--message fixed``: MESSAGE every time (the earlier rounds' runs); ``varied``: ``VARIED_LUA``."""
    return MESSAGE if args.message == "fixed" else None


def cmd_throughput(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for workers in args.workers:
        for inline in args.inline:
            for connections in args.connections:
                srv = Server(workers, policy=args.policy, inline=inline)
                try:
                    wrk(srv.url + "/v1/check", srv.key, body(args), duration=5, connections=connections)  # warm-up
                    res = measured(srv, lambda srv=srv, c=connections: wrk(  # type: ignore[misc]
                        srv.url + "/v1/check", srv.key, body(args), duration=args.duration, connections=c))
                finally:
                    srv.stop()
                row = {"workers": workers, "inline": inline, "connections": connections, "message": args.message,
                       **res}
                rows.append(row)
                print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}),
                      flush=True)
    return rows


def cmd_ab(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Builds compared in alternating rounds (so drift in the machine's other load hits each alike):
    ``--build NAME=SRC_DIR`` puts SRC_DIR first on the server's PYTHONPATH (e.g. a ``git archive`` of
    an older commit's ``src``). Prints each run, then the median per build."""
    rows: list[dict[str, Any]] = []
    builds = [b.split("=", 1) for b in args.build]
    # one --inline value per build (in --build order), or one for all
    inline = args.inline if len(args.inline) == len(builds) else [args.inline[0]] * len(builds)
    for rnd in range(args.rounds):
        for (name, src), build_inline in zip(builds, inline, strict=True):
            srv = Server(args.workers[0], policy=args.policy, inline=build_inline,
                         extra_env={"PYTHONPATH": str(Path(src).resolve())})
            try:
                wrk(srv.url + "/v1/check", srv.key, body(args), duration=3, connections=args.connections[0])
                res = measured(srv, lambda srv=srv: wrk(srv.url + "/v1/check", srv.key, body(args),  # type: ignore[misc]
                                                        duration=args.duration, connections=args.connections[0]))
            finally:
                srv.stop()
            row = {"build": name, "round": rnd, "workers": args.workers[0], "inline": build_inline, **res}
            rows.append(row)
            print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
    for name, _ in builds:
        mine = [r for r in rows if r["build"] == name]
        print(json.dumps({"build": name, "median_rps": round(statistics.median(r["rps"] for r in mine), 1),
                          "median_p99_ms": round(statistics.median(r["p99_ms"] for r in mine), 2),
                          "errors": sum(r["errors"] for r in mine)}), flush=True)
    return rows


def checks_done(url: str) -> int:
    """Checks counted by the server's own /metrics (the sum over all workers)."""
    text = httpx.get(url + "/metrics", timeout=10).text
    return int(sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith("guardline_checks_total{")))


def cmd_memory(args: argparse.Namespace) -> list[dict[str, Any]]:
    """RSS of the server's processes (supervisor and workers) after ``--requests`` checks each."""
    srv = Server(args.workers[0], policy=args.policy, inline=args.inline[0])
    rows = []
    try:
        for target in args.requests:
            res = wrk(srv.url + "/v1/check", srv.key, body(args), duration=3600, connections=args.connections[0],
                      stop_when=lambda target=target: checks_done(srv.url) >= target)  # type: ignore[misc]
            time.sleep(1)
            done = checks_done(srv.url)
            row = {"requests": done, "rss_mib": srv.rss_kib() / 1024, "errors": res["errors"],
                   "rps": res["rps"], "p99_ms": res["p99_ms"]}
            rows.append(row)
            print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
    finally:
        srv.stop()
    if len(rows) >= 2:
        growth = (rows[-1]["rss_mib"] - rows[0]["rss_mib"]) / rows[0]["rss_mib"] * 100
        print(json.dumps({"rss_growth_pct": round(growth, 2)}), flush=True)
    return rows


def _latencies(client: httpx.Client, url: str, body: dict[str, Any], headers: dict[str, str], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = client.post(url, json=body, headers=headers)
        out.append((time.perf_counter() - t) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{url}: {r.status_code} {r.text[:200]}")
    return out


def _pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q / 100 * len(s)))]


def cmd_proxy(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Sequential requests (one connection each way): the upstream alone, then through the proxy,
    alternating in rounds so drift from other load on the machine hits both alike."""
    port = free_port()
    app_dir = Path(tempfile.mkdtemp(prefix="gl-upstream-"))
    (app_dir / "fake_upstream.py").write_text(UPSTREAM_APP)
    up = subprocess.Popen([sys.executable, "-m", "uvicorn", "fake_upstream:app", "--port", str(port),
                           "--log-level", "warning", "--no-access-log"], cwd=app_dir,
                          env={**os.environ, "UPSTREAM_DELAY_MS": str(args.upstream_delay_ms)})
    upstream = f"http://127.0.0.1:{port}/v1"
    wait_healthy(upstream + "/chat/completions", up)
    srv = Server(args.workers[0], policy=args.policy, inline=args.inline[0],
                 extra_env={"GUARDLINE_UPSTREAM_URL": upstream})
    body = {"model": "m", "messages": [{"role": "system", "content": "Orders ship on Monday."},
                                       {"role": "user", "content": "When does my order ship?"}]}
    direct: list[float] = []
    proxied: list[float] = []
    try:
        with httpx.Client(timeout=10) as c:
            _latencies(c, upstream + "/chat/completions", body, {}, 200)
            _latencies(c, srv.url + "/v1/chat/completions", body, {"Authorization": f"Bearer {srv.key}"}, 200)
            rounds = 10
            for _ in range(rounds):
                direct += _latencies(c, upstream + "/chat/completions", body, {}, args.requests // rounds)
                proxied += _latencies(c, srv.url + "/v1/chat/completions", body,
                                      {"Authorization": f"Bearer {srv.key}", "X-Guardline-Customer": "c-1",
                                       "X-Guardline-Conversation": "bench"}, args.requests // rounds)
    finally:
        srv.stop()
        up.send_signal(signal.SIGTERM)
        up.wait(timeout=10)
        shutil.rmtree(app_dir, ignore_errors=True)
    row = {"n": len(direct), "upstream_p50_ms": statistics.median(direct), "upstream_p99_ms": _pct(direct, 99),
           "proxy_p50_ms": statistics.median(proxied), "proxy_p99_ms": _pct(proxied, 99),
           "overhead_p50_ms": statistics.median(proxied) - statistics.median(direct),
           "overhead_p99_ms": _pct(proxied, 99) - _pct(direct, 99)}
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
    return [row]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=("throughput", "memory", "proxy", "ab"))
    p.add_argument("--workers", type=int, nargs="+", default=[1])
    p.add_argument("--inline", type=lambda s: s in ("1", "true", "yes"), nargs="+", default=[True],
                   help="run checks on the event loop (1) or in a worker thread (0)")
    p.add_argument("--connections", type=int, nargs="+", default=[16])
    p.add_argument("--message", choices=("varied", "fixed"), default="varied",
                   help="varied: every request another reply text, conversation and customer (default); "
                        "fixed: the same MESSAGE every time (earlier rounds)")
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--requests", type=int, nargs="+", default=[50_000, 250_000])
    p.add_argument("--upstream-delay-ms", type=float, default=0)
    p.add_argument("--build", action="append", default=[], metavar="NAME=SRC_DIR",
                   help="ab mode: a build to compare (repeat); SRC_DIR goes first on PYTHONPATH")
    p.add_argument("--rounds", type=int, default=2, help="ab mode: alternating rounds")
    p.add_argument("--policy", default=None, help="policy file (default: the built-in default policy)")
    p.add_argument("--out", help="append the rows as JSON lines to this file")
    args = p.parse_args()
    if args.mode == "proxy" and args.requests == [50_000, 250_000]:
        args.requests = [3000]
    if args.mode == "ab" and len(args.build) < 1:
        p.error("ab needs at least one --build NAME=SRC_DIR")
    rows = {"throughput": cmd_throughput, "memory": cmd_memory, "ab": cmd_ab,
            "proxy": lambda a: cmd_proxy(argparse.Namespace(**{**vars(a), "requests": a.requests[0]}))}[args.mode](args)
    if args.out:
        with open(args.out, "a") as fh:
            for row in rows:
                fh.write(json.dumps({"mode": args.mode, **row}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
