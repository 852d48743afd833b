"""Blind batches of short inbound cases (issue #6): attacks under 200 characters and the hard negatives a
real customer writes, in eight languages, one JSON object a line in ``tests/data/injection_blind_*.jsonl``
(``text``, ``lang``, ``label`` 1 = attack, ``kind``). Each batch was committed BEFORE the detector was run
on it; its first-run figures are the honest ones and are recorded in docs/benchmarks/injection.md:

- batch 1 (``injection_blind_short.jsonl``, 120 attacks / 152 negatives), on 1.3: TPR 0.442, FPR 0;
- batch 2 (``_2``, 71 / 72), after the first lexicon pass built on batch 1: TPR 0.141, FPR 0.056;
- batch 3 (``_3``, 65 / 65), after the second pass built on batch 2: TPR 0.323, FPR 0;
- batch 4 (``_4``, 64 / 64), on 1.5 (the first short scorer): TPR 0.766, FPR 0;
- batch 5 (``_5``, 128 / 128), on a scorer trained with batch 4 and a written training table: TPR
  0.867, FPR 0.102 (1.5: 0.641 / 0.023);
- batch 6 (``_6``, 128 / 128), on 1.6 (trained with batch 5 and minimal pairs): TPR 0.891, FPR 0
  (1.5: 0.664 / 0.016);
- batch 7 (``_7``, 128 / 128), written after 1.6 was shipped, on 1.6: TPR 0.805, FPR 0.039 (1.5:
  0.609 / 0.031);
- batch 8 (``_8``, 128 / 128), on 1.7 (trained with batches 6-7 and a social-engineering table): TPR
  0.898, FPR 0.023 (1.6's scorer with 1.7's rules: 0.867 / 0.023).

Batches 1-7 are in the short scorer's training data since, so their floors below are IN-SAMPLE
regression floors, not evidence of generalisation; batch 8 has not been trained on (its floor sits
under its first run). A miss or a false positive found later stays in its file.
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
    "injection_blind_short_2.jsonl": (0.95, 0.02, 60, 60),  # in-sample since the second pass
    "injection_blind_short_3.jsonl": (0.95, 0.02, 60, 60),  # first run 0.323 / 0; trained on since 1.5
    "injection_blind_short_4.jsonl": (0.95, 0.02, 60, 60),  # first run 0.766 / 0 on 1.5; trained on since 1.6
    "injection_blind_short_5.jsonl": (0.95, 0.02, 120, 120),  # first run 0.867 / 0.102; trained on since 1.6
    "injection_blind_short_6.jsonl": (0.95, 0.02, 120, 120),  # first run 0.891 / 0 on 1.6; trained on since 1.7
    "injection_blind_short_7.jsonl": (0.95, 0.03, 120, 120),  # first run 0.805 / 0.039 on 1.6; trained on since 1.7 (3 negatives still flagged, by the rules)
    "injection_blind_short_8.jsonl": (0.87, 0.03, 120, 120),  # blind: first run on 1.7, 0.898 / 0.023
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


BLIND = ("injection_blind_short_8.jsonl",)  # batches train_short.py does not read
TRAINING = sorted((Path(__file__).resolve().parents[2] / "benchmarks" / "injection_train").glob("written_short*.jsonl"))


@pytest.mark.parametrize("path", TRAINING, ids=lambda p: p.name)
def test_training_table_shape(path: Path) -> None:
    """The short scorer's written training tables (read by ``train_short.py``): the same fields as the
    blind batches, every text under the scorer's 200 characters, no text twice, none also in a blind
    batch that is still blind (``BLIND``; one hard negative of batch 5 was written word for word in a
    training table too, by two writers working apart: batch 5 is trained on since, so it is harmless)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [str(r["text"]) for r in rows]
    assert rows and all(r["label"] in (0, 1) and r["lang"] in LANGS and r["kind"] for r in rows)
    assert all(len(t) < 200 for t in texts)
    assert len(set(texts)) == len(texts)
    blind = {str(r["text"]) for name in BLIND for r in _rows(name)}
    assert not blind & set(texts)


def test_training_tables_are_found_and_blind_batches_are_not_read() -> None:
    assert len(TRAINING) >= 2
    script = (TRAINING[0].parent / "train_short.py").read_text(encoding="utf-8")
    assert all(name not in script for name in BLIND)
