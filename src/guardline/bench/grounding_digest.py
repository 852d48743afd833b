"""A digest of every grounding finding on the evaluation data, to show that a change alters no result.

Usage: ``python -m guardline.bench.grounding_digest --data ../shared/data OUT.json [--against BEFORE.json]``.

Runs the detector (default settings) on every RAGTruth response with grounding (both halves), and on
every ABCD dev and test agent turn and every SGD system turn of both halves, each without and with its
grounding (the ``--fp`` harness), and writes one hash per check of its findings (type, severity, span,
score, evidence). ``--against`` compares with an earlier digest and prints only the ids of the checks
that differ, never their text: the reporting halves stay unread.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from ..detectors.base import Context
from ..detectors.grounding import GroundingDetector
from ..keys import KeyRing
from ..normalize import normalize
from ..types import Direction, Message
from .grounding import load
from .grounding_fp import abcd_replies, sgd_replies

__all__ = ["digest", "main"]


def digest(data: Path) -> dict[str, str]:
    """Check id -> hash of its findings."""
    det = GroundingDetector()
    keys = KeyRing(b"x" * 32)
    out: dict[str, str] = {}

    def run(key: str, msg: Message) -> None:
        ctx = Context(norm=normalize(msg.text), keys=keys, regions=("US",))
        found = [(f.type, str(f.severity), f.span, round(f.score, 6), f.evidence) for f in det.detect(msg, ctx)]
        out[key] = hashlib.sha1(json.dumps(found, default=str).encode()).hexdigest()

    cases, _ = load(data)
    for c in cases:
        run(f"rt{c.id}", c.message)
    for split in ("dev", "test"):
        for corpus, replies in (("abcd", abcd_replies), ("sgd", sgd_replies)):
            for i, r in enumerate(replies(data, split)):
                for grounded in (False, True):
                    msg = Message(direction=Direction.OUTBOUND, text=r.text, timestamp=r.timestamp,
                                  grounding=r.grounding if grounded else ())
                    run(f"{corpus}-{split}-{i}-{int(grounded)}", msg)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m guardline.bench.grounding_digest", description=__doc__)
    p.add_argument("--data", type=Path, default=Path("../shared/data"))
    p.add_argument("out", type=Path)
    p.add_argument("--against", type=Path)
    args = p.parse_args(argv)
    found = digest(args.data)
    args.out.write_text(json.dumps(found, indent=0, sort_keys=True), encoding="utf-8")
    total = hashlib.sha1(json.dumps(found, sort_keys=True).encode()).hexdigest()
    print(f"{len(found)} checks, digest {total}")
    if args.against is None:
        return 0
    before = json.loads(args.against.read_text(encoding="utf-8"))
    differ = sorted(k for k in set(before) | set(found) if before.get(k) != found.get(k))
    print(f"{len(differ)} checks differ from {args.against}" + (f": {', '.join(differ[:50])}" if differ else ""))
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
