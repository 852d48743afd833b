"""PII detector: span P/R/F1 on presidio-synth, false positives on SGD system turns, latency.

``guardline bench pii --data PATH`` (PATH: the shared data folder holding ``presidio-synth/`` and
``sgd-test-subset/``). presidio-synth is the reporting set: ``--split odd`` (the held-out half; the
even half was the only part looked at while tuning) or ``--split all``.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import phonenumbers
from stdnum import iban as _iban
from stdnum import luhn
from stdnum.us import ssn

from ..detectors.base import Context
from ..detectors.pii import PiiDetector
from ..detectors.pii_base import EMAIL, IBAN, IP, NAME, NATIONAL_ID, PAYMENT_CARD, PHONE, STREET_ADDRESS
from ..normalize import normalize
from ..types import Direction, Message, Severity
from ._common import Latency, SpanScore, data_dir, pin_to_one_core, score_spans, time_calls

__all__ = ["SYNTH_TYPES", "SynthRecord", "add_arguments", "gold_invalid_reason", "load_synth",
           "predict", "run", "sgd_turns"]

SYNTH_TYPES: dict[str, str] = {
    "EMAIL_ADDRESS": EMAIL, "PHONE_NUMBER": PHONE, "CREDIT_CARD": PAYMENT_CARD, "IBAN_CODE": IBAN,
    "US_SSN": NATIONAL_ID, "IP_ADDRESS": IP, "PERSON": NAME, "STREET_ADDRESS": STREET_ADDRESS,
}
STRUCTURED = (EMAIL, PHONE, PAYMENT_CARD, IBAN, NATIONAL_ID, IP)
CONTEXTUAL = (NAME, STREET_ADDRESS)
# Presidio's PhoneRecognizer default regions (its "UK" is GB; its "FE" is no region): both tools get
# the same hints in the side-by-side.
DEFAULT_REGIONS = "US,GB,DE,IL,IN,CA,BR"
CONTACT_SLOTS = frozenset({"phone_number", "street_address", "address", "venue_address"})
NAME_SLOTS = frozenset({"contact_name", "receiver", "stylist_name", "therapist_name"})

Span = tuple[str, int, int]


@dataclass(frozen=True, slots=True)
class SynthRecord:
    index: int
    text: str
    gold: tuple[Span, ...]


def load_synth(data: Path, split: str = "all") -> list[SynthRecord]:
    """presidio-synth records (index = position in the file); ``split``: all, even (tuning) or odd."""
    raw = json.loads((data / "presidio-synth" / "synth_dataset_v2.json").read_text(encoding="utf-8"))
    out: list[SynthRecord] = []
    for i, rec in enumerate(raw):
        if (split == "even" and i % 2) or (split == "odd" and not i % 2):
            continue
        gold = tuple((SYNTH_TYPES[s["entity_type"]], int(s["start_position"]), int(s["end_position"]))
                     for s in rec["spans"] if s["entity_type"] in SYNTH_TYPES)
        out.append(SynthRecord(i, rec["full_text"], gold))
    return out


@lru_cache(maxsize=4096)
def _phone_valid_anywhere(value: str) -> bool:
    regions: Sequence[str | None] = [None] if value.strip().startswith("+") else sorted(
        phonenumbers.SUPPORTED_REGIONS)
    for region in regions:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(value, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


def gold_invalid_reason(type_: str, value: str) -> str | None:
    """Why a gold value is not a valid instance of its type (None: valid). Independent of the
    detector: the type's own validator, over every region for phones."""
    if type_ == PAYMENT_CARD:
        return None if luhn.is_valid(re.sub(r"\D", "", value)) else "fails Luhn"
    if type_ == IBAN:
        return None if _iban.is_valid(value) else "fails IBAN checksum/length"
    if type_ == NATIONAL_ID:
        return None if ssn.is_valid(value) else "not a valid SSN"
    if type_ == PHONE:
        return None if _phone_valid_anywhere(value) else "no region dials it"
    if type_ == IP:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            return "not an IP address"
        return None
    if type_ == EMAIL:
        return None if re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", value) else "not an address"
    return None


