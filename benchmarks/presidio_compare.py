#!/usr/bin/env python3
"""Guardline's PII detector beside Presidio's pattern recognizers, on the same messages, in one run.

Presidio runs in its OWN virtual environment (it is no Guardline dependency), over a blank spaCy
pipeline (``spacy.blank("en")``: no NER model, so only its pattern recognizers find anything), with
its default phone regions. This script, started with the project's Python, scores both the same way
(``guardline.bench.pii``) and times both on the same CPU.

    python3 -m venv benchmarks/.venv-presidio
    benchmarks/.venv-presidio/bin/pip install -r benchmarks/presidio_requirements.txt
    .venv/bin/python benchmarks/presidio_compare.py --split odd      # or --split all

The worker half (``--worker``) is what runs inside Presidio's environment; it imports no Guardline.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ENTITIES = ["EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS"]


# -- worker: runs under benchmarks/.venv-presidio -----------------------------------------------------
def _percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * q / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def worker(inp: str, out: str, cpu: int) -> int:
    if cpu >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})
    import spacy
    import tldextract
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    # no network here: use tldextract's bundled suffix list instead of fetching it
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())
    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": "blank"}])
    engine.nlp = {"en": spacy.blank("en")}
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=engine)
    for name in ("SpacyRecognizer",):
        registry.remove_recognizer(name)
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])
    data = json.loads(Path(inp).read_text(encoding="utf-8"))

    def analyze(text: str) -> list[list[Any]]:
        return [[r.entity_type, r.start, r.end, r.score]
                for r in analyzer.analyze(text, language="en", entities=ENTITIES, score_threshold=0.0)]

    for text in data["synth"][:50]:  # warm-up
        analyze(text)
    result: dict[str, Any] = {"recognizers": sorted({r.name for r in registry.recognizers})}
    for corpus in ("synth", "sgd"):
        preds, wall, cpu_ms = [], [], []
        for text in data[corpus]:
            c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
            preds.append(analyze(text))
            wall.append((time.perf_counter_ns() - t0) / 1e6)
            cpu_ms.append((time.thread_time_ns() - c0) / 1e6)
        result[corpus] = {"preds": preds, "wall": wall, "cpu": cpu_ms}
    for i, text in enumerate(data["m300"]):
        wall, cpu_ms = [], []
        for _ in range(data["runs"]):
            c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
            analyze(text)
            wall.append((time.perf_counter_ns() - t0) / 1e6)
            cpu_ms.append((time.thread_time_ns() - c0) / 1e6)
        result[f"m300_{i}"] = {"wall": wall, "cpu": cpu_ms}
    Path(out).write_text(json.dumps(result), encoding="utf-8")
    return 0


# -- parent: runs under the project's .venv -----------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--worker", nargs=3, metavar=("IN", "OUT", "CPU"), help=argparse.SUPPRESS)
    p.add_argument("--data", default=None, help="shared data folder (default: ../shared/data)")
    p.add_argument("--split", choices=("all", "even", "odd"), default="all")
    p.add_argument("--presidio-python", default=str(HERE / ".venv-presidio" / "bin" / "python"))
    p.add_argument("--runs", type=int, default=1000, help="timed runs of each 300-character message")
    p.add_argument("--sgd-limit", type=int, default=0, help="first N SGD system turns (0: all)")
    p.add_argument("--json", default=None, help="also write the figures as JSON here")
    args = p.parse_args(argv)
    if args.worker:
        return worker(args.worker[0], args.worker[1], int(args.worker[2]))
    return compare(args)


def compare(args: argparse.Namespace) -> int:
    from guardline.bench import pii as bench
    from guardline.bench._common import Latency, SpanScore, data_dir, pin_to_one_core, time_calls
    from guardline.detectors.base import Context
    from guardline.detectors.pii import PiiDetector
    from guardline.normalize import normalize
    from guardline.types import Direction, Message

    if not Path(args.presidio_python).exists():
        print(f"presidio venv not found at {args.presidio_python}; see this script's docstring", file=sys.stderr)
        return 2
    data = data_dir(args.data, needs="presidio-synth")
    regions = tuple(bench.DEFAULT_REGIONS.split(","))
    cpu = pin_to_one_core()
    records = bench.load_synth(data, args.split)
    texts = [r.text for r in records]
    turns = bench.sgd_turns(data) if (data / "sgd-test-subset").is_dir() else []
    if args.sgd_limit:
        turns = turns[: args.sgd_limit]
    det = PiiDetector()
    bench.predict(det, texts[:50], regions)  # warm-up, as for Presidio
    ours, ours_lat = bench.predict(det, texts, regions)
    ours_sgd, ours_sgd_lat = bench.predict(det, [t for t, _ in turns], regions)
    m300 = [bench.MESSAGE_300_PII, bench.MESSAGE_300_CLEAN]
    ours_m300 = []
    for text in m300:
        msg, norm = Message(direction=Direction.OUTBOUND, text=text), normalize(text)
        ours_m300.append(time_calls(lambda msg=msg, norm=norm: det.detect(msg, Context(norm=norm, regions=regions)),
                                    runs=args.runs))

    with tempfile.TemporaryDirectory() as tmp:
        inp, out = Path(tmp) / "in.json", Path(tmp) / "out.json"
        inp.write_text(json.dumps({"synth": texts, "sgd": [t for t, _ in turns], "m300": m300,
                                   "runs": args.runs}), encoding="utf-8")
        subprocess.run([args.presidio_python, str(Path(__file__).resolve()), "--worker", str(inp), str(out),
                        str(cpu if cpu is not None else -1)], check=True)
        theirs = json.loads(out.read_text(encoding="utf-8"))

    structured = bench.STRUCTURED
    lines = [f"presidio-synth split={args.split} ({len(records)} records), SGD system turns: {len(turns)}; "
             f"CPU {'pinned to ' + str(cpu) if cpu is not None else 'not pinned'}; "
             f"Presidio recognizers: {', '.join(theirs['recognizers'])}"]
    figures: dict[str, Any] = {}

    def presidio_spans(preds: list[list[Any]], threshold: float) -> list[list[tuple[str, int, int]]]:
        return [[(bench.SYNTH_TYPES[t], s, e) for t, s, e, score in ps if score >= threshold]
                for ps in preds]

    systems: dict[str, list[list[tuple[str, int, int]]]] = {
        "guardline": [[sp for sp in ps if sp[0] in structured] for ps in ours]}
    for th in (0.0, 0.4):
        systems[f"presidio>={th}"] = presidio_spans(theirs["synth"]["preds"], th)
    results = {name: bench.evaluate_synth(records, preds) for name, preds in systems.items()}
    for mode in ("exact", "overlap"):
        lines.append(f"{mode} spans: P / R / F1 (R over valid gold)")
        lines.append(f"  {'type':18}" + "".join(f"{name:>30}" for name in systems))
        for t in structured:
            row = f"  {t:18}"
            for name in systems:
                s: SpanScore = results[name][mode][t]
                vr = results[name][f"valid_recall_{mode}"][t]
                row += f"{s.precision:>9.3f} {s.recall:6.3f} {s.f1:6.3f} ({vr:.3f})"
            lines.append(row)
        figures[mode] = {name: {t: {"precision": results[name][mode][t].precision,
                                    "recall": results[name][mode][t].recall, "f1": results[name][mode][t].f1,
                                    "valid_recall": results[name][f"valid_recall_{mode}"][t]}
                                for t in structured} for name in systems}

    # false positives on SGD system turns, structured types only (Presidio has no name/address rules)
    def fp_rate(preds: list[list[tuple[str, int, int]]]) -> float:
        bad = 0
        for (_text, slots), spans in zip(turns, preds, strict=True):
            contact = [(s, e) for n, s, e in slots if n in bench.CONTACT_SLOTS]
            bad += any(t in structured and not any(a < e and s < b for a, b in contact) for t, s, e in spans)
        return bad / len(turns) if turns else 0.0

    if turns:
        sgd_systems = {"guardline": ours_sgd, "presidio>=0.0": presidio_spans(theirs["sgd"]["preds"], 0.0),
                       "presidio>=0.4": presidio_spans(theirs["sgd"]["preds"], 0.4)}
        figures["sgd_fp_rate_structured"] = {n: fp_rate(ps) for n, ps in sgd_systems.items()}
        lines.append("SGD system turns with a structured-type false positive: " + ", ".join(
            f"{n} {100 * r:.2f}%" for n, r in figures["sgd_fp_rate_structured"].items()))

    lat_rows = [("300-char message with PII", ours_m300[0][0], ours_m300[0][1], theirs["m300_0"]),
                ("300-char clean message", ours_m300[1][0], ours_m300[1][1], theirs["m300_1"]),
                ("presidio-synth corpus", ours_lat[0], ours_lat[1], theirs["synth"]),
                ("presidio-synth +normalize", ours_lat[2], ours_lat[2], theirs["synth"]),
                ("SGD system corpus", ours_sgd_lat[0], ours_sgd_lat[1], theirs["sgd"]),
                ("SGD system +normalize", ours_sgd_lat[2], ours_sgd_lat[2], theirs["sgd"])]
    lines.append("latency, ms per message (p50 / p99, wall | CPU) and messages per second (CPU clock):")
    figures["latency"] = {}
    for label, wall, cpu_l, th in lat_rows:
        if not cpu_l.samples_ms:
            continue
        tw, tc = Latency(tuple(th["wall"])), Latency(tuple(th["cpu"]))
        ratio = cpu_l.per_second / tc.per_second
        lines.append(f"  {label:28} guardline {wall.p50:.4f}/{wall.p99:.4f} | {cpu_l.p50:.4f}/{cpu_l.p99:.4f} "
                     f"{cpu_l.per_second:8.0f}/s   presidio {tw.p50:.4f}/{tw.p99:.4f} | {tc.p50:.4f}/{tc.p99:.4f} "
                     f"{tc.per_second:8.0f}/s   throughput x{ratio:.1f}")
        figures["latency"][label] = {"guardline": {"wall": wall.summary(), "cpu": cpu_l.summary()},
                                     "presidio": {"wall": tw.summary(), "cpu": tc.summary()},
                                     "throughput_ratio_cpu": ratio,
                                     "throughput_ratio_wall": wall.per_second / tw.per_second}
    print("\n".join(lines))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
