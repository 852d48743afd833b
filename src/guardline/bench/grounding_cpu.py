"""CPU per ``GroundingDetector.detect`` call (process CPU clock; median of rounds).

Usage: ``python -m guardline.bench.grounding_cpu [--data ../shared/data] [SET ...]``. Sets:

- ``bench``: the gateway throughput benchmark's outbound reply, no grounding, sent again and again
  (3,000 messages, each with its own timestamp, as the gateway stamps them);
- ``bench-first``: the same reply seen for the first time (the detector's per-text caches emptied);
- ``synthetic`` / ``synthetic-first``: the 300-character reply with 2 KB of grounding that
  ``guardline bench grounding`` times, source index warm, reply repeated / seen for the first time;
- ``ungrounded``: every 10th ABCD dev agent turn (960), no grounding (more turns than the caches hold);
- ``warm``: 100 of those turns with their grounding, source index warm;
- ``cold``: 100 others, source index emptied before each call (a new dialogue history every turn).

Run it with ``nice -n 19`` on a shared machine and compare builds back to back on the same machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..detectors import grounding, grounding_fast, grounding_index
from ..detectors.base import Context
from ..detectors.grounding import GroundingDetector
from ..keys import KeyRing
from ..normalize import normalize
from ..types import Direction, Message
from .grounding import synthetic_message
from .grounding_fp import abcd_replies

__all__ = ["main"]

BENCH_REPLY = ("Hi Dana, your order 55123 ships on Monday. We will email dana.k@example.com with the tracking "
               "link. Is there anything else I can help you with today?")


def _synthetic() -> Message:
    return synthetic_message()


def _forget_replies() -> None:
    grounding._cached_view.cache_clear()
    grounding._cached_commitments.cache_clear()
    grounding_fast._cached_lower.cache_clear()


def _forget_sources() -> None:
    grounding_index._CACHE.data.clear()


def _time(det: GroundingDetector, items: list[tuple[Message, Context]], calls: int, rounds: int,
          forget: Callable[[], None] | None) -> list[float]:
    for m, c in items:
        list(det.detect(m, c))
    reps = max(1, calls // len(items))
    per = []
    for _ in range(rounds):
        spent = 0
        for _ in range(reps):
            for m, c in items:
                if forget is not None:
                    forget()
                t0 = time.process_time_ns()
                list(det.detect(m, c))
                spent += time.process_time_ns() - t0
        per.append(spent / (reps * len(items)) / 1000)
    return per


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m guardline.bench.grounding_cpu", description=__doc__)
    p.add_argument("--data", type=Path, default=Path("../shared/data"))
    p.add_argument("sets", nargs="*", default=["bench", "bench-first", "synthetic", "synthetic-first",
                                               "ungrounded", "warm", "cold"])
    args = p.parse_args(argv)
    det = GroundingDetector()
    keys = KeyRing(b"x" * 32)

    def one(m: Message) -> tuple[Message, Context]:
        return m, Context(norm=normalize(m.text), keys=keys, regions=("US",))

    bench = one(Message(direction=Direction.OUTBOUND, text=BENCH_REPLY, timestamp=datetime(2024, 1, 1, tzinfo=UTC)))
    syn = one(_synthetic())
    turns = list(abcd_replies(args.data, "dev"))[::10] if {"ungrounded", "warm", "cold"} & set(args.sets) else []

    def turn(i: int, grounded: bool) -> tuple[Message, Context]:
        r = turns[i]
        return one(Message(direction=Direction.OUTBOUND, text=r.text, timestamp=r.timestamp,
                           grounding=r.grounding if grounded else ()))

    plan: dict[str, tuple[str, Callable[[], list[tuple[Message, Context]]], int, int, Callable[[], None] | None]] = {
        "bench": ("throughput reply, repeated", lambda: [
            one(Message(direction=Direction.OUTBOUND, text=BENCH_REPLY,
                        timestamp=datetime(2024, 1, 1, 8, tzinfo=UTC) + timedelta(milliseconds=7 * i)))
            for i in range(3000)], 3000, 15, None),
        "bench-first": ("throughput reply, first sight", lambda: [bench], 3000, 15, _forget_replies),
        "synthetic": ("300 ch + 2 KB grounding, repeated", lambda: [syn], 2000, 9, None),
        "synthetic-first": ("300 ch + 2 KB grounding, first sight", lambda: [syn], 2000, 9, _forget_replies),
        "ungrounded": ("ABCD dev turns, ungrounded", lambda: [turn(i, False) for i in range(len(turns))], 2880, 15,
                       None),
        "warm": ("ABCD dev turns, grounded, index warm", lambda: [turn(i, True) for i in range(100)], 1000, 9, None),
        "cold": ("ABCD dev turns, grounded, index cold", lambda: [turn(i, True) for i in range(100, 200)], 100, 5,
                 _forget_sources),
    }
    for key in args.sets:
        label, make, calls, rounds, forget = plan[key]
        items = make()
        per = _time(det, items, calls, rounds, forget)
        print(f"{label:<40} CPU per call: median {statistics.median(per):8.1f} us (min {min(per):.1f}, "
              f"max {max(per):.1f}; {rounds} rounds of {max(1, calls // len(items)) * len(items)} calls)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