def predict(det: PiiDetector, texts: Sequence[str], regions: tuple[str, ...], *,
            min_severity: Severity = Severity.INFO) -> tuple[list[list[Span]], tuple[Latency, Latency, Latency]]:
    """Our spans per text (original offsets) and per-message times: detect alone on the normalised
    text (wall, thread CPU; in the pipeline normalisation is done once for all detectors), and
    normalise + detect (thread CPU)."""
    order = list(Severity)
    floor = order.index(min_severity)
    out: list[list[Span]] = []
    wall: list[float] = []
    cpu: list[float] = []
    total: list[float] = []
    wclock, cclock = time.perf_counter_ns, time.thread_time_ns
    for text in texts:
        msg = Message(direction=Direction.OUTBOUND, text=text)
        c0 = cclock()
        norm = normalize(text)
        c1 = cclock()
        t1 = wclock()
        findings = det.detect(msg, Context(norm=norm, regions=regions))
        t2 = wclock()
        c2 = cclock()
        wall.append((t2 - t1) / 1e6)
        cpu.append((c2 - c1) / 1e6)
        total.append((c2 - c0) / 1e6)
        out.append([(f.type, f.span[0], f.span[1]) for f in findings
                    if f.span is not None and order.index(f.severity) >= floor])
    return out, (Latency(tuple(wall)), Latency(tuple(cpu)), Latency(tuple(total)))


def sgd_turns(data: Path, speaker: str = "SYSTEM") -> list[tuple[str, list[tuple[str, int, int]]]]:
    """(utterance, [(slot, start, end)]) for every turn of ``speaker`` in the SGD subset."""
    folder = data / "sgd-test-subset"
    out: list[tuple[str, list[tuple[str, int, int]]]] = []
    for path in sorted(folder.glob("dialogues_*.json")):
        for dialogue in json.loads(path.read_text(encoding="utf-8")):
            for turn in dialogue["turns"]:
                if turn["speaker"] != speaker or not turn["utterance"].strip():
                    continue
                slots = [(s["slot"], int(s["start"]), int(s["exclusive_end"]))
                         for frame in turn["frames"] for s in frame.get("slots", [])]
                out.append((turn["utterance"], slots))
    return out


# 300 characters each: a reply carrying PII, and a clean one
MESSAGE_300_PII = (
    "Hi Anna, thanks for your patience. I have updated the delivery address on order 48213 and sent "
    "the receipt to anna.berg@example.org. If anything looks wrong, call us on +1 415 555 0132 between "
    "9 and 17 or reply here. Your refund of 249 USD will reach the card ending 4417 within five "
    "working days. Kind regards, Maria")
MESSAGE_300_CLEAN = (
    "Thanks for your patience. I have checked the order and everything looks right: the parcel left "
    "our warehouse this morning and should arrive within three working days. If anything looks "
    "wrong, just reply here and we will sort it out. Your refund of 249 USD is on its way as well. "
    "Have a lovely weekend!")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", default=None, help="shared data folder (default: ../shared/data)")
    p.add_argument("--split", choices=("all", "even", "odd"), default="all",
                   help="presidio-synth records by index parity (even = tuning half)")
    p.add_argument("--regions", default=DEFAULT_REGIONS, help="phone region hints, comma-separated")
    p.add_argument("--runs", type=int, default=5000, help="timed runs of the 300-character message")
    p.add_argument("--sgd-limit", type=int, default=0, help="use only the first N SGD turns (0: all)")
    p.add_argument("--examples", type=int, default=8, help="errors to list per type")
    p.add_argument("--no-pin", action="store_true", help="do not pin the process to one CPU")
    p.add_argument("--json", default=None, help="also write the figures as JSON to this file")


def _fmt(x: float) -> str:
    return "  -  " if x != x else f"{x:.3f}"  # NaN -> dash


