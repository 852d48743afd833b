"""Grounding detector on RAGTruth: response-level P/R/F1 and ROC AUC per task, span F1, latency.

Usage: ``guardline bench grounding --data ../shared/data`` (the directory holding ``ragtruth/``, or
``ragtruth/`` itself). Thresholds are tuned on even response ids; figures are reported on odd ids.
Two baselines are computed on the same responses: flag everything, and flag by task alone (every
Data2txt response). The detector never sees the task type.

``--fp`` measures false positives instead: the share of benign ABCD and SGD agent replies flagged with
the default settings, with and without their grounding (``grounding_fp``).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..detectors.base import Context
from ..detectors.grounding import GroundingDetector
from ..detectors.grounding_score import response_risk
from ..keys import KeyRing
from ..normalize import normalize
from ..types import SEVERITY_ORDER, Direction, Finding, Message, Severity, Source
from ._common import Latency, pin_to_one_core, time_calls
from .grounding_fp import add_fp_arguments, run_fp

__all__ = ["add_arguments", "load", "run"]

TASKS = ("QA", "Summary", "Data2txt")
_INFO_TYPES = ("hallucination.grounding_",)


@dataclass(slots=True)
class Case:
    id: int
    task: str
    message: Message
    gold: list[tuple[int, int]]
    findings: list[Finding] | None = None
    seconds: float = 0.0

    @property
    def label(self) -> bool:
        return bool(self.gold)


def _ref_text(ref: Any) -> str:
    if isinstance(ref, dict):
        return json.dumps(ref)
    if isinstance(ref, str) and ref.lstrip().startswith("{"):
        try:
            return json.dumps(json.loads(ref))
        except ValueError:
            try:
                return json.dumps(ast.literal_eval(ref))
            except (ValueError, SyntaxError):
                return ref
    return str(ref or "")


def load(data: Path) -> tuple[list[Case], int]:
    """The RAGTruth responses with grounding text, and how many were skipped for lack of it."""
    root = data / "ragtruth" if (data / "ragtruth").is_dir() else data
    records: dict[int, dict[str, Any]] = {}
    refs: dict[str, str] = {}
    for name in ("test_balanced.jsonl", "gpt_baseline_predictions.jsonl"):
        with open(root / name, encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                ref = _ref_text(r.get("reference"))
                if ref.strip():
                    refs.setdefault(str(r["source_id"]), ref)
                records.setdefault(int(r["id"]), r)
    cases: list[Case] = []
    skipped = 0
    stamp = datetime(2024, 1, 1, tzinfo=UTC)
    for rid, r in sorted(records.items()):
        ref = refs.get(str(r["source_id"]), "")
        if not ref.strip() or not r["response"].strip():
            skipped += 1
            continue
        task = r["task_type"]
        sources = [Source(id=str(r["source_id"]), kind="tool" if task == "Data2txt" else "kb", text=ref)]
        if r.get("question"):
            sources.append(Source(id="question", kind="history", text=r["question"]))
        msg = Message(id=str(rid), direction=Direction.OUTBOUND, text=r["response"],
                      grounding=tuple(sources), timestamp=stamp)
        gold = [(int(lab["start"]), int(lab["end"])) for lab in r["labels"]]
        cases.append(Case(rid, task, msg, gold))
    return cases, skipped


def _claims(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.type.startswith("hallucination.") and not f.type.startswith(_INFO_TYPES)]


def _score(findings: Sequence[Finding]) -> float:
    """The reply's graded risk: the noisy-OR of its claim scores (what the detector thresholds)."""
    return response_risk(("statement" if f.type.endswith("_statement") else "typed", f.score)
                         for f in _claims(findings))


def _flagged(findings: Sequence[Finding]) -> bool:
    """What the policy acts on: a claim finding of severity medium or above."""
    return any(SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER[Severity.MEDIUM] for f in _claims(findings))


def _prf(pred: Sequence[bool], gold: Sequence[bool]) -> tuple[float, float, float]:
    tp = sum(p and g for p, g in zip(pred, gold, strict=True))
    fp = sum(p and not g for p, g in zip(pred, gold, strict=True))
    fn = sum(g and not p for p, g in zip(pred, gold, strict=True))
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1


