"""Brand and compliance detectors: matching speed with 10,000 terms, and false-positive rates on
benign agent replies and customer turns.

    .venv/bin/python benchmarks/bench_brand.py speed [--terms 10000] [--runs 2000] [--baseline]
    .venv/bin/python benchmarks/bench_brand.py fp [--data ../shared/data] [--split dev|report]

``speed``: a BrandDetector with N policy terms (synthetic competitor names and forbidden phrases from
a seeded generator) on top of the built-in lists (profanity in 8 languages, insults, topic words,
disclosure phrases); per-message ``detect`` latency, median and p99, for replies of about 300 and
3,000 characters, as wall time and as this thread's CPU time (on a shared machine the wall-time tail
is mostly the scheduler). ``--baseline`` times the naive alternative (one compiled regex per term, looped).

``fp``: share of benign messages flagged, per finding type. Agent replies: SGD system turns and ABCD
agent turns; customer turns (for consent keywords): SGD user turns and ABCD customer turns. Split
``dev`` (SGD shards 001-005, ABCD dev) was used while writing the word lists; ``report`` (SGD shards
006-011, ABCD test) is the held-out figure.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from guardline.detectors.base import Context
from guardline.detectors.brand import BrandDetector
from guardline.detectors.compliance import ComplianceDetector
from guardline.detectors.compliance_keywords import classify
from guardline.normalize import normalize
from guardline.state.memory import MemoryStore
from guardline.types import Message

ROOT = Path(__file__).resolve().parent.parent
SYLLABLES = ["ka", "lo", "mi", "ren", "tos", "va", "qui", "zen", "dor", "pha", "lux", "nor", "bri", "sta"]


def synthetic_terms(n: int, seed: int = 7) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    terms: set[str] = set()
    while len(terms) < n:
        words = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(rng.randint(1, 3))]
        terms.add(" ".join(words))
    ordered = sorted(terms)
    half = n // 2
    return ordered[:half], ordered[half:]


def replies(data: Path | None, length: int, count: int, seed: int = 11) -> list[str]:
    """Benign agent text of about ``length`` characters (SGD system turns joined), or synthetic."""
    rng = random.Random(seed)
    pool: list[str] = []
    if data is not None and (data / "sgd-test-subset").exists():
        for _, speaker, text in sgd_turns(data, range(1, 3)):
            if speaker == "SYSTEM":
                pool.append(text)
    if not pool:
        pool = ["Your order has shipped and should arrive on Friday between 9 and 5.",
                "I can help you change the delivery address; what is the new one?",
                "The restaurant is open until 10 pm and takes reservations online."]
    out = []
    for _ in range(count):
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < length:
            parts.append(rng.choice(pool))
        out.append(" ".join(parts)[:length])
    return out


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.99 * (len(ordered) - 1))]


def speed(args: argparse.Namespace) -> int:
    competitors, forbidden = synthetic_terms(args.terms)
    t0 = time.perf_counter()
    det = BrandDetector(competitors=competitors, forbidden=forbidden, require_disclosure=False)
    build_ms = (time.perf_counter() - t0) * 1000
    print(f"terms: {args.terms} policy + built-ins = {det.term_count} in the automaton; "
          f"build {build_ms:.0f} ms")
    data = Path(args.data) if args.data else None
    rng = random.Random(3)
    for length in (300, 3000):
        texts = replies(data, length, 200)
        # plant a policy term in a quarter of the messages so that the match path is timed too
        texts = [t if i % 4 else t[: length // 2] + " " + rng.choice(competitors) + " " + t[length // 2:]
                 for i, t in enumerate(texts)]
        msgs = [(Message(direction="outbound", text=t), normalize(t)) for t in texts]
        for m, n in msgs[:20]:  # warm up
            det.detect(m, Context(norm=n))
        times, cpu = [], []
        for i in range(args.runs):
            m, n = msgs[i % len(msgs)]
            start, start_cpu = time.perf_counter(), time.thread_time()
            det.detect(m, Context(norm=n))
            cpu.append((time.thread_time() - start_cpu) * 1000)
            times.append((time.perf_counter() - start) * 1000)
        print(f"detect, ~{length} chars ({args.runs} runs): wall median {statistics.median(times):.3f} ms, "
              f"p99 {p99(times):.3f} ms; CPU median {statistics.median(cpu):.3f} ms, p99 {p99(cpu):.3f} ms")
        if args.baseline:
            patterns = [re.compile(rf"\b{re.escape(t)}\b", re.IGNORECASE) for t in competitors + forbidden]
            base = []
            for m, _ in msgs[:20]:
                start = time.perf_counter()
                for p in patterns:
                    p.search(m.text)
                base.append((time.perf_counter() - start) * 1000)
            print(f"  baseline, {len(patterns)} regexes looped: median {statistics.median(base):.1f} ms "
                  f"(20 runs)")
    # the compliance detector on outbound SMS (opt-out lookup in a memory store, links, segments)
    comp, state = ComplianceDetector(allowed_domains=["example.com"]), MemoryStore()
    texts = replies(data, 300, 200)
    msgs = [(Message(direction="outbound", text=t + " https://example.com/x", channel="sms", customer_id="c1"),
             normalize(t + " https://example.com/x")) for t in texts]
    times = []
    for i in range(args.runs):
        m, n = msgs[i % len(msgs)]
        start = time.perf_counter()
        comp.detect(m, Context(norm=n, state=state))
        times.append((time.perf_counter() - start) * 1000)
    print(f"compliance detect, ~320-char SMS ({args.runs} runs): wall median {statistics.median(times):.3f} ms, "
          f"p99 {p99(times):.3f} ms")
    return 0


def sgd_turns(data: Path, shards: range) -> Iterator[tuple[str, str, str]]:
    for i in shards:
        path = data / "sgd-test-subset" / f"dialogues_{i:03d}.json"
        for dialogue in json.loads(path.read_text(encoding="utf-8")):
            for turn in dialogue["turns"]:
                yield dialogue["dialogue_id"], turn["speaker"], turn["utterance"]


def abcd_turns(data: Path, split: str) -> Iterator[tuple[str, str, str]]:
    name = "valid" if split == "dev" else "test"
    path = data / "abcd" / "sdp_transformers_copy" / f"abcd_classification_original_{name}.json"
    for i, (text, _) in enumerate(json.loads(path.read_text(encoding="utf-8"))):
        for part in text.split("\n\n"):
            if part.startswith("SYS:"):
                yield str(i), "SYSTEM", part[4:].strip()
            elif part.startswith("USR:"):
                yield str(i), "USER", part[4:].strip()


def fp(args: argparse.Namespace) -> int:
    data = Path(args.data)
    shards = range(1, 6) if args.split == "dev" else range(6, 12)
    det = BrandDetector(require_disclosure=False)
    for corpus, turns in (("SGD", sgd_turns(data, shards)), ("ABCD", abcd_turns(data, args.split))):
        agent = customer = 0
        flagged: Counter[str] = Counter()
        examples: dict[str, list[str]] = {}
        keywords: Counter[str] = Counter()
        for _, speaker, text in turns:
            if not text.strip():
                continue
            norm = normalize(text)
            if speaker == "SYSTEM":
                agent += 1
                found = det.detect(Message(direction="outbound", text=text), Context(norm=norm))
                for t in {f.type for f in found}:
                    flagged[t] += 1
                    if args.show:
                        spans = [text[f.span[0]:f.span[1]] for f in found if f.type == t and f.span]
                        examples.setdefault(t, []).append(f"{spans} | {text[:120]}")
            else:
                customer += 1
                kw = classify(norm.text)
                if kw is not None:
                    keywords[f"{kw.kind}:{kw.keyword}"] += 1
        print(f"{corpus} ({args.split}): {agent} agent replies, {customer} customer turns")
        for t in sorted(flagged):
            print(f"  {t}: {flagged[t]} replies ({100 * flagged[t] / max(agent, 1):.2f}%)")
            for ex in examples.get(t, [])[: args.show]:
                print(f"      {ex}")
        total = sum(keywords.values())
        print(f"  consent keywords as whole customer turns: {total} "
              f"({100 * total / max(customer, 1):.2f}%) {dict(keywords.most_common(10))}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("speed")
    sp.add_argument("--terms", type=int, default=10_000)
    sp.add_argument("--runs", type=int, default=2000)
    sp.add_argument("--baseline", action="store_true")
    sp.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    fp_ = sub.add_parser("fp")
    fp_.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    fp_.add_argument("--split", choices=["dev", "report"], default="dev")
    fp_.add_argument("--show", type=int, default=0, help="print this many examples per finding type")
    args = parser.parse_args(argv)
    return speed(args) if args.cmd == "speed" else fp(args)


if __name__ == "__main__":
    sys.exit(main())