def _table(title: str, scores: dict[str, SpanScore]) -> list[str]:
    lines = [title, f"  {'type':22} {'P':>6} {'R':>6} {'F1':>6} {'tp':>5} {'fp':>5} {'fn':>5}"]
    for t, s in scores.items():
        lines.append(f"  {t:22} {_fmt(s.precision):>6} {_fmt(s.recall):>6} {_fmt(s.f1):>6} "
                     f"{s.tp:5d} {s.fp:5d} {s.fn:5d}")
    return lines


def evaluate_synth(records: Sequence[SynthRecord], preds: Sequence[Sequence[Span]],
                   examples: int = 0) -> dict[str, Any]:
    """Scores (exact and overlap), recall over valid gold only, and the list of invalid gold values."""
    texts = [r.text for r in records]
    types = STRUCTURED + CONTEXTUAL
    result: dict[str, Any] = {}
    for mode in ("exact", "overlap"):
        result[mode] = score_spans([r.gold for r in records], preds, types, mode=mode, texts=texts,
                                   max_examples=examples)
    invalid: list[tuple[str, str, str]] = []
    valid_gold: list[tuple[Span, ...]] = []
    for r in records:
        keep = []
        for t, s, e in r.gold:
            reason = gold_invalid_reason(t, r.text[s:e])
            if reason is None:
                keep.append((t, s, e))
            else:
                invalid.append((t, r.text[s:e], reason))
        valid_gold.append(tuple(keep))
    for mode in ("exact", "overlap"):
        sc = score_spans(valid_gold, preds, types, mode=mode)
        result[f"valid_recall_{mode}"] = {t: s.recall for t, s in sc.items()}
    result["invalid"] = invalid
    return result


def evaluate_sgd(det: PiiDetector, turns: Sequence[tuple[str, list[tuple[str, int, int]]]],
                 regions: tuple[str, ...], examples: int = 0) -> dict[str, Any]:
    """Messages with a pii finding above info that overlaps no contact slot (strict: phone/address
    slots; lenient: also person-name slots)."""
    texts = [t for t, _ in turns]
    preds, latency = predict(det, texts, regions, min_severity=Severity.LOW)
    strict = lenient = 0
    by_type: dict[str, int] = {}
    shown: list[str] = []
    for (text, slots), spans in zip(turns, preds, strict=True):
        contact = [(s, e) for name, s, e in slots if name in CONTACT_SLOTS]
        names = contact + [(s, e) for name, s, e in slots if name in NAME_SLOTS]
        bad_strict = [(t, s, e) for t, s, e in spans if not any(a < e and s < b for a, b in contact)]
        bad_lenient = [(t, s, e) for t, s, e in bad_strict if not any(a < e and s < b for a, b in names)]
        strict += bool(bad_strict)
        lenient += bool(bad_lenient)
        for t, s, e in bad_strict:
            by_type[t] = by_type.get(t, 0) + 1
            if len(shown) < examples:
                shown.append(f"{t}: {text[s:e]!r} in {text!r}")
    n = len(turns)
    return {"messages": n, "fp_messages_strict": strict, "fp_rate_strict": strict / n if n else 0.0,
            "fp_messages_lenient": lenient, "fp_rate_lenient": lenient / n if n else 0.0,
            "fp_by_type": by_type, "examples": shown, "latency": latency}


