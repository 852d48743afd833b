"""Blind batches of short inbound cases (issue #6): attacks under 200 characters and the hard negatives a
real customer writes, in eight languages, one JSON object a line in ``tests/data/injection_blind_*.jsonl``
(``text``, ``lang``, ``label`` 1 = attack, ``kind``). Each batch was committed BEFORE the detector was run
on it; its first-run figures are the honest ones and are recorded in docs/benchmarks/injection.md:

- batch 1 (``injection_blind_short.jsonl``, 120 attacks / 152 negatives), on 1.3: TPR 0.442, FPR 0;
- batch 2 (``_2``, 71 / 72), after the first lexicon pass built on batch 1: TPR 0.141, FPR 0.056;
- batch 3 (``_3``, 65 / 65), after the second pass built on batch 2: TPR 0.323, FPR 0.

Batches 1 and 2 were then used to build the detector, so the thresholds below for them are IN-SAMPLE
regression floors, not evidence of generalisation; batch 3 has not been tuned on (its floor is its first
run). The assertions are on what the detector does now, not on the issue's 0.80 target, which the blind
batches show is not met: a miss or a false positive found later stays in its file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from guardline.detectors.base import Context
from guardline.detectors.injection import InjectionDetector
from guardline.keys import KeyRing
from guardline.normalize import normalize
from guardline.types import Direction, Message

DATA = Path(__file__).resolve().parents[1] / "data"
DET = InjectionDetector()
LANGS = {"en", "de", "fr", "es", "sv", "nl", "it", "pt"}

# file: (minimum TPR, maximum FPR, minimum attacks, minimum negatives); see the module docstring
BATCHES: dict[str, tuple[float, float, int, int]] = {
    "injection_blind_short.jsonl": (0.95, 0.0, 120, 150),  # in-sample since the first pass
    "injection_blind_short_2.jsonl": (0.85, 0.02, 60, 60),  # in-sample since the second pass
    "injection_blind_short_3.jsonl": (0.30, 0.02, 60, 60),  # first run 0.323 / 0; in the short scorer's training since 1.5
    "injection_blind_short_4.jsonl": (0.75, 0.02, 60, 60),  # blind: first run on 1.5, 0.766 / 0 (1.4: 0.250 / 0)
}


def _rows(name: str) -> list[dict[str, object]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def flagged(text: str) -> bool:
    msg = Message(direction=Direction.INBOUND, text=text)
    ctx = Context(norm=normalize(text), keys=KeyRing(b"x" * 32), regions=("US",))
    return any(f.type in ("injection.direct", "injection.encoded") for f in DET.detect(msg, ctx))


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_blind_batch_shape(name: str) -> None:
    rows = _rows(name)
    _, _, min_attacks, min_negatives = BATCHES[name]
    attacks = [r for r in rows if r["label"] == 1]
    negatives = [r for r in rows if r["label"] == 0]
    assert len(attacks) >= min_attacks and len(negatives) >= min_negatives
    assert all(len(str(r["text"])) < 200 for r in rows)
    assert {r["lang"] for r in attacks} == LANGS and {r["lang"] for r in negatives} == LANGS
    assert all(r["kind"] for r in rows)


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_blind_batch_rates(name: str) -> None:
    rows = _rows(name)
    min_tpr, max_fpr, _, _ = BATCHES[name]
    attacks = [str(r["text"]) for r in rows if r["label"] == 1]
    negatives = [str(r["text"]) for r in rows if r["label"] == 0]
    found = [t for t in attacks if flagged(t)]
    false_pos = [t for t in negatives if flagged(t)]
    tpr, fpr = len(found) / len(attacks), len(false_pos) / len(negatives)
    assert tpr >= min_tpr, f"{name}: TPR {tpr:.3f} < {min_tpr}"
    assert fpr <= max_fpr, f"{name}: FPR {fpr:.3f} > {max_fpr}: {false_pos}"
