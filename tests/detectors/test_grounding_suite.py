"""The customer-service grounding suite (tests/data/grounding_suite.jsonl): replies checked against KB
articles and tool outputs in eight languages; half supported (incl. paraphrases), half not.

A reply counts as flagged when the detector reports a hallucination finding of severity medium or
above. Targets: precision >= 0.95 and recall >= 0.90.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path

from guardline.detectors.base import Context
from guardline.detectors.grounding import GroundingDetector
from guardline.keys import KeyRing
from guardline.normalize import normalize
from guardline.types import SEVERITY_ORDER, Direction, Message, Severity, Source

SUITE = Path(__file__).resolve().parents[1] / "data" / "grounding_suite.jsonl"


def _cases() -> list[dict[str, object]]:
    with open(SUITE, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_suite_shape() -> None:
    cases = _cases()
    assert len(cases) >= 150
    langs = Counter(str(c["lang"]) for c in cases)
    assert len(langs) >= 4
    expect = Counter(str(c["expect"]) for c in cases)
    assert abs(expect["supported"] - expect["unsupported"]) <= len(cases) * 0.1


def test_suite_precision_and_recall() -> None:
    det = GroundingDetector()
    keys = KeyRing(b"x" * 32)
    tp = fp = fn = 0
    misses = []
    for c in _cases():
        grounding = tuple(Source(kind=g["kind"], text=g["text"]) for g in c["grounding"])  # type: ignore[attr-defined]
        msg = Message(direction=Direction.OUTBOUND, text=str(c["reply"]), grounding=grounding,
                      timestamp=datetime.fromisoformat(str(c["timestamp"])))
        found = [f for f in det.detect(msg, Context(norm=normalize(msg.text), keys=keys))
                 if SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER[Severity.MEDIUM]]
        positive = c["expect"] == "unsupported"
        if found and positive:
            tp += 1
            assert all(f.span is not None for f in found)
        elif found:
            fp += 1
            misses.append(("false alarm", c["id"]))
        elif positive:
            fn += 1
            misses.append(("missed", c["id"]))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    assert precision >= 0.95, misses
    assert recall >= 0.90, misses
