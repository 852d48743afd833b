"""Train the injection detector's SHORT-message scorer (``guardline.detectors.injection_short``) and
write its weights file. Only the TUNING half of the shared data is read; the written tables are the
repository's own.

Exact command (from the repository root; scikit-learn and numpy live only in a throwaway venv, the
project's venv supplies guardline's own dependencies and pytest, whose tables are imported):

    python3 -m venv /tmp/trainvenv && /tmp/trainvenv/bin/pip install scikit-learn numpy scipy
    PYTHONPATH=src:.venv/lib/python3.11/site-packages nice -n 19 /tmp/trainvenv/bin/python \\
        benchmarks/injection_train/train_short.py --data ../shared/data \\
        --out src/guardline/data/injection/short.json.gz

Data (messages under ``MAX_CHARS`` characters after normalisation only):

- positives: tuning-half jailbreak-in-the-wild prompts; the written short attacks of
  ``tests/detectors/test_injection_short.py``, ``test_injection_persona.py`` and ``test_injection.py``,
  the attacks of blind batches 1-7 (``tests/data/injection_blind_short{,_2,...,_7}.jsonl``) and of the
  training tables ``written_short*.jsonl`` beside this script (written for training, never a test);
- negatives: tuning-half ABCD and SGD user turns and HaluEval general queries, and every written
  hard negative of those tables and batches.

Blind batch 8 and later are NOT read: they measure the shipped weights.

Positives weigh as much in total as negatives; within positives the written ones weigh as much as
the jailbreaks; within negatives the written hard negatives weigh ``--written-neg`` (half) and abcd,
sgd and halueval share the rest equally. The
decision offset is the smallest at which the scorer alone flags at most ``--chat-fpr`` of
tuning-half ABCD+SGD turns (5-fold out-of-fold scores) AND at most ``--written-fpr`` of the written
hard negatives scored leave-one-table-out (trained without their table: translations of one case
stay together). C is chosen by leave-one-table-out TPR of the written attacks, the closest thing to
a blind batch the training data has. Seed: liblinear with ``random_state=0``; folds are hashes of the text.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import math
import pickle
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from train import fit, matrix, write_weights  # the long scorer's script, beside this one

from guardline.bench.injection_data import _template_key, load_all
from guardline.detectors.injection import InjectionDetector
from guardline.detectors.injection_fold import fold
from guardline.detectors.injection_short import BITS, MAX_CHARS, vector
from guardline.normalize import normalize

ROOT = Path(__file__).resolve().parents[2]
FOLDS = 5
CHAT = ("abcd", "sgd")


def _module(name: str) -> object:
    path = ROOT / "tests" / "detectors" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _texts(table: object) -> list[str]:
    out = []
    for row in table:  # type: ignore[attr-defined]
        if isinstance(row, str):
            out.append(row)
        else:
            out.append(max((x for x in row if isinstance(x, str)), key=len))  # (lang, text[, why])
    return out


def written() -> list[tuple[str, int, str]]:
    """(text, label, group) of every written short case: group names the table it came from."""
    rows: list[tuple[str, int, str]] = []
    short = _module("test_injection_short")
    rows += [(t, 1, "short") for t in _texts(short.ATTACKS)]  # type: ignore[attr-defined]
    rows += [(t, 0, "short") for t in _texts(short.HARD_NEGATIVES)]  # type: ignore[attr-defined]
    persona = _module("test_injection_persona")
    for name in ("PERSONA_ATTACKS", "LATER_ATTACKS", "LATER_MISSES"):
        rows += [(t, 1, "persona") for t in _texts(getattr(persona, name))]
    rows += [(t, 0, "persona") for t in _texts(persona.HARD_NEGATIVES)]  # type: ignore[attr-defined]
    base = _module("test_injection")
    rows += [(t, 1, "base") for t in _texts(base.SHORT_ATTACKS)]  # type: ignore[attr-defined]
    rows += [(t, 1, "base") for t in _texts(base.ENCODED)]  # type: ignore[attr-defined]
    rows += [(t, 0, "base") for t in _texts(base.HARD_NEGATIVES)]  # type: ignore[attr-defined]
    tables = [(ROOT / "tests" / "data" / name, f"batch{i}") for i, name in enumerate(
        ("injection_blind_short.jsonl", "injection_blind_short_2.jsonl", "injection_blind_short_3.jsonl",
         "injection_blind_short_4.jsonl", "injection_blind_short_5.jsonl", "injection_blind_short_6.jsonl",
         "injection_blind_short_7.jsonl"), start=1)]
    tables += [(path, path.stem) for path in sorted(Path(__file__).parent.glob("written_short*.jsonl"))]
    for path, group in tables:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                rows.append((r["text"], int(r["label"]), group))
    return rows


def _fold(key: str) -> int:
    return int.from_bytes(hashlib.sha256(("fold:" + key).encode()).digest()[:4], "big") % FOLDS


def build(data: Path) -> dict[str, list]:
    det = InjectionDetector(model=False)
    out: dict[str, list] = defaultdict(list)

    def add(text: str, label: int, group: str, key: str) -> None:
        norm = normalize(text).text
        if len(norm) >= MAX_CHARS or not norm.strip():
            return
        head, _ = det._window(norm)
        out["rows"].append(vector(fold(head)))
        out["y"].append(label)
        out["group"].append(group)
        out["text"].append(text)
        out["rule"].append(det.scan(norm, "direct").score)
        out["fold"].append(_fold(key))

    for it in load_all(data):
        if it.half != "tune":  # the reporting half is never read
            continue
        if it.source == "jailbreak":
            add(it.text, 1, "jailbreak", "jb:" + _template_key(it.text))
        elif it.source in ("abcd", "sgd", "halueval"):
            add(it.text, 0, it.source, f"{it.source}:{it.text}")
    for text, label, group in written():
        add(text, label, "w:" + group, "w:" + text)
    return out


def weights(y: np.ndarray, groups: list[str], written_neg: float) -> np.ndarray:
    """Sample weights: each side weighs the same; within positives, the jailbreaks and the written
    attacks the same; within negatives, the written hard negatives ``written_neg`` of the side and
    each other class an equal part of the rest."""
    def cls(g: str, lab: int) -> str:
        if lab == 1:
            return "pos:jb" if g == "jailbreak" else "pos:written"
        return "neg:written" if g.startswith("w:") else "neg:" + g

    keys = [cls(g, int(lab)) for g, lab in zip(groups, y, strict=True)]
    counts: dict[str, int] = defaultdict(int)
    for k in keys:
        counts[k] += 1
    per_side = {s: sum(1 for k in counts if k.startswith(s)) for s in ("pos", "neg")}
    share = {k: (written_neg if k == "neg:written" else (1 - written_neg) / (per_side["neg"] - 1))
             for k in counts if k.startswith("neg")}
    w = np.array([share[k] / counts[k] if k in share else 1.0 / (counts[k] * per_side["pos"]) for k in keys])
    return w * len(y) / w.sum()


def offset_for(z: np.ndarray, chat: np.ndarray, fpr: float) -> float:
    zs = np.sort(z[chat])[::-1]
    allowed = math.floor(fpr * len(zs))
    return float(zs[allowed]) + 1e-6


def rates(flag: np.ndarray, y: np.ndarray, groups: list[str]) -> dict[str, tuple[int, int]]:
    by: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for f, lab, g in zip(flag, y, groups, strict=True):
        k = f"{g} ({'atk' if lab else 'neg'})"
        by[k][0] += int(f)
        by[k][1] += 1
    return {k: (v[0], v[1]) for k, v in sorted(by.items())}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--c", type=float, nargs="+", default=[1.0, 3.0, 10.0])
    p.add_argument("--chat-fpr", type=float, default=0.005)
    p.add_argument("--written-fpr", type=float, default=0.02,
                   help="leave-one-table-out false-positive limit on the written hard negatives")
    p.add_argument("--min-df", type=int, default=1,
                   help="drop weights of keys seen in fewer training messages (2 cost 3 of 64 attacks of "
                        "blind batch 4: the offset is set on unpruned models, so pruning shifts scores)")
    p.add_argument("--max-weights", type=int, default=100_000, help="keep the largest weights only")
    p.add_argument("--written-neg", type=float, default=0.5,
                   help="the written hard negatives' share of the negative side "
                        "(0.5: as much as the chat and HaluEval turns together)")
    p.add_argument("--cache", action="store_true")
    args = p.parse_args()
    if not 0.0 < args.written_neg < 1.0:
        p.error(f"--written-neg must be between 0 and 1 (exclusive), got {args.written_neg}")

    cache = Path("/tmp/injection_train_short_rows.pkl")
    if args.cache and cache.exists():
        d = pickle.loads(cache.read_bytes())
    else:
        d = build(args.data)
        if args.cache:
            cache.write_bytes(pickle.dumps(d))
    X = matrix(d["rows"], BITS)
    y = np.array(d["y"])
    groups: list[str] = d["group"]
    rule = np.array(d["rule"])
    folds = np.array(d["fold"])
    w = weights(y, groups, args.written_neg)
    chat = np.array([g in CHAT for g in groups])
    counts = defaultdict(int)
    for g, lab in zip(groups, y, strict=True):
        counts[f"{g} ({'atk' if lab else 'neg'})"] += 1
    print("items:", dict(sorted(counts.items())))
    print("rules alone:", rates(rule >= 0.5, y, groups))

    best = None
    wgroups = sorted({g for g in groups if g.startswith("w:")})
    for c in args.c:
        z = np.zeros(len(y))
        for k in range(FOLDS):
            tr, te = folds != k, folds == k
            z[te] = fit(X[tr], y[tr], w[tr], c, max_iter=3000).decision_function(X[te])
        # leave one written table out (attacks AND hard negatives): a table the model never saw
        zl = np.full(len(y), np.nan)
        for g in wgroups:
            tr = np.array([gg != g for gg in groups])
            zl[~tr] = fit(X[tr], y[tr], w[tr], c, max_iter=3000).decision_function(X[~tr])
        wneg = np.array([g.startswith("w:") for g in groups]) & (y == 0)
        off = max(offset_for(z, chat, args.chat_fpr), offset_for(zl, wneg, args.written_fpr))
        lot: list[float] = []
        for g in wgroups:
            te = np.array([gg == g for gg in groups]) & (y == 1)
            lot.append(float(((zl[te] - off >= 0) | (rule[te] >= 0.5)).mean()))
        lot_neg = float(((zl[wneg] - off >= 0) | (rule[wneg] >= 0.5)).mean())
        lot_fpr = []
        for g in wgroups:
            te = np.array([gg == g for gg in groups]) & (y == 0)
            lot_fpr.append(float(((zl[te] - off >= 0) | (rule[te] >= 0.5)).mean()))
        print("  leave-one-table-out FPR per table (rules+model): "
              + ", ".join(f"{g}={v:.3f}" for g, v in zip(wgroups, lot_fpr, strict=True)))
        print(f"  leave-one-table-out FPR on written hard negatives (rules+model): {lot_neg:.3f}")
        score = float(np.mean(lot))
        flag = (z - off >= 0) | (rule >= 0.5)
        print(f"\nC={c}: offset {off:.3f}; leave-one-table-out TPR (rules+model) "
              + ", ".join(f"{g}={v:.3f}" for g, v in zip(wgroups, lot, strict=True)) + f"; mean {score:.3f}")
        print("  out of fold, rules+model:", rates(flag, y, groups))
        if best is None or score > best[1]:
            best = (c, score, off)
    assert best is not None
    c, _, off = best
    print(f"\nchosen C={c}, offset {off:.3f}")
    m = fit(X, y, w, c, max_iter=3000)
    coef = m.coef_.ravel()
    df = np.asarray((X != 0).sum(axis=0)).ravel()
    keep = np.nonzero((df >= args.min_df) & (np.abs(coef) >= 1e-3))[0]
    if len(keep) > args.max_weights:
        keep = keep[np.argsort(-np.abs(coef[keep]))[: args.max_weights]]
    doc = {
        "bits": BITS,
        "bias": round(float(m.intercept_[0]), 6),
        "offset": round(float(off), 6),
        "weights": {str(int(k)): round(float(coef[k]), 4) for k in sorted(keep)},
        "meta": {
            "trained_on": "tuning half of ../shared/data (jailbreak, abcd, sgd, halueval; < 200 chars) "
                          "+ written short tables of tests/detectors, blind batches 1-7 and written_short*.jsonl",
            "C": c, "folds": FOLDS, "chat_fpr_out_of_fold": args.chat_fpr, "min_df": args.min_df,
            "written_neg": args.written_neg,
            "n_positive": int(y.sum()), "n_negative": int((y == 0).sum()),
        },
    }
    write_weights(args.out, doc)
    print(f"wrote {args.out}: {len(keep)} weights, {args.out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