def run(args: argparse.Namespace) -> int:
    data = data_dir(args.data, needs="presidio-synth")
    regions = tuple(r.strip().upper() for r in args.regions.split(",") if r.strip())
    cpu = None if args.no_pin else pin_to_one_core()
    det = PiiDetector()
    records = load_synth(data, args.split)
    preds, synth_latency = predict(det, [r.text for r in records], regions)
    synth = evaluate_synth(records, preds, args.examples)
    lines = [f"presidio-synth ({args.split}: {len(records)} records), regions {','.join(regions)}, "
             f"cpu {'pinned to ' + str(cpu) if cpu is not None else 'not pinned'}"]
    lines += _table("exact spans", synth["exact"])
    lines += _table("overlapping spans", synth["overlap"])
    lines.append("recall over VALID gold only (exact / overlap):")
    for t in STRUCTURED:
        lines.append(f"  {t:22} {_fmt(synth['valid_recall_exact'][t]):>6} {_fmt(synth['valid_recall_overlap'][t]):>6}")
    lines.append(f"invalid gold values ({len(synth['invalid'])}):")
    lines += [f"  {t:18} {v!r:34} {why}" for t, v, why in synth["invalid"]]
    if args.examples:
        for t, s in synth["exact"].items():
            if t in STRUCTURED and (s.fp_examples or s.fn_examples):
                lines.append(f"errors {t}: FP {s.fp_examples}  FN {s.fn_examples}")
    sgd: dict[str, Any] | None = None
    if (data / "sgd-test-subset").is_dir():
        turns = sgd_turns(data)
        if args.sgd_limit:
            turns = turns[: args.sgd_limit]
        sgd = evaluate_sgd(det, turns, regions, args.examples)
        lines.append(f"SGD system turns: {sgd['messages']} messages; with a false positive: "
                     f"strict {sgd['fp_messages_strict']} ({100 * sgd['fp_rate_strict']:.2f}%), "
                     f"lenient {sgd['fp_messages_lenient']} ({100 * sgd['fp_rate_lenient']:.2f}%); "
                     f"by type {sgd['fp_by_type']}")
        lines += [f"  {x}" for x in sgd["examples"]]
    msg_pii = Message(direction=Direction.OUTBOUND, text=MESSAGE_300_PII)
    msg_clean = Message(direction=Direction.OUTBOUND, text=MESSAGE_300_CLEAN)
    norm_pii, norm_clean = normalize(MESSAGE_300_PII), normalize(MESSAGE_300_CLEAN)
    lat: dict[str, tuple[Latency, Latency]] = {
        "detect_300_pii": time_calls(lambda: det.detect(msg_pii, Context(norm=norm_pii, regions=regions)),
                                     runs=args.runs),
        "detect_300_clean": time_calls(
            lambda: det.detect(msg_clean, Context(norm=norm_clean, regions=regions)), runs=args.runs),
        "normalize_detect_300_pii": time_calls(
            lambda: det.detect(msg_pii, Context(norm=normalize(MESSAGE_300_PII), regions=regions)),
            runs=args.runs),
        "corpus_presidio_synth": synth_latency[:2],
        "corpus_presidio_synth_with_normalize": (synth_latency[2], synth_latency[2]),
    }
    if sgd is not None:
        lat["corpus_sgd_system"] = sgd["latency"][:2]
        lat["corpus_sgd_with_normalize"] = (sgd["latency"][2], sgd["latency"][2])
    lines.append("latency (ms per message, one core; wall clock | thread CPU clock):")
    for name, (wall, cpu_t) in lat.items():
        w, c = wall.summary(), cpu_t.summary()
        lines.append(f"  {name:36} p50 {w['p50_ms']:.4f} p99 {w['p99_ms']:.4f} {w['per_second']:6.0f} msg/s | "
                     f"p50 {c['p50_ms']:.4f} p99 {c['p99_ms']:.4f} {c['per_second']:6.0f} msg/s (n={w['n']})")
    print("\n".join(lines))
    if args.json:
        out = {
            "split": args.split, "regions": regions,
            "synth": {mode: {t: {"precision": s.precision, "recall": s.recall, "f1": s.f1, "tp": s.tp,
                                 "fp": s.fp, "fn": s.fn} for t, s in synth[mode].items()}
                      for mode in ("exact", "overlap")},
            "valid_recall": {m: synth[f"valid_recall_{m}"] for m in ("exact", "overlap")},
            "invalid_gold": synth["invalid"],
            "sgd": {k: v for k, v in (sgd or {}).items() if k != "latency"},
            "latency": {k: {"wall": v[0].summary(), "cpu": v[1].summary()} for k, v in lat.items()},
        }
        Path(args.json).write_text(json.dumps(out, indent=2, default=str), encoding="utf-8")
    sys.stdout.flush()
    return 0
