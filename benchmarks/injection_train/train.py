"""Train the injection detector's small scorer (``guardline.detectors.injection_model``) on the
TUNING half of the evaluation data only, and write its weights file.

Exact command (from the repository root; scikit-learn and numpy live only in a throwaway venv, they
are not dependencies of guardline):

    python3 -m venv /tmp/trainvenv
    /tmp/trainvenv/bin/pip install scikit-learn==1.9.1 numpy==2.4.6 pydantic pyyaml python-stdnum \
        phonenumbers cryptography rich pyahocorasick glin-profanity tzdata
    PYTHONPATH=src nice -n 19 /tmp/trainvenv/bin/python benchmarks/injection_train/train.py \
        --data ../shared/data --out src/guardline/data/injection/model.json.gz

Data read (through ``guardline.bench.injection_data.load_all``, the bench's own loader and split;
items are filtered to ``half == "tune"`` before anything else is done with them):

- positives: jailbreak-in-the-wild prompts (both CSVs);
- negatives, one genre each, balanced so that every genre weighs the same in total: HaluEval general
  user queries, SGD user turns, ABCD customer turns, BIPIA clean email and table contexts, RAGTruth
  source documents. BIPIA attack strings are NOT used: in a customer's own message "answer in
  French" is an ordinary request, not an attack.

Guards against learning genre or length rather than attacks: the vector (word n-grams only) is
length-normalised (see ``injection_model``) and the model abstains under ``MIN_CHARS`` characters,
as it does in the detector; every negative genre has the same total weight; long
documents (BIPIA, RAGTruth) are negatives too, so "long" is not "attack"; the decision offset is set
from 5-fold cross-validated scores (folds by template key, so variants of one jailbreak template
stay in one fold) so that no negative genre's out-of-fold false-positive rate exceeds its limit;
the script prints out-of-fold rates per genre and per length bucket, and the AUC of length alone.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import pickle
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from guardline.bench.injection_data import _template_key, load_all
from guardline.detectors.injection import InjectionDetector
from guardline.detectors.injection_fold import fold
from guardline.detectors.injection_model import BITS, MIN_CHARS, vector
from guardline.normalize import normalize

# out-of-fold false-positive limits per negative genre at score 0.5 (stricter than the bench's targets)
LIMITS = {"sgd": 0.0005, "abcd": 0.0005, "halueval": 0.002, "bipia": 0.0, "ragtruth": 0.0}
BUCKETS = (("<200", 0, 200), ("200-1000", 200, 1001), (">1000", 1001, 10**9))
FOLDS = 5


def genre(source: str) -> str:
    if source.startswith("ragtruth"):
        return "ragtruth"
    if source.startswith("bipia"):
        return "bipia"
    return source


def fold_of(source: str, text: str) -> int:
    key = "jb:" + _template_key(text) if source == "jailbreak" else f"{source}:{text}"
    return int.from_bytes(hashlib.sha256(("fold:" + key).encode()).digest()[:4], "big") % FOLDS


def build(data: Path) -> tuple[list[dict[int, float]], np.ndarray, list[str], list[str], np.ndarray, np.ndarray]:
    items = [it for it in load_all(data) if it.half == "tune"]  # the reporting half is never used
    items = [it for it in items if it.source == "jailbreak" or it.label == 0]  # no BIPIA attacked contexts
    det = InjectionDetector(model=False)  # the rules alone, to combine with the model out of fold
    rows: list[dict[int, float]] = []
    labels, sources, texts, rule_scores, folds = [], [], [], [], []
    for it in items:
        text = normalize(it.text).text
        head, _ = det._window(text)
        rows.append(vector(fold(head)))
        labels.append(it.label)
        sources.append(it.source)
        texts.append(it.text)
        rule_scores.append(det.scan(text, "direct").score)  # as the bench scores a message
        folds.append(fold_of(it.source, it.text))
    return rows, np.array(labels), sources, texts, np.array(rule_scores), np.array(folds)


def matrix(rows: list[dict[int, float]], bits: int = BITS) -> csr_matrix:
    """Sparse rows (hashed key -> value) as one CSR matrix of ``2 ** bits`` columns."""
    indptr, indices, values = [0], [], []
    for r in rows:
        for k in sorted(r):
            indices.append(k)
            values.append(r[k])
        indptr.append(len(indices))
    return csr_matrix((values, indices, indptr), shape=(len(rows), 1 << bits))


def sample_weights(y: np.ndarray, sources: list[str]) -> np.ndarray:
    """Positives weigh 1 in total, as do all negatives; each negative genre weighs the same."""
    g = [genre(s) if lab == 0 else "pos" for s, lab in zip(sources, y, strict=True)]
    counts: dict[str, int] = defaultdict(int)
    for k in g:
        counts[k] += 1
    neg_genres = [k for k in counts if k != "pos"]
    w = np.array([1.0 / counts[k] if k == "pos" else 1.0 / (counts[k] * len(neg_genres)) for k in g])
    return w * len(y) / w.sum()


def write_weights(out: Path, doc: dict[str, object]) -> None:
    """Write a weights file as the detector reads it (``injection_model.parse_weights``): gzipped JSON
    with sorted keys and no timestamp, so that a rerun of a trainer reproduces it byte for byte."""
    raw = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("utf-8")
    out.write_bytes(gzip.compress(raw, mtime=0))


def fit(X: csr_matrix, y: np.ndarray, w: np.ndarray, c: float, max_iter: int = 2000) -> LogisticRegression:
    m = LogisticRegression(C=c, max_iter=max_iter, solver="liblinear", random_state=0)
    m.fit(X, y, sample_weight=w)
    return m


def offset_for(z: np.ndarray, y: np.ndarray, sources: list[str], lengths: np.ndarray) -> float:
    """The smallest offset at which every negative genre's false-positive rate (z - offset >= 0,
    counted over the whole genre; the model abstains below MIN_CHARS) is within its limit."""
    need = -math.inf
    by: dict[str, list[float]] = defaultdict(list)
    for zi, yi, s, n in zip(z, y, sources, lengths, strict=True):
        if yi == 0:
            by[genre(s)].append(float(zi) if n >= MIN_CHARS else -math.inf)
    for g, zs in by.items():
        zs.sort(reverse=True)
        allowed = math.floor(LIMITS[g] * len(zs))  # this many may stay at or above the offset
        need = max(need, zs[allowed] + 1e-6 if allowed < len(zs) else -math.inf)
    return need


def report(name: str, score: np.ndarray, y: np.ndarray, sources: list[str], texts: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    by: dict[str, list[bool]] = defaultdict(list)
    for s, yi, src, t in zip(score, y, sources, texts, strict=True):
        flag = bool(s >= 0.5)
        by[src].append(flag)
        if yi == 1:
            for b, lo, hi in BUCKETS:
                if lo <= len(t) < hi:
                    by[f"jailbreak {b}"].append(flag)
    print(f"\n{name}")
    for k in sorted(by):
        v = by[k]
        out[k] = sum(v) / len(v)
        print(f"  {k:22s} n={len(v):5d} flagged={sum(v):4d} rate={out[k]:.4f}")
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--c", type=float, nargs="+", default=[1.0, 3.0, 10.0, 30.0], help="regularisation grid")
    p.add_argument("--min-df", type=int, default=3, help="keep weights of n-grams seen in this many texts")
    p.add_argument("--cache", action="store_true", help="reuse the tuning-half vectors of an earlier run")
    args = p.parse_args()

    cache = Path("/tmp/injection_train_rows.pkl")
    if args.cache and cache.exists():
        rows, y, sources, texts, rule, folds = pickle.loads(cache.read_bytes())
    else:
        rows, y, sources, texts, rule, folds = build(args.data)
        if args.cache:
            cache.write_bytes(pickle.dumps((rows, y, sources, texts, rule, folds)))
    X = matrix(rows)
    w = sample_weights(y, sources)
    lengths = np.array([len(t) for t in texts], dtype=float)
    folded_len = np.array([len(normalize(t).text) for t in texts], dtype=float)  # what the gate reads
    print(f"tuning half: {int(y.sum())} positives, {int((y == 0).sum())} negatives; "
          f"AUC of length alone {roc_auc_score(y, lengths):.3f}")
    report("rules alone (threshold 0.5)", rule, y, sources, texts)

    best: tuple[float, float, np.ndarray] | None = None
    for c in args.c:
        z = np.zeros(len(y))
        for k in range(FOLDS):
            tr, te = folds != k, folds == k
            m = fit(X[tr], y[tr], w[tr], c)
            z[te] = m.decision_function(X[te])
        off = offset_for(z, y, sources, folded_len)
        model = np.where(folded_len >= MIN_CHARS, 1 / (1 + np.exp(-(z - off))), 0.0)
        combined = np.maximum(rule, model)
        tpr = float(combined[y == 1].__ge__(0.5).mean())
        print(f"\nC={c}: out-of-fold AUC {roc_auc_score(y, z):.4f}, offset {off:.3f}, "
              f"combined jailbreak TPR {tpr:.4f}")
        if best is None or tpr > best[1]:
            best = (c, tpr, model)
    assert best is not None
    c, _, model = best
    print(f"\nchosen C={c}")
    report("model alone, out of fold", model, y, sources, texts)
    combined = np.maximum(rule, model)
    report("rules + model (max), out of fold", combined, y, sources, texts)
    for b, lo, hi in BUCKETS:
        sel = (lengths >= lo) & (lengths < hi)
        if len(set(y[sel])) == 2:
            print(f"  AUC of the model within length bucket {b}: {roc_auc_score(y[sel], model[sel]):.3f}")

    # final fit on the whole tuning half; the offset comes from the out-of-fold scores
    z = np.zeros(len(y))
    for k in range(FOLDS):
        tr, te = folds != k, folds == k
        z[te] = fit(X[tr], y[tr], w[tr], c).decision_function(X[te])
    off = offset_for(z, y, sources, folded_len)
    m = fit(X, y, w, c)
    df = np.asarray((X != 0).sum(axis=0)).ravel()
    coef = m.coef_.ravel()
    keep = np.nonzero((df >= args.min_df) & (np.abs(coef) >= 1e-3))[0]
    doc = {
        "bits": BITS,
        "bias": round(float(m.intercept_[0]), 6),
        "offset": round(float(off), 6),
        "weights": {str(int(k)): round(float(coef[k]), 5) for k in keep},
        "meta": {
            "trained_on": "tuning half of ../shared/data (guardline.bench.injection_data.half_of == 'tune')",
            "positives": "jailbreak-in-the-wild", "negatives": sorted({genre(s) for s in sources if s != "jailbreak"}),
            "C": c, "folds": FOLDS, "fp_limits_out_of_fold": LIMITS, "min_df": args.min_df,
            "n_positive": int(y.sum()), "n_negative": int((y == 0).sum()),
        },
    }
    write_weights(args.out, doc)
    print(f"\nwrote {args.out}: {len(keep)} weights, {args.out.stat().st_size} bytes, offset {off:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