def auc(scores: Sequence[float], gold: Sequence[bool]) -> float:
    """ROC AUC by the rank-sum statistic (ties count one half)."""
    pos = [s for s, g in zip(scores, gold, strict=True) if g]
    neg = [s for s, g in zip(scores, gold, strict=True) if not g]
    if not pos or not neg:
        return float("nan")
    ranked = sorted(scores)
    rank: dict[float, float] = {}
    i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j] == ranked[i]:
            j += 1
        rank[ranked[i]] = (i + j + 1) / 2
        i = j
    r = sum(rank[s] for s in pos)
    return (r - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def _span_f1(cases: Sequence[Case]) -> tuple[float, float, float]:
    tp = fp = fn = 0
    for c in cases:
        assert c.findings is not None
        gold: set[int] = set()
        for s, e in c.gold:
            gold.update(range(s, e))
        pred: set[int] = set()
        for f in _claims(c.findings):
            if f.span and SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER[Severity.MEDIUM]:
                pred.update(range(*f.span))
        tp += len(gold & pred)
        fp += len(pred - gold)
        fn += len(gold - pred)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)


def _run_detector(det: GroundingDetector, cases: Sequence[Case]) -> None:
    keys = KeyRing(b"x" * 32)
    for c in cases:
        t0 = time.perf_counter()
        ctx = Context(norm=normalize(c.message.text), keys=keys, regions=("US",))
        c.findings = list(det.detect(c.message, ctx))
        c.seconds = time.perf_counter() - t0


def _tune(cases: Sequence[Case]) -> float:
    """The risk threshold with the best pooled F1 on ``cases`` (the tuning half)."""
    best = (-1.0, 1.0)
    scores = [_score(c.findings or ()) for c in cases]
    for t in sorted({round(x, 4) for x in scores if x > 0}):
        f1 = _prf([x >= t for x in scores], [c.label for c in cases])[2]
        if f1 > best[0]:
            best = (f1, t)
    return best[1]


def _row(name: str, cases: Sequence[Case]) -> str:
    gold = [c.label for c in cases]
    scores = [_score(c.findings or ()) for c in cases]
    pred = [_flagged(c.findings or ()) for c in cases]
    p, r, f = _prf(pred, gold)
    base_all = _prf([True] * len(cases), gold)[2]
    base_task = _prf([c.task == "Data2txt" for c in cases], gold)[2]
    sp = _span_f1(cases)[2]
    return (f"{name:<9} {len(cases):>4} {sum(gold):>4}  {p:5.3f} {r:5.3f} {f:5.3f}  {auc(scores, gold):5.3f}"
            f"  {sp:5.3f}   {base_all:5.3f}  {base_task:5.3f}")


def synthetic_message() -> Message:
    """The latency target's case: a 300-character reply with about 2 KB of grounding (a KB article and
    a tool's JSON), dated so that its relative dates resolve."""
    kb = ("Returns: items can be returned within 30 days of delivery for a full refund. Refunds are issued "
          "to the original payment method within 5-7 business days. Shipping: standard delivery takes 3-5 "
          "business days and costs €4.95; orders over €50 ship free. Express delivery (next business day) "
          "costs €9.95 when ordered before 14:00. Our customer service is open Monday to Friday 9:00-18:00 "
          "and Saturday 10:00-16:00. Call +31 20 123 4567 or email support@example.com. ") * 5
    tool = json.dumps({"order_id": "ORD-778812", "status": "shipped", "carrier": "PostNL",
                       "tracking": "3SABCD1234567", "delivery_date": "2024-03-18", "total": 129.95,
                       "currency": "EUR", "items": [{"sku": "KB-2231", "qty": 2, "price": 49.95}]})
    grounding = (Source(id="kb-returns", kind="kb", text=kb[:1800]), Source(id="order", kind="tool", text=tool))
    reply = ("Your order ORD-778812 has shipped with PostNL and should arrive on 18 March. The total was "
             "€129.95. You can return items within 30 days for a full refund, which takes 5-7 business days "
             "to reach your account. Anything else? Call us Monday to Friday 9:00-18:00. Express delivery costs "
             "€9.95 if you order before 14:00.")
    return Message(direction=Direction.OUTBOUND, text=reply[:300], grounding=grounding,
                   timestamp=datetime(2024, 3, 14, tzinfo=UTC))


