"""Audit trail benchmarks: durable append throughput (SQLite, PostgreSQL; group commit under concurrent
writers), what write-behind auditing adds to a check's p99, and verify throughput.

    .venv/bin/python benchmarks/bench_audit.py                       # everything, defaults
    .venv/bin/python benchmarks/bench_audit.py --only append --events 20000 --threads 1,8,32
    .venv/bin/python benchmarks/bench_audit.py --postgres ""         # skip PostgreSQL

Messages are synthetic (realistic length, one e-mail finding each); no data set is needed.
Each figure is the median over ``--rounds`` runs, with the spread.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from guardline.audit import AuditLog, open_audit, verify_store
from guardline.audit.crypto import AuditCrypto
from guardline.audit.store import open_store
from guardline.keys import KeyRing
from guardline.types import Action, Category, Finding, Message, Severity, Verdict

KEYS = KeyRing(b"benchmark-master-secret-32-bytes")
TEXT = ("Thanks for waiting! Your order {i} has shipped and should arrive on Monday. If anything is wrong, "
        "reply here or write to support{i}@example.com and we will sort it out.")


def _message(i: int, tenant: str = "bench") -> tuple[Message, Verdict]:
    text = TEXT.format(i=i)
    start = text.index("support")
    end = text.index(" and we")
    m = Message(id=f"m{i}", tenant=tenant, conversation_id=f"conv{i % 500}", customer_id=f"cust{i % 200}",
                direction="outbound", channel="sms", text=text,
                grounding=[{"kind": "crm", "text": f"order {i}: shipped, ETA Monday", "id": "crm"}])
    v = Verdict(Action.REDACT, text, (Finding("pii", Category.PII, "pii.email", Severity.MEDIUM, (start, end), 1.0,
                                              "e-mail address"),), "bench@1", "ab" * 32, m.id, {"pii": "1.0"}, 0.4)
    return m, v


def _pg_url(base: str) -> tuple[str, Callable[[], None]]:
    import psycopg

    schema = "gl_bench_" + uuid.uuid4().hex[:10]

    def drop() -> None:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    return f"{base}{'&' if '?' in base else '?'}schema={schema}", drop


def bench_append(url: str, events: int, threads: int) -> float:
    """Durable appends per second with ``threads`` concurrent callers."""
    items = [_message(i) for i in range(events)]
    log = open_audit(url, keys=KEYS)
    per = events // threads

    def work(k: int) -> None:
        for m, v in items[k * per:(k + 1) * per]:
            log.append(m, v)

    pool = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    t0 = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - t0
    log.close()
    return per * threads / elapsed


def _fill(url: str, events: int, writers: int = 50) -> None:
    log = open_audit(url, keys=KEYS, checkpoint_every=1000)

    def work(k: int) -> None:
        for i in range(k, events, writers):
            log.append(*_message(i))

    pool = [threading.Thread(target=work, args=(k,)) for k in range(writers)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    log.close()


def bench_verify(url: str) -> tuple[int, float]:
    store = open_store(url)
    crypto = AuditCrypto(KEYS)
    t0 = time.perf_counter()
    reports = verify_store(store, crypto.signature_ok)
    elapsed = time.perf_counter() - t0
    store.close()
    assert all(r.ok for r in reports), [str(r.problem) for r in reports]
    n = sum(r.events for r in reports)
    return n, n / elapsed


def _check_latencies(guard: Any, msgs: list[dict[str, Any]]) -> list[float]:
    out = []
    for m in msgs:
        t0 = time.perf_counter()
        guard.check(m)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _p(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))]


def bench_overhead(url: str, checks: int, rounds: int) -> dict[str, Any]:
    """p50/p99 of Guard.check (default policy) without audit and with write-behind audit, interleaved."""
    from guardline import Guard

    msgs = [{"direction": "outbound", "channel": "sms", "tenant": "bench", "conversation_id": f"c{i % 50}",
             "customer_id": f"u{i % 40}", "text": TEXT.format(i=i)} for i in range(checks)]
    plain = Guard(keys=KEYS)
    audit: AuditLog = open_audit(url, keys=KEYS, durable=False)
    calls: list[float] = []
    inner = audit.append

    def timed_append(message: Message, verdict: Verdict) -> Any:
        t0 = time.perf_counter()
        try:
            return inner(message, verdict)
        finally:
            calls.append((time.perf_counter() - t0) * 1000)

    audit.append = timed_append  # type: ignore[method-assign]
    audited = Guard(keys=KEYS, audit=audit)
    _check_latencies(plain, msgs[:200])
    _check_latencies(audited, msgs[:200])
    res: dict[str, list[float]] = {"p50_off": [], "p99_off": [], "p50_on": [], "p99_on": [],
                                   "append_call_p50": [], "append_call_p99": []}
    for _ in range(rounds):
        calls.clear()
        off = _check_latencies(plain, msgs)
        on = _check_latencies(audited, msgs)
        audit.flush()
        res["p50_off"].append(_p(off, 0.5))
        res["p99_off"].append(_p(off, 0.99))
        res["p50_on"].append(_p(on, 0.5))
        res["p99_on"].append(_p(on, 0.99))
        res["append_call_p50"].append(_p(calls, 0.5))
        res["append_call_p99"].append(_p(calls, 0.99))
    audited.close()
    deltas = [b - a for a, b in zip(res["p99_off"], res["p99_on"], strict=True)]
    return {k: round(statistics.median(v), 4) for k, v in res.items()} | {
        "p99_added_ms_median": round(statistics.median(deltas), 4),
        "p99_added_ms_min": round(min(deltas), 4), "p99_added_ms_max": round(max(deltas), 4),
        "checks_per_round": checks, "rounds": rounds}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--only", choices=("append", "overhead", "verify"), action="append")
    ap.add_argument("--events", type=int, default=20_000, help="events per append run")
    ap.add_argument("--threads", default="1,8,32", help="concurrent callers, comma-separated")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--checks", type=int, default=3000, help="checks per overhead round")
    ap.add_argument("--verify-events", type=int, default=200_000, help="chain length for verify")
    ap.add_argument("--postgres", default=os.environ.get("GUARDLINE_BENCH_POSTGRES",
                                                         "postgresql://postgres@127.0.0.1:5432/test"),
                    help="PostgreSQL base URL ('' to skip)")
    ap.add_argument("--out", help="also write the results as JSON here")
    args = ap.parse_args(argv)
    only = set(args.only or ("append", "overhead", "verify"))
    threads = [int(x) for x in args.threads.split(",")]
    results: dict[str, Any] = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
    tmp = Path(tempfile.mkdtemp(prefix="gl-bench-audit-"))
    backends: list[tuple[str, Callable[[str], tuple[str, Callable[[], None]]]]] = [
        ("sqlite", lambda tag: (f"sqlite:///{tmp}/{tag}-{uuid.uuid4().hex[:6]}.db", lambda: None))]
    if args.postgres:
        backends.append(("postgres", lambda tag: _pg_url(args.postgres)))

    if "append" in only:
        for name, make in backends:
            for n in threads:
                rates = []
                for _ in range(args.rounds):
                    url, drop = make("append")
                    try:
                        rates.append(bench_append(url, args.events, n))
                    finally:
                        drop()
                key = f"append_{name}_t{n}"
                results[key] = {"events_per_s_median": round(statistics.median(rates)),
                                "min": round(min(rates)), "max": round(max(rates)), "events": args.events}
                print(key, results[key], flush=True)
    if "overhead" in only:
        url, drop = backends[0][1]("overhead")
        try:
            results["overhead_sqlite_write_behind"] = bench_overhead(url, args.checks, args.rounds)
        finally:
            drop()
        print("overhead_sqlite_write_behind", results["overhead_sqlite_write_behind"], flush=True)
    if "verify" in only:
        for name, make in backends:
            url, drop = make("verify")
            try:
                _fill(url, args.verify_events)
                rates = []
                for _ in range(args.rounds):
                    n, rate = bench_verify(url)
                    rates.append(rate)
                key = f"verify_{name}"
                results[key] = {"events": n, "events_per_s_median": round(statistics.median(rates)),
                                "min": round(min(rates)), "max": round(max(rates))}
                print(key, results[key], flush=True)
            finally:
                drop()
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
