"""Score a blind table of short inbound cases (``tests/data/injection_blind_*.jsonl``: one JSON object
a line with ``text``, ``lang``, ``label`` 1 = attack / 0 = benign, ``kind``) with the injection
detector at its production settings (threshold 0.5, every language), the way the gateway scores an
inbound message: ``normalize`` then ``detect``; an ``injection.direct`` or ``injection.encoded``
finding counts as flagged. Prints TPR/FPR overall, per language and per kind, and every miss and
false positive with its score.

    .venv/bin/python benchmarks/injection_train/blind_eval.py tests/data/injection_blind_short.jsonl
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from guardline.detectors.base import Context
from guardline.detectors.injection import InjectionDetector
from guardline.keys import KeyRing
from guardline.normalize import normalize
from guardline.types import Direction, Message

FLAG_TYPES = ("injection.direct", "injection.encoded")


def score(det: InjectionDetector, text: str) -> tuple[bool, float]:
    msg = Message(direction=Direction.INBOUND, text=text)
    ctx = Context(norm=normalize(text), keys=KeyRing(b"x" * 32), regions=("US",))
    found = [f for f in det.detect(msg, ctx) if f.type in FLAG_TYPES]
    return bool(found), max((f.score for f in found), default=det.scan(normalize(text).text).score)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--quiet", action="store_true", help="aggregate figures only")
    args = ap.parse_args()
    det = InjectionDetector()
    rows = [json.loads(line) for f in args.files for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    by: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    wrong: list[str] = []
    for r in rows:
        hit, s = score(det, r["text"])
        cls = "atk" if r["label"] else "neg"
        for key in (("all", cls), ("lang:" + r["lang"], cls), ("kind:" + r["kind"], cls)):
            by[key][0] += hit
            by[key][1] += 1
        if hit != bool(r["label"]):
            wrong.append(f"  {'MISS' if r['label'] else 'FP  '} {r['lang']} {r['kind']:<14} {s:.2f} {r['text']!r}")
    for name in sorted({k for k, _ in by}, key=lambda k: (k != "all", k)):
        a, n = by.get((name, "atk"), [0, 0]), by.get((name, "neg"), [0, 0])
        tpr = f"TPR {a[0] / a[1]:.3f} ({a[0]}/{a[1]})" if a[1] else ""
        fpr = f"FPR {n[0] / n[1]:.3f} ({n[0]}/{n[1]})" if n[1] else ""
        print(f"{name:<22} {tpr:<24} {fpr}")
    if not args.quiet:
        print("\n".join(wrong))


if __name__ == "__main__":
    main()
