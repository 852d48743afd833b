"""Prompt-injection detector: TPR/FPR per source and length bucket, matched BIPIA pairs, latency.

``guardline bench injection --data ../shared/data`` scores every evaluation item (see
``injection_data``) with the ``injection`` detector: customer messages in ``direct`` mode, documents
(BIPIA contexts, RAGTruth sources) in ``indirect`` mode, exactly as the detector reads inbound text and
grounding sources. It reports the REPORTING half by default (``--half tune`` for the half the rules
were tuned on), at the configured threshold and as curves over several thresholds, and prints the
lowest threshold that meets the FPR limits on the tuning half.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from ..detectors.base import Context
from ..detectors.injection import InjectionDetector
from ..normalize import normalize
from ..types import Direction, Message, Source
from .injection_data import Item, load_all

__all__ = ["add_arguments", "run"]

CHAT = ("sgd", "abcd")
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
BUCKETS = (("<200", 0, 200), ("200-1000", 200, 1001), (">1000", 1001, 10**9))


def add_arguments(p: argparse.ArgumentParser) -> None:
    root = Path(__file__).resolve().parents[3]
    p.add_argument("--data", type=Path, default=root.parent / "shared" / "data", help="shared data directory")
    p.add_argument("--half", choices=("report", "tune", "both"), default="report")
    p.add_argument("--threshold", type=float, default=None, help="detector threshold (default: its own)")
    p.add_argument("--rules-only", action="store_true", help="the rules without the trained scorer (the 1.2 detector)")
    p.add_argument("--latency-runs", type=int, default=2000, help="timed calls per latency size (0: skip)")
    p.add_argument("--json", type=Path, default=None, help="write all figures to this JSON file")


def _scores(det: InjectionDetector, items: list[Item]) -> list[float]:
    return [det.scan(normalize(it.text).text, it.mode).score for it in items]


def _auc(pos: list[float], neg: list[float]) -> float:
    """ROC AUC by the rank statistic (ties count one half)."""
    if not pos or not neg:
        return float("nan")
    ordered = sorted([(s, 1) for s in pos] + [(s, 0) for s in neg])
    rank_sum = 0.0
    i = 0
    while i < len(ordered):
        j = i
        while j < len(ordered) and ordered[j][0] == ordered[i][0]:
            j += 1
        mid = (i + j + 1) / 2  # 1-based average rank of the tie block
        rank_sum += mid * sum(1 for k in range(i, j) if ordered[k][1])
        i = j
    return (rank_sum - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def _rate(scores: list[float], thr: float) -> float:
    return sum(s >= thr for s in scores) / len(scores) if scores else float("nan")


def _tuned_threshold(scored: dict[str, list[float]]) -> float | None:
    """Lowest grid threshold (0.05 steps) meeting the FPR limits on the given (tuning) scores."""
    limits = {"chat": 0.01, "bipia-email-clean": 0.02, "halueval": 0.03, "ragtruth-summary": 0.02}
    for k in range(2, 20):
        thr = k / 20
        if all(_rate(scored.get(src, []), thr) <= lim for src, lim in limits.items()):
            return thr
    return None


def evaluate(det: InjectionDetector, items: list[Item], thr: float) -> dict[str, Any]:
    scores = _scores(det, items)
    by_source: dict[str, list[float]] = defaultdict(list)
    by_bucket: dict[tuple[str, str], list[float]] = defaultdict(list)
    by_position: dict[str, list[float]] = defaultdict(list)
    for it, score in zip(items, scores, strict=True):
        by_source[it.source].append(score)
        if it.source in CHAT:
            by_source["chat"].append(score)
        for name, lo, hi in BUCKETS:
            if lo <= len(it.text) < hi:
                by_bucket[(it.source, name)].append(score)
        if it.position:
            by_position[f"{it.source}/{it.position}"].append(score)
    out: dict[str, Any] = {"threshold": thr, "n": len(items), "sources": {}, "buckets": {}, "positions": {}}
    for src, sc in sorted(by_source.items()):
        out["sources"][src] = {"n": len(sc), "flagged": _rate(sc, thr),
                               "curve": {str(t): _rate(sc, t) for t in THRESHOLDS}}
    for (src, name), sc in sorted(by_bucket.items()):
        out["buckets"][f"{src} {name}"] = {"n": len(sc), "flagged": _rate(sc, thr)}
    for key, sc in sorted(by_position.items()):
        out["positions"][key] = {"n": len(sc), "flagged": _rate(sc, thr)}
    clean = by_source.get("bipia-email-clean", [])
    attacked = by_source.get("bipia-email", [])
    out["email_pairs"] = {"auc": _auc(attacked, clean), "tpr": _rate(attacked, thr), "fpr": _rate(clean, thr),
                          "n_clean": len(clean), "n_attacked": len(attacked)}
    out["_scores"] = by_source
    return out


def latency(det: InjectionDetector, items: list[Item], runs: int) -> dict[str, dict[str, float]]:
    """detect() wall time and thread CPU time (ms) on 300- and 10,000-character inputs cut from the
    data: inbound text (direct) and a kb grounding source (indirect)."""
    direct = [it.text for it in items if it.mode == "direct" and it.label == 1]
    docs = [it.text for it in items if it.mode == "indirect" and it.label == 0]
    pool_d = "\n".join(direct)
    pool_i = "\n".join(docs)
    out: dict[str, dict[str, float]] = {}
    for size in (300, 10_000):
        for mode, pool in (("direct", pool_d), ("indirect", pool_i)):
            walls: list[float] = []
            cpus: list[float] = []
            step = max(1, (len(pool) - size) // max(1, runs))
            for k in range(runs):
                text = pool[k * step : k * step + size]
                if mode == "direct":
                    msg = Message(direction=Direction.INBOUND, text=text)
                else:
                    msg = Message(direction=Direction.OUTBOUND, text="ok",
                                  grounding=(Source(id="kb-1", kind="kb", text=text),))
                ctx = Context(norm=normalize(msg.text))
                w0, c0 = time.perf_counter(), time.thread_time()
                list(det.detect(msg, ctx))
                cpus.append((time.thread_time() - c0) * 1000)
                walls.append((time.perf_counter() - w0) * 1000)
            walls.sort()
            cpus.sort()
            p99 = max(0, int(len(walls) * 0.99) - 1)
            out[f"{mode} {size}"] = {"runs": len(walls), "wall_p50": statistics.median(walls), "wall_p99": walls[p99],
                                     "cpu_p50": statistics.median(cpus), "cpu_p99": cpus[p99]}
    return out


def _print(half: str, r: dict[str, Any]) -> None:
    thr = r["threshold"]
    print(f"\n## injection bench: {half} half, threshold {thr}\n")
    print("| source | n | flagged | " + " | ".join(f"@{t}" for t in THRESHOLDS) + " |")
    print("|---|---|---|" + "---|" * len(THRESHOLDS))
    for src, v in r["sources"].items():
        curve = " | ".join(f"{v['curve'][str(t)]:.3f}" for t in THRESHOLDS)
        print(f"| {src} | {v['n']} | {v['flagged']:.3f} | {curve} |")
    print("\n| source, length bucket | n | flagged |\n|---|---|---|")
    for key, v in r["buckets"].items():
        print(f"| {key} | {v['n']} | {v['flagged']:.3f} |")
    print("\n| BIPIA insertion position | n | flagged |\n|---|---|---|")
    for key, v in r["positions"].items():
        print(f"| {key} | {v['n']} | {v['flagged']:.3f} |")
    e = r["email_pairs"]
    print(f"\nmatched email pairs: ROC AUC {e['auc']:.3f}, TPR {e['tpr']:.3f} at FPR {e['fpr']:.3f} "
          f"({e['n_attacked']} attacked, {e['n_clean']} clean)")


def run(args: argparse.Namespace) -> int:
    items = load_all(args.data)
    opts: dict[str, Any] = {"model": not args.rules_only}
    if args.threshold is not None:
        opts["threshold"] = args.threshold
    det = InjectionDetector(**opts)
    thr = det.threshold
    halves = ("tune", "report") if args.half == "both" else (args.half,)
    results: dict[str, Any] = {}
    for half in halves:
        r = evaluate(det, [it for it in items if it.half == half], thr)
        _print(half, r)
        scored = r.pop("_scores")
        if half == "tune":
            r["tuned_threshold"] = _tuned_threshold(scored)
            print(f"\nlowest threshold meeting the FPR limits on the tuning half: {r['tuned_threshold']}")
        results[half] = r
    if args.latency_runs > 0:
        lat = latency(det, items, args.latency_runs)
        print("\n| input | runs | wall p50 ms | wall p99 ms | CPU p50 ms | CPU p99 ms |\n|---|---|---|---|---|---|")
        for key, v in lat.items():
            print(f"| {key} chars | {v['runs']} | {v['wall_p50']:.3f} | {v['wall_p99']:.3f} | "
                  f"{v['cpu_p50']:.3f} | {v['cpu_p99']:.3f} |")
        results["latency"] = lat
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, sort_keys=True), encoding="utf-8")
    return 0