def _latency_synthetic(det: GroundingDetector, runs: int) -> tuple[tuple[Latency, Latency], tuple[Latency, Latency], int]:
    msg = synthetic_message()
    grounding = msg.grounding
    keys = KeyRing(b"x" * 32)
    # the pipeline normalises a message once for all detectors: time the detector on its own, and
    # normalisation plus detector
    ctx = Context(norm=normalize(msg.text), keys=keys)
    alone = time_calls(lambda: list(det.detect(msg, ctx)), runs=runs)
    both = time_calls(lambda: list(det.detect(msg, Context(norm=normalize(msg.text), keys=keys))), runs=runs)
    return alone, both, sum(len(s.text) for s in grounding)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=Path("../shared/data"),
                        help="directory holding ragtruth/ (default ../shared/data)")
    parser.add_argument("--runs", type=int, default=2000, help="latency runs for the synthetic reply")
    parser.add_argument("--show", type=int, default=0, help="print N misclassified even-id cases")
    parser.add_argument("--pin", action="store_true", help="pin the latency runs to one CPU core")
    parser.add_argument("--tuning-only", action="store_true",
                        help="print the tuning half only (while developing: keeps the reporting half unseen)")
    parser.add_argument("--fp", action="store_true",
                        help="false positives on benign ABCD and SGD agent replies instead of RAGTruth")
    add_fp_arguments(parser)


def run(args: argparse.Namespace) -> int:
    if args.fp:
        return run_fp(args)
    cases, skipped = load(Path(args.data))
    det = GroundingDetector()
    _run_detector(det, cases)
    tune = [c for c in cases if c.id % 2 == 0]
    report = [c for c in cases if c.id % 2 == 1]
    threshold = _tune(tune)
    print(f"RAGTruth subset: {len(cases)} responses with grounding ({skipped} skipped: no grounding text)")
    print(f"reply risk threshold tuned on even ids: {threshold:.3f} (detector default {det.threshold:.3f})")
    if abs(threshold - det.threshold) > 1e-9:
        det = GroundingDetector(threshold=threshold)
        _run_detector(det, cases)
    for label, split in (("TUNING half (even ids)", tune), ("REPORTING half (odd ids)", report)):
        if label.startswith("REPORTING") and args.tuning_only:
            continue
        print(f"\n{label}")
        print("task         n  pos      P     R    F1    AUC  spanF1   all-F1 task-F1")
        for task in TASKS:
            print(_row(task, [c for c in split if c.task == task]))
        print(_row("pooled", split))
    lat = sorted(c.seconds * 1000 for c in cases)
    print(f"\nlatency on RAGTruth (first sight of each source, cache cold per source): median "
          f"{statistics.median(lat):.2f} ms, p99 {lat[int(len(lat) * 0.99)]:.2f} ms")
    core = pin_to_one_core() if args.pin else None
    (wall, cpu), (wall_n, cpu_n), size = _latency_synthetic(det, args.runs)
    where = f"pinned to CPU {core}" if core is not None else "not pinned"
    print(f"latency, 300-char reply + {size} chars of grounding, {args.runs} runs, warm cache, {where}, "
          f"load average {os.getloadavg()[0]:.2f}:")
    print(f"  detector:             wall p50 {wall.p50:.3f} ms p99 {wall.p99:.3f} ms | "
          f"CPU p50 {cpu.p50:.3f} ms p99 {cpu.p99:.3f} ms")
    print(f"  normalise + detector: wall p50 {wall_n.p50:.3f} ms p99 {wall_n.p99:.3f} ms | "
          f"CPU p50 {cpu_n.p50:.3f} ms p99 {cpu_n.p99:.3f} ms")
    if args.show:
        wrong = [c for c in tune if _flagged(c.findings or ()) != c.label][: args.show]
        for c in wrong:
            print(f"\n--- id {c.id} {c.task} gold={c.label} gold spans={[c.message.text[s:e] for s, e in c.gold]}")
            for f in c.findings or ():
                if f.span:
                    print(f"   {f.type} {f.score:.2f} {c.message.text[f.span[0]:f.span[1]]!r} {f.evidence}")
    return 0
